//! The subcommands: read, ask the core, print.

use wireplan::render::{self, picture, Style};
use wireplan::{Analysis, Options, Report};

use crate::args::{
    CheckArgs, ColorChoice, Command, DiffArgs, ExplainArgs, GraphArgs, GraphFormat, InputArgs, InspectArgs, PlanArgs, PlanFormat,
    ReportFormat, TextFormat, TimelineArgs, TimelineFormat,
};
use crate::failure::{Failure, INVALID, OK, UNUSABLE};
use crate::input::{self, Source};
use crate::output;
use crate::sink::{self, Stream};

/// Runs one command and gives its exit code.
///
/// # Errors
/// A [`Failure`] that `main` prints as one line (exit 2).
pub fn run(cli: crate::args::Cli) -> Result<u8, Failure> {
    match cli.command {
        Command::Check(a) => check(&a),
        Command::Plan(a) => plan(&a),
        Command::Graph(a) => graph(&a),
        Command::Explain(a) => explain_cmd(&a),
        Command::Diff(a) => diff_cmd(&a),
        Command::Timeline(a) => timeline(&a),
        Command::Inspect(a) => inspect(&a),
    }
}

fn options(profile: Option<&String>, roots: &[String]) -> Options {
    Options { profile: profile.cloned(), roots: roots.to_vec(), ..Options::default() }
}

/// Prints a report in `format` on `stream` and gives `code`.
fn print_report(report: &Report, format: ReportFormat, color: ColorChoice, stream: Stream, code: u8) -> Result<u8, Failure> {
    let text = output::report(report, format, sink::color(color, stream));
    sink::write(stream, text.as_bytes())?;
    Ok(code)
}

/// The core's verdict, with places in converted YAML/TOML files made honest.
fn plan_sources(sources: &[Source], descriptors: &wireplan::Descriptors<'_>, options: &Options) -> Result<wireplan::Plan, Report> {
    wireplan::plan(descriptors, options).map_err(|mut report| {
        input::place_converted(&mut report, sources);
        report
    })
}

/// Reads the input files; a parse failure is printed as a report in
/// `format` (exit 2), anything worse is a [`Failure`].
fn read(files: &[String]) -> Result<Vec<Source>, Failure> {
    input::read_all(files)
}

fn check(a: &CheckArgs) -> Result<u8, Failure> {
    let sources = match read(&a.input.files) {
        Ok(s) => s,
        Err(Failure::Parse(report)) => return print_report(&report, a.format, a.color, Stream::Stdout, UNUSABLE),
        Err(f) => return Err(f),
    };
    let descriptors = match input::parse(&sources) {
        Ok(d) => d,
        Err(report) => return print_report(&report, a.format, a.color, Stream::Stdout, UNUSABLE),
    };
    let opts = options(a.input.profile.as_ref(), &a.input.roots);
    let report = match plan_sources(&sources, &descriptors, &opts) {
        Ok(plan) => Report { diagnostics: plan.warnings().to_vec() },
        Err(report) => report,
    };
    let code = if report.has_errors() || (a.deny_warnings && report.warning_count() > 0) { INVALID } else { OK };
    print_report(&report, a.format, a.color, Stream::Stdout, code)
}

/// Reads, parses and plans for the commands whose output is not a report:
/// a report goes to standard error and its exit code is returned as `Err`.
fn load_plan(input: &InputArgs, errors: &crate::args::ErrorArgs) -> Result<Result<wireplan::Plan, u8>, Failure> {
    load_plan_from(&input.files, &options(input.profile.as_ref(), &input.roots), errors.error_format, errors.color)
}

