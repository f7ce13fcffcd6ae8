//! `runbook run NAME`: resolve the runbook, run it in a session, print the scorecard or
//! the `--json` document, return the exit code.

use anyhow::Result;

use crate::cli::RunArgs;
use crate::commands::Session;
use crate::config::Config;

pub fn run(config: &Config, args: &RunArgs) -> Result<i32> {
    let session = Session::start(config, args.dry_run, args.yes)?;
    let file = config.resolver().runbook(&args.runbook)?;
    session.announce(&format!("run `{}` ({})", args.runbook, file.display));
    let (code, error) = match session.compile(&file.display, &file.text) {
        Err(text) => (crate::report::exit::ERROR, Some(text)),
        Ok(ast) => {
            let mut scope = session.constants.clone();
            match session.engine.run_ast_with_scope(&mut scope, &ast) {
                // A guard that refused one machine of a batch let the run go on; it still
                // ends refused (exit 4), never GO.
                Ok(()) => match session.ctx.gate().stop() {
                    Some(crate::effects::Stop::Refused(why)) => (
                        crate::report::exit::REFUSED,
                        Some(format!("error: refused: {why}\n")),
                    ),
                    _ => (session.ctx.report().completed_exit(), None),
                },
                Err(err) => {
                    let (code, text) = session.ending(&err, &file.display);
                    (code, Some(text))
                }
            }
        }
    };
    let report = session.ctx.report();
    report.print_plan_summary();
    report.print_scorecard();
    if let Some(text) = &error {
        eprint!("{text}");
    }
    if config.json {
        let journal = session.ctx.gate().journal().path();
        let extra = error
            .as_ref()
            .map(|e| ("error", serde_json::Value::String(e.trim_end().to_string())));
        let doc = report.document(&args.runbook, &session.ctx.site().name, journal, extra);
        println!("{}", serde_json::to_string_pretty(&doc)?);
    }
    Ok(code)
}
