//! Why a command could not do its work, and the exit code that says so.

use wireplan::Report;

/// A command that stopped before producing its output.
#[derive(Debug)]
pub enum Failure {
    /// A file that cannot be read at all (missing, a directory, not UTF-8):
    /// one line naming it, exit 2.
    Input(String),
    /// Descriptors that cannot be parsed: the core's report of it, exit 2.
    Parse(Report),
    /// Output that cannot be written (other than a closed pipe), exit 2.
    Write(String),
    /// A request that names something absent (an unknown service), exit 2.
    Usage(String),
}

/// Exit code: the graph is valid (warnings allowed).
pub const OK: u8 = 0;
/// Exit code: the graph has errors.
pub const INVALID: u8 = 1;
/// Exit code: the input cannot be used.
pub const UNUSABLE: u8 = 2;