fn load_plan_from(
    files: &[String],
    opts: &Options,
    format: ReportFormat,
    color: ColorChoice,
) -> Result<Result<wireplan::Plan, u8>, Failure> {
    let sources = match read(files) {
        Ok(s) => s,
        Err(Failure::Parse(report)) => return print_report(&report, format, color, Stream::Stderr, UNUSABLE).map(Err),
        Err(f) => return Err(f),
    };
    let descriptors = match input::parse(&sources) {
        Ok(d) => d,
        Err(report) => return print_report(&report, format, color, Stream::Stderr, UNUSABLE).map(Err),
    };
    match plan_sources(&sources, &descriptors, opts) {
        Ok(plan) => {
            if !plan.warnings().is_empty() {
                let report = Report { diagnostics: plan.warnings().to_vec() };
                print_report(&report, format, color, Stream::Stderr, OK)?;
            }
            Ok(Ok(plan))
        }
        Err(report) => print_report(&report, format, color, Stream::Stderr, INVALID).map(Err),
    }
}

fn plan(a: &PlanArgs) -> Result<u8, Failure> {
    let plan = match load_plan(&a.input, &a.errors)? {
        Ok(plan) => plan,
        Err(code) => return Ok(code),
    };
    let bytes = match a.format {
        PlanFormat::Json => {
            let mut text = plan.to_json();
            text.push('\n');
            text.into_bytes()
        }
        PlanFormat::Binary => plan.encode(),
    };
    match &a.output {
        Some(path) => sink::replace_file(path, &bytes)?,
        None => sink::write(Stream::Stdout, &bytes)?,
    }
    Ok(OK)
}

/// The core's analysis of the input, valid or broken, with places in
/// converted YAML/TOML files made honest. A file that cannot be read or
/// parsed is printed as a report on standard error (exit 2) as `Err`.
fn analyze(files: &[String], opts: &Options, format: ReportFormat, color: ColorChoice) -> Result<Result<Analysis, u8>, Failure> {
    let sources = match read(files) {
        Ok(s) => s,
        Err(Failure::Parse(report)) => return print_report(&report, format, color, Stream::Stderr, UNUSABLE).map(Err),
        Err(f) => return Err(f),
    };
    analyze_sources(&sources, opts).or_else(|report| print_report(&report, format, color, Stream::Stderr, UNUSABLE).map(Err))
}

fn analyze_sources(sources: &[Source], opts: &Options) -> Result<Result<Analysis, u8>, Report> {
    let descriptors = input::parse(sources)?;
    let mut analysis = wireplan::analyze(&descriptors, opts).map_err(|mut report| {
        input::place_converted(&mut report, sources);
        report
    })?;
    analysis.place_report(|report| input::place_converted(report, sources));
    Ok(Ok(analysis))
}

/// Exit code of a command that printed something about a graph.
fn verdict(analysis: &Analysis) -> u8 {
    if analysis.is_valid() {
        OK
    } else {
        INVALID
    }
}

fn graph(a: &GraphArgs) -> Result<u8, Failure> {
    let opts = options(a.input.profile.as_ref(), &a.input.roots);
    let analysis = match analyze(&a.input.files, &opts, ReportFormat::Human, a.color)? {
        Ok(x) => x,
        Err(code) => return Ok(code),
    };
    let code = verdict(&analysis);
    let analysis = match &a.focus {
        None => analysis,
        Some(name) => {
            let node = analysis.find_service(name).map_err(|u| Failure::Usage(u.to_string()))?;
            analysis.focus(node)
        }
    };
    let text = match a.format {
        GraphFormat::Dot => picture::dot(&analysis),
        GraphFormat::Mermaid => picture::mermaid(&analysis),
    };
    sink::write(Stream::Stdout, text.as_bytes())?;
    Ok(code)
}

