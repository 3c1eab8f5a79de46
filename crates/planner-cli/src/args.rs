//! The command line, declared with clap's derive so that `--help` and the
//! parser cannot drift apart.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Plans dependency-injection graphs: validate them in CI, draw them,
/// explain and diff them.
///
/// Descriptor files are JSON, YAML (`.yaml`, `.yml`) or TOML (`.toml`),
/// chosen by extension; `-` reads JSON from standard input. Several files
/// are merged in order.
///
/// Exit codes: 0 valid, 1 the graph has errors, 2 the input cannot be used.
#[derive(Debug, Parser)]
#[command(name = "wireplan", version, about, long_about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate descriptors: exit 0 when valid, 1 on errors, 2 on unusable input.
    Check(CheckArgs),
    /// Write the plan (start-up order, layers, shutdown, bindings).
    Plan(PlanArgs),
    /// Draw the dependency graph (Graphviz DOT or Mermaid), even a broken one.
    Graph(GraphArgs),
    /// What a service needs, what needs it, its layer, and why it starts when it does.
    Explain(ExplainArgs),
    /// Services, dependencies, start-up order and layers changed between two versions.
    Diff(DiffArgs),
    /// Render a start-up record saved by a runtime: critical chain, blame, SVG or Chrome trace.
    Timeline(TimelineArgs),
    /// Look into a binary plan (a cache file): its header, and whether it would be used or why not.
    Inspect(InspectArgs),
}

/// Descriptor files and the planning options, shared by every subcommand
/// that plans.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// Descriptor files, merged in order; `-` for standard input (JSON).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<String>,
    /// Plan for this profile.
    #[arg(long, value_name = "P")]
    pub profile: Option<String>,
    /// Plan only what these services need (repeatable); the rest is unused.
    #[arg(long = "root", value_name = "ID")]
    pub roots: Vec<String>,
}

/// When to color human output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set.
    #[default]
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// How a report is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ReportFormat {
    /// The core's rendering, for a person.
    #[default]
    Human,
    /// The core's report JSON (`{"diagnostics": [...]}`).
    Json,
    /// GitHub Actions workflow annotations (`::error file=...,line=...::`).
    Github,
    /// SARIF 2.1.0, for code-scanning tools.
    Sarif,
}

/// `wireplan check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files and options.
    #[command(flatten)]
    pub input: InputArgs,
    /// How to print the report.
    #[arg(long, value_enum, default_value_t)]
    pub format: ReportFormat,
    /// Fail (exit 1) on warnings too.
    #[arg(long)]
    pub deny_warnings: bool,
    /// Color human output.
    #[arg(long, value_enum, default_value_t)]
    pub color: ColorChoice,
}

/// Options shared by the subcommands whose standard output is something
/// else than a report: their reports go to standard error.
#[derive(Debug, Args)]
pub struct ErrorArgs {
    /// How to print a report of errors (on standard error).
    #[arg(long, value_enum, default_value_t)]
    pub error_format: ReportFormat,
    /// Color human output.
    #[arg(long, value_enum, default_value_t)]
    pub color: ColorChoice,
}

/// Plan output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum PlanFormat {
    /// The plan as JSON, services named by id.
    #[default]
    Json,
    /// The compact binary form, for caches.
    Binary,
}

/// `wireplan plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Files and options.
    #[command(flatten)]
    pub input: InputArgs,
    /// Plan format.
    #[arg(long, value_enum, default_value_t)]
    pub format: PlanFormat,
    /// Write the plan here instead of standard output.
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,
    /// Reports.
    #[command(flatten)]
    pub errors: ErrorArgs,
}

/// Graph picture formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum GraphFormat {
    /// Graphviz DOT.
    #[default]
    Dot,
    /// Mermaid flowchart.
    Mermaid,
}

/// `wireplan graph`.
#[derive(Debug, Args)]
pub struct GraphArgs {
    /// Files and options.
    #[command(flatten)]
    pub input: InputArgs,
    /// Picture format.
    #[arg(long, value_enum, default_value_t)]
    pub format: GraphFormat,
    /// Only this service (an id, or a key only it provides), what it needs and what needs it.
    #[arg(long, value_name = "ID")]
    pub focus: Option<String>,
    /// Color human output.
    #[arg(long, value_enum, default_value_t)]
    pub color: ColorChoice,
}

/// Text or JSON, for `explain` and `diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum TextFormat {
    /// For a person.
    #[default]
    Human,
    /// For a tool.
    Json,
}

/// `wireplan explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Descriptor files then the service id: `explain a.json b.json server`.
    #[arg(required = true, num_args = 2.., value_name = "FILE... ID")]
    pub args: Vec<String>,
    /// Plan for this profile.
    #[arg(long, value_name = "P")]
    pub profile: Option<String>,
    /// Plan only what these services need (repeatable).
    #[arg(long = "root", value_name = "ID")]
    pub roots: Vec<String>,
    /// Also show the shortest dependency chain that orders ID and OTHER.
    #[arg(long, value_name = "OTHER")]
    pub why: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: TextFormat,
    /// Reports.
    #[command(flatten)]
    pub errors: ErrorArgs,
}

/// `wireplan diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The old descriptors.
    pub old: String,
    /// The new descriptors.
    pub new: String,
    /// Plan both for this profile.
    #[arg(long, value_name = "P")]
    pub profile: Option<String>,
    /// Plan only what these services need (repeatable).
    #[arg(long = "root", value_name = "ID")]
    pub roots: Vec<String>,
    /// Exit 1 when NEW has errors that OLD did not have.
    #[arg(long)]
    pub fail_on_new_errors: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: TextFormat,
    /// Color human output of reports.
    #[arg(long, value_enum, default_value_t)]
    pub color: ColorChoice,
}

/// What `timeline` renders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum TimelineFormat {
    /// The chain of services that decided the start-up time, as `systemd-analyze critical-chain`.
    #[default]
    Chain,
    /// Every service, slowest first, as `systemd-analyze blame`.
    Blame,
    /// An SVG chart of every service's start, as `systemd-analyze plot`.
    Svg,
    /// Chrome trace-event JSON, for Perfetto or chrome://tracing.
    Trace,
}

/// `wireplan timeline`.
#[derive(Debug, Args)]
pub struct TimelineArgs {
    /// The record (JSON, from `app.timeline()`); `-` for standard input.
    #[arg(value_name = "RECORD")]
    pub record: String,
    /// What to render.
    #[arg(long, value_enum, default_value_t)]
    pub format: TimelineFormat,
    /// Write it here instead of standard output.
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,
}

/// `wireplan inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The binary plan (from `wireplan plan --format binary` or a cache).
    #[arg(value_name = "PLAN")]
    pub plan: PathBuf,
    /// Also require this fingerprint (32 hex digits), as a cache for given descriptors does.
    #[arg(long, value_name = "HEX")]
    pub fingerprint: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: TextFormat,
}
