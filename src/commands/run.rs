//! `runbook run NAME`: resolve the runbook, run it in a session, print the scorecard or
//! the `--json` document, return the exit code.
//!
//! How the run ended decides what is said: a verdict only for a run that completed; for
//! any other ending, how it ended and what the journal says was already changed (and, for
//! an error after the cloud was changed, the scorecard as far as it can be read).

use anyhow::Result;

use crate::cli::RunArgs;
use crate::commands::Session;
use crate::config::Config;
use crate::outcome::Ending;

pub fn run(config: &Config, args: &RunArgs) -> Result<i32> {
    let session = Session::start(config, args.dry_run, args.yes)?;
    let file = config.resolver().runbook(&args.runbook)?;
    session.announce(&format!("run `{}` ({})", args.runbook, file.display));
    let (_, error) = super::plan::execute(&session, &file);
    let report = session.ctx.report();
    if let Some(text) = &error {
        let text = crate::term::escape(text);
        match text.strip_prefix("error:") {
            Some(rest) => eprint!("{}{rest}", crate::commands::error_tag()),
            None => eprint!("{text}"),
        }
    }
    if report.ending() == Ending::Error {
        session.score_after_failure();
    }
    report.print_plan_summary();
    report.print_scorecard();
    report.print_ending(&session.changes());
    if config.json {
        let journal = session.ctx.gate().journal().path();
        let extra = error
            .as_ref()
            .map(|e| ("error", serde_json::Value::String(e.trim_end().to_string())));
        let doc = report.document(&args.runbook, &session.ctx.site().name, journal, extra);
        println!("{}", serde_json::to_string_pretty(&doc)?);
    }
    Ok(report.exit_code())
}
