//! The `wireplan` binary: [`wireplan_cli::run`] on this process's
//! arguments.

use std::process::ExitCode;

fn main() -> ExitCode {
    without_backtraces();
    // WASI has no working directory of its own: the npm package's launcher
    // passes the caller's as `PWD`, so relative file names mean what the
    // caller meant.
    #[cfg(target_os = "wasi")]
    if let Some(pwd) = std::env::var_os("PWD") {
        let _ = std::env::set_current_dir(pwd);
    }
    ExitCode::from(wireplan_cli::run(std::env::args_os()))
}

/// Runs this same command again without `RUST_BACKTRACE` and
/// `RUST_LIB_BACKTRACE`, when either asks for backtraces.
///
/// The panic hook keeps panics to one line, but Rust's out-of-memory
/// handler cannot be hooked on stable and prints a full backtrace when the
/// variable is set (CI systems often set it for their own tools). The
/// limits keep every input far from an allocation failure; this keeps the
/// one line even when the machine itself runs out. `exec` replaces the
/// process (same pid, same standard streams), so callers see no difference;
/// if it fails, the command simply runs as it is.
#[cfg(unix)]
fn without_backtraces() {
    use std::os::unix::process::CommandExt as _;
    let asks = |name: &str| std::env::var_os(name).is_some_and(|v| v != "0");
    if !asks("RUST_BACKTRACE") && !asks("RUST_LIB_BACKTRACE") {
        return;
    }
    let Ok(exe) = std::env::current_exe() else { return };
    let mut args = std::env::args_os();
    let mut command = std::process::Command::new(exe);
    if let Some(arg0) = args.next() {
        command.arg0(arg0);
    }
    let _ = command.args(args).env_remove("RUST_BACKTRACE").env_remove("RUST_LIB_BACKTRACE").exec();
}

#[cfg(not(unix))]
fn without_backtraces() {}
