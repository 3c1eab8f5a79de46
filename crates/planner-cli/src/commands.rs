//! The subcommands: read, ask the core, print.

use wireplan::{Options, Report};

use crate::args::{
    CheckArgs, ColorChoice, Command, DiffArgs, ExplainArgs, GraphArgs, GraphFormat, InputArgs, PlanArgs, PlanFormat,
    ReportFormat, TextFormat,
};
use crate::failure::{Failure, INVALID, OK, UNUSABLE};
use crate::graph_model::Model;
use crate::input::{self, Source};
use crate::sink::{self, Stream};
use crate::{diff, explain, graph_export, output};

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
fn plan_sources(
    sources: &[Source],
    descriptors: &wireplan::Descriptors<'_>,
    options: &Options,
) -> Result<wireplan::Plan, Report> {
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

fn graph(a: &GraphArgs) -> Result<u8, Failure> {
    let sources = match read(&a.input.files) {
        Ok(s) => s,
        Err(Failure::Parse(report)) => {
            return print_report(&report, ReportFormat::Human, a.color, Stream::Stderr, UNUSABLE)
        }
        Err(f) => return Err(f),
    };
    let descriptors = match input::parse(&sources) {
        Ok(d) => d,
        Err(report) => return print_report(&report, ReportFormat::Human, a.color, Stream::Stderr, UNUSABLE),
    };
    let opts = options(a.input.profile.as_ref(), &a.input.roots);
    let (model, code) = match plan_sources(&sources, &descriptors, &opts) {
        Ok(plan) => (Model::from_plan(&plan), OK),
        Err(report) => (Model::from_descriptors(&descriptors, &opts, &report), INVALID),
    };
    let model = match &a.focus {
        None => model,
        Some(id) => match model.find(id) {
            Some(i) => model.focus(i),
            None => {
                let ids: Vec<&str> = model.nodes.iter().map(|n| n.id.as_str()).collect();
                let hint = wireplan::suggest(id, &ids)
                    .first()
                    .map(|h| format!("; did you mean `{}`?", wireplan::escape(h)))
                    .unwrap_or_default();
                return Err(Failure::Usage(format!("no service `{}` in the graph{hint}", wireplan::escape(id))));
            }
        },
    };
    let text = match a.format {
        GraphFormat::Dot => graph_export::dot(&model),
        GraphFormat::Mermaid => graph_export::mermaid(&model),
    };
    sink::write(Stream::Stdout, text.as_bytes())?;
    Ok(code)
}

fn explain_cmd(a: &ExplainArgs) -> Result<u8, Failure> {
    let Some((id, files)) = a.args.split_last() else {
        return Err(Failure::Usage("give descriptor files and a service id".to_owned()));
    };
    let opts = options(a.profile.as_ref(), &a.roots);
    let plan = match load_plan_from(files, &opts, a.errors.error_format, a.errors.color)? {
        Ok(plan) => plan,
        Err(code) => return Ok(code),
    };
    let service = explain::lookup(&plan, id)?;
    let other = a.why.as_deref().map(|o| explain::lookup(&plan, o)).transpose()?;
    let e = explain::explain(&plan, service, other);
    let text = match a.format {
        TextFormat::Human => explain::human(&plan, &e),
        TextFormat::Json => explain::json(&plan, &e),
    };
    sink::write(Stream::Stdout, text.as_bytes())?;
    Ok(OK)
}

/// One side of a diff: its descriptors and the core's verdict on them.
fn side<'a>(sources: &'a [Source], opts: &Options) -> Result<diff::Side<'a>, Report> {
    let descriptors = input::parse(sources)?;
    let plan = plan_sources(sources, &descriptors, opts);
    Ok(diff::Side { descriptors, plan })
}

fn diff_cmd(a: &DiffArgs) -> Result<u8, Failure> {
    let opts = options(a.profile.as_ref(), &a.roots);
    let read_one = |name: &String| -> Result<Result<Source, u8>, Failure> {
        match input::read(name) {
            Ok(s) => Ok(Ok(s)),
            Err(Failure::Parse(report)) => {
                print_report(&report, ReportFormat::Human, a.color, Stream::Stderr, UNUSABLE).map(Err)
            }
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
    let (old, new) = match (side(&old_src, &opts), side(&new_src, &opts)) {
        (Ok(o), Ok(n)) => (o, n),
        (Err(report), _) | (_, Err(report)) => {
            return print_report(&report, ReportFormat::Human, a.color, Stream::Stderr, UNUSABLE)
        }
    };
    let changes = diff::compare(&old, &new, &opts);
    let text = match a.format {
        TextFormat::Human => diff::human(&old, &new, &changes, sink::color(a.color, Stream::Stdout)),
        TextFormat::Json => diff::json(&old, &new, &changes),
    };
    let code = if a.fail_on_new_errors && !changes.new_errors.is_empty() { INVALID } else { OK };
    sink::write(Stream::Stdout, text.as_bytes())?;
    Ok(code)
}