fn explain_cmd(a: &ExplainArgs) -> Result<u8, Failure> {
    let Some((name, files)) = a.args.split_last() else {
        return Err(Failure::Usage("give descriptor files and a service id or key".to_owned()));
    };
    let opts = options(a.profile.as_ref(), &a.roots);
    let analysis = match analyze(files, &opts, a.errors.error_format, a.errors.color)? {
        Ok(x) => x,
        Err(code) => return Ok(code),
    };
    let e = analysis.explain(name, a.why.as_deref()).map_err(|u| Failure::Usage(u.to_string()))?;
    let text = match a.format {
        TextFormat::Human => render::explain::human(&analysis, &e, &style(a.errors.color, Stream::Stdout)),
        TextFormat::Json => render::explain::json(&analysis, &e),
    };
    sink::write(Stream::Stdout, text.as_bytes())?;
    Ok(verdict(&analysis))
}

fn style(color: ColorChoice, stream: Stream) -> Style {
    if sink::color(color, stream) {
        Style::colored()
    } else {
        Style::plain()
    }
}

fn diff_cmd(a: &DiffArgs) -> Result<u8, Failure> {
    let opts = options(a.profile.as_ref(), &a.roots);
    let read_one = |name: &String| -> Result<Result<Source, u8>, Failure> {
        match input::read(name) {
            Ok(s) => Ok(Ok(s)),
            Err(Failure::Parse(report)) => print_report(&report, ReportFormat::Human, a.color, Stream::Stderr, UNUSABLE).map(Err),
            Err(f) => Err(f),
        }
    };
    let old_src = match read_one(&a.old)? {
        Ok(s) => [s],
        Err(code) => return Ok(code),
    };
    let new_src = match read_one(&a.new)? {
        Ok(s) => [s],
        Err(code) => return Ok(code),
    };
    let (old, new) = match (analyze_sources(&old_src, &opts), analyze_sources(&new_src, &opts)) {
        (Ok(Ok(o)), Ok(Ok(n))) => (o, n),
        (Ok(Err(code)), _) | (_, Ok(Err(code))) => return Ok(code),
        (Err(report), _) | (_, Err(report)) => return print_report(&report, ReportFormat::Human, a.color, Stream::Stderr, UNUSABLE),
    };
    let changes = wireplan::diff(&old, &new);
    let text = match a.format {
        TextFormat::Human => render::diff::human(&changes, &style(a.color, Stream::Stdout)),
        TextFormat::Json => render::diff::json(&changes),
    };
    let code = if a.fail_on_new_errors && !changes.new_errors.is_empty() { INVALID } else { OK };
    sink::write(Stream::Stdout, text.as_bytes())?;
    Ok(code)
}

fn timeline(a: &TimelineArgs) -> Result<u8, Failure> {
    let source = input::read_text(&a.record)?;
    let record =
        wireplan::Timeline::parse(&source.name, &source.text, &wireplan::Limits::default()).map_err(|e| Failure::Usage(e.to_string()))?;
    let text = match a.format {
        TimelineFormat::Chain => render::timeline::critical_chain(&record),
        TimelineFormat::Blame => render::timeline::blame(&record),
        TimelineFormat::Svg => render::timeline::svg(&record),
        TimelineFormat::Trace => render::timeline::chrome_trace(&record),
    };
    match &a.output {
        Some(path) => sink::replace_file(path, text.as_bytes())?,
        None => sink::write(Stream::Stdout, text.as_bytes())?,
    }
    Ok(OK)
}

/// Exit 0 when a cache would use the plan, 1 when it would refuse it.
fn inspect(a: &InspectArgs) -> Result<u8, Failure> {
    let expected = match &a.fingerprint {
        None => None,
        Some(hex) => Some(
            wireplan::Fingerprint::from_hex(hex)
                .ok_or_else(|| Failure::Usage(format!("`{}` is not a fingerprint (32 hex digits)", wireplan::escape(hex))))?,
        ),
    };
    let name = a.plan.display().to_string();
    let bytes = input::read_bytes(&name)?;
    let found = wireplan::inspect(&bytes, expected);
    let text = match a.format {
        TextFormat::Human => found.human(&name),
        TextFormat::Json => found.json(),
    };
    sink::write(Stream::Stdout, text.as_bytes())?;
    Ok(if found.usable() { OK } else { INVALID })
}
