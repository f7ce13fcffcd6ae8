//! `runbook eval EXPR`: one expression or script, in a full session; the value is printed
//! on stdout (as JSON with `--json`); transcript lines (a plan, a step) go to stderr.

use anyhow::Result;

use crate::cli::EvalArgs;
use crate::commands::Session;
use crate::config::Config;

pub fn run(config: &Config, args: &EvalArgs) -> Result<i32> {
    let session = Session::start(config, args.dry_run, args.yes)?;
    // stdout is for the value (and `print()`); what the gate planned or did goes to stderr.
    session
        .ctx
        .report()
        .set_stream(crate::color::Stream::Stderr);
    session.print_endpoints();
    let display = "<eval>";
    let ast = match session.compile(display, &args.expr) {
        Ok(ast) => ast,
        Err(text) => {
            eprint!("{}", crate::term::escape(&text));
            return Ok(crate::outcome::Ending::Error.exit_code(None));
        }
    };
    let mut scope = session.constants.clone();
    let result = session
        .engine
        .eval_ast_with_scope::<rhai::Dynamic>(&mut scope, &ast);
    // `eval` stays quiet unless it changed something: then say where the journal is.
    let journal = session.ctx.gate().journal();
    if let (Some(path), false) = (journal.path(), journal.lines().is_empty()) {
        eprintln!("journal: {}", path.display());
    }
    match result {
        Ok(value) => {
            session.ctx.report().print_plan_summary();
            if config.json {
                println!("{}", serde_json::to_string_pretty(&value)?);
            } else if !value.is_unit() {
                println!("{}", crate::term::escape(&value.to_string()));
            }
            // A machine refused inside a batch let the expression finish; it still ends
            // refused (exit 4), never GO.
            session.ctx.report().set_ending(session.completed_ending());
            Ok(session.ctx.report().exit_code())
        }
        Err(err) => {
            let (ending, text) = session.ending(&err, display);
            eprint!("{}", crate::term::escape(&text));
            session.ctx.report().set_ending(ending);
            Ok(session.ctx.report().exit_code())
        }
    }
}
