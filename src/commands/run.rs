//! `runbook run NAME`: resolve the runbook, run it in a session, print the scorecard or
//! the `--json` document, return the exit code.
//!
//! How the run ended decides what is said: a verdict only for a run that completed; for
//! any other ending, how it ended and what the journal says was already changed (and, for
//! an error after the cloud was changed, the scorecard as far as it can be read).

use anyhow::Result;

use crate::cli::RunArgs;
use crate::commands::{site_lock, Session};
use crate::config::Config;
use crate::outcome::Ending;

pub fn run(config: &Config, args: &RunArgs) -> Result<i32> {
    let session = Session::start(config, args.dry_run, args.yes)?;
    let file = config.resolver().runbook(&args.runbook)?;
    // The journal's file is made now: a run that could not record its changes is refused
    // before it reads or changes anything.
    let journal = session.ctx.gate().journal();
    if let Err(e) = journal.open() {
        let text = format!(
            "refused: {e:#}\nnothing was changed: no change is made that the journal cannot record\n{}",
            crate::effects::gate::journal_hint(journal.state_dir())
        );
        return site_lock::refuse(&session, config.json, &args.runbook, &text);
    }
    // A run that may change the site holds its lock to the end; a dry run changes nothing.
    let _lock = if args.dry_run {
        None
    } else {
        match site_lock::take(&session.ctx, &format!("runbook run {}", args.runbook))? {
            Ok(lock) => Some(lock),
            Err(text) => {
                journal.discard_unused();
                return site_lock::refuse(&session, config.json, &args.runbook, &text);
            }
        }
    };
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
    report.set_journal_incomplete(session.ctx.gate().journal().incomplete());
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
