//! One file per subcommand; this module dispatches and holds what `run` and `eval` share:
//! a [`Session`] (site, context, engine) and how a script's ending becomes an exit code.

pub mod apply;
pub mod check;
pub mod completions;
pub mod doc;
pub mod endpoints;
pub mod eval;
pub mod list;
pub mod module_docs;
pub mod plan;
pub mod plan_facts;
pub mod reach;
pub mod record;
pub mod recorder;
pub mod rehearse;
pub mod repl;
pub mod run;
pub mod services;
pub mod sim;
pub mod site_keys;
pub mod site_lock;
pub mod sites;

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::IsTerminal;
use std::rc::Rc;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use anyhow::Result;
use rhai::{Dynamic, Engine, EvalAltResult, Scope};

use crate::cli::{Cli, Command};
use crate::commands::services::{start_site_services, ServiceGuard};
use crate::config::{self, Config, Env};
use crate::context::RunContext;
use crate::effects::journal::{self, Journal};
use crate::effects::Gate;
use crate::outcome::Ending;
use crate::report::Report;
use crate::resolve::{Resolver, Sources};
use crate::signals;
use crate::stop::Stop;

/// The command line's definitions, with what only the layers below `cli` know filled in:
/// `sim serve --scenario` lists the simulator's scenarios from their one table.
pub fn definitions() -> clap::Command {
    use clap::CommandFactory;
    let scenarios = crate::sim::scenario::names();
    let table = crate::sim::scenario::help();
    Cli::command().mut_subcommand("sim", |sim| {
        sim.mut_subcommand("serve", |serve| {
            serve.mut_arg("scenario", |arg| {
                arg.help(format!("Starting cloud: {scenarios}"))
                    .long_help(format!("Starting cloud.\n\n{table}"))
            })
        })
    })
}

/// The command line, parsed from the process's arguments (exits on `--help` or an error,
/// as clap does).
pub fn parse() -> Cli {
    use clap::FromArgMatches;
    let matches = definitions().get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

/// Run the parsed command line; returns the process exit code.
pub fn dispatch(cli: Cli) -> i32 {
    crate::color::init(cli.global.color);
    let outcome = match cli.command {
        // The simulator needs no site or config: it is the cloud, not a client of one.
        Command::Sim(args) => sim::run(args, &cli.global),
        // Completions describe the command line only.
        Command::Completions(args) => completions::run(&args),
        command => {
            Config::from_args(&cli.global, Env::from_process()).and_then(|config| match command {
                Command::Run(args) => run::run(&config, &args),
                Command::Eval(args) => eval::run(&config, &args),
                Command::Check(args) => check::run(&config, &args),
                Command::Doc(args) => doc::run(&config, &args),
                Command::Sites(args) => sites::run(&config, &args),
                Command::Sim(args) => sim::run(args, &cli.global),
                Command::Repl(args) => repl::run(&config, &args),
                Command::List => list::list(&config),
                Command::Show(args) => list::show(&config, &args),
                Command::Completions(args) => completions::run(&args),
                Command::Plan(args) => plan::run(&config, &args),
                Command::Apply(args) => apply::run(&config, &cli.global, &args),
                Command::Rehearse(args) => rehearse::run(&config, &args),
            })
        }
    };
    match outcome {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{} {}", error_tag(), crate::term::escape(&chain(&e)));
            Ending::Error.exit_code(None)
        }
    }
}

/// `error:`, red on a terminal.
pub fn error_tag() -> String {
    crate::color::paint(
        crate::color::Stream::Stderr,
        crate::color::Tone::Bad,
        "error:",
    )
}

/// `anyhow` error text: the message, then `caused by:` lines.
pub fn chain(e: &anyhow::Error) -> String {
    let mut out = e.to_string();
    for cause in e.chain().skip(1) {
        out.push_str(&format!("\ncaused by: {cause}"));
    }
    out
}

/// The interrupt flag (SIGINT, SIGTERM, SIGHUP), installed once per process: see
/// [`crate::signals`].
pub fn interrupt_flag() -> Arc<AtomicBool> {
    signals::interrupt_flag()
}

/// Everything one script execution needs.
pub struct Session {
    pub ctx: Rc<RunContext>,
    pub engine: Engine,
    pub sources: Sources,
    pub constants: Scope<'static>,
    /// Where the script's modules are found.
    resolver: Resolver,
    /// Where the MAAS URL and the Juju controller came from (for the header).
    pub origins: endpoints::Origins,
    /// The site is the default one (neither `--site` nor `RUNBOOK_SITE` was given).
    default_site: bool,
    _services: Option<ServiceGuard>,
}

/// How a run context starts: its gate's mode and where its journal goes.
pub struct ContextMode {
    pub dry_run: bool,
    pub yes: bool,
    pub json: bool,
    /// Journal to a file. A dry run keeps it in memory (nothing at all is written); the
    /// REPL writes one even while unarmed, so effects after `:arm` are on record.
    pub journal_file: bool,
    /// Put into the run id after the timestamp (e.g. `repl-`), so journals say what ran.
    pub run_label: &'static str,
}

impl ContextMode {
    /// A recording of the site's cloud: read-only (a dry run, so no change can pass the
    /// gate) and journaled in memory only.
    pub fn recording(json: bool) -> ContextMode {
        ContextMode {
            dry_run: true,
            yes: false,
            json,
            journal_file: false,
            run_label: "record-",
        }
    }
}

/// The run context of `config`'s site — site services started (the demo's simulator),
/// site reloaded so their environment takes the usual precedence, journal with the MAAS
/// key redacted, gate, report — and the guard that keeps the services alive.
pub fn build_context(
    config: &Config,
    mode: &ContextMode,
    interrupted: Arc<AtomicBool>,
) -> Result<(Rc<RunContext>, Option<ServiceGuard>)> {
    let site = config.load_site()?;
    let mut env = config.env.clone();
    let services = start_site_services(&site, &mut env)?;
    // Services (the demo simulator) may set the environment; re-apply precedence.
    let site = if env != config.env {
        Config {
            env: env.clone(),
            ..config.clone()
        }
        .load_site()?
    } else {
        site
    };
    let run_id = format!(
        "{}-{}{}",
        chrono::Utc::now().format("%Y%m%dT%H%M%SZ"),
        mode.run_label,
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    let state_dir = site
        .state_dir
        .clone()
        .unwrap_or_else(journal::default_state_dir);
    let journal = Journal::new(&state_dir, &run_id, !mode.journal_file);
    if let Ok(Some(key)) = config::maas_api_key(&env, &site) {
        journal.redact(&key);
    }
    let report = Rc::new(Report::new(mode.json));
    let gate = Gate::new(
        mode.dry_run,
        mode.yes,
        std::io::stdin().is_terminal(),
        journal,
        report.clone(),
    )
    .with_interrupt(interrupted.clone())
    .with_scope(crate::effects::guards::Scope::of(&site));
    let ctx = RunContext::new(site, gate, run_id, report, env, interrupted);
    Ok((Rc::new(ctx), services))
}

impl Session {
    /// How a script that ran to its end ended: refused (exit 4) when the journal records a
    /// refusal (a guard refused one machine of a batch and the run went on), else completed.
    pub fn completed_ending(&self) -> Ending {
        if self.refused_on_record() {
            Ending::Refused
        } else {
            Ending::Completed
        }
    }

    /// Whether the journal records a refused effect, other than one whose confirmation
    /// Ctrl-C cut short (the gate's detail says so; that run ends interrupted).
    fn refused_on_record(&self) -> bool {
        self.ctx
            .gate()
            .journal()
            .lines()
            .iter()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .any(|l| {
                l["outcome"] == "refused"
                    && !l["detail"]
                        .as_str()
                        .is_some_and(|d| d.starts_with("confirmation interrupted"))
            })
    }

    pub fn start(config: &Config, dry_run: bool, yes: bool) -> Result<Session> {
        let mode = ContextMode {
            dry_run,
            yes,
            json: config.json,
            journal_file: !dry_run,
            run_label: "",
        };
        let (ctx, services) = build_context(config, &mode, interrupt_flag())?;
        ctx.set_time_limit(ctx.site().limits.max_seconds);
        let sources: Sources = Rc::new(RefCell::new(HashMap::new()));
        let engine = crate::engine::build(ctx.clone(), config.resolver(), sources.clone());
        let site_dyn = rhai::serde::to_dynamic(ctx.site()).unwrap_or(Dynamic::UNIT);
        let constants = crate::engine::constants(site_dyn, dry_run);
        let origins = endpoints::origins(config, services.is_some());
        Ok(Session {
            ctx,
            engine,
            sources,
            constants,
            resolver: config.resolver(),
            origins,
            default_site: config.site_is_default,
            _services: services,
        })
    }

    /// The endpoint header: the MAAS URL with the whoami user and the Juju controller with
    /// its uuid, and where each came from.
    pub fn print_endpoints(&self) {
        for line in endpoints::header(&self.ctx, &self.origins) {
            self.ctx.report().line(&line);
        }
    }

    /// The first transcript line: run id, site, mode and where the journal goes.
    pub fn announce(&self, what: &str) {
        let journal = match self.ctx.gate().journal().path() {
            Some(p) => p.display().to_string(),
            None => {
                "none (dry-run: nothing is written; the plan is printed at the end)".to_string()
            }
        };
        let mode = if self.ctx.gate().is_dry_run() {
            " (dry-run)"
        } else {
            ""
        };
        let site = self.ctx.site();
        // Never a silent default: say when the site is the simulator, and why it was used.
        let kind = match (&site.sim, self.default_site) {
            (Some(_), true) => " (built-in simulator; the default without `--site`)",
            (Some(_), false) => " (built-in simulator)",
            (None, true) => " (the default without `--site`)",
            (None, false) => "",
        };
        self.ctx.report().line(&format!(
            "runbook {what}: site `{}`{kind}, run {}{mode}",
            site.name,
            self.ctx.run_id()
        ));
        self.ctx.report().line(&format!("journal: {journal}"));
        self.print_endpoints();
    }

    /// Compile `text` (known as `display`) with the constants; errors rendered. For a run
    /// that cannot confirm (no terminal, no `--yes`), tell the gate which confirmation the
    /// script can reach, if any (`reach`): the run is then refused at its first change,
    /// before anything changed, whatever the script checks itself.
    pub fn compile(&self, display: &str, text: &str) -> std::result::Result<rhai::AST, String> {
        self.sources
            .borrow_mut()
            .insert(display.to_string(), text.to_string());
        let mut ast = self
            .engine
            .compile_with_scope(&self.constants, text)
            .map_err(|e| crate::diagnostic::render_parse(&e, display, text))?;
        ast.set_source(display);
        let gate = self.ctx.gate();
        if !gate.can_confirm() {
            if let Some(what) =
                reach::confirmation(&self.engine, &self.constants, &self.resolver, display, &ast)
            {
                gate.expect_confirmation(what);
            }
        }
        Ok(ast)
    }

    /// How a script that ended with `err` ended, and the error text to print: refused when
    /// the journal records a refusal (the first reason wins: a batch refused a machine and
    /// the run went on, whatever stopped it later); else the [`Stop`] the error carries; else
    /// a signal (whatever error it cut short); else a script error.
    pub fn ending(&self, err: &EvalAltResult, display: &str) -> (Ending, String) {
        let stop = if self.refused_on_record() {
            Some(Stop::Refused(crate::diagnostic::message(err)))
        } else {
            Stop::of(err).or_else(|| {
                self.ctx
                    .interrupted()
                    .then(|| Stop::Interrupted("interrupted".into()))
            })
        };
        match stop {
            Some(Stop::Interrupted(_)) => {
                let signal = signals::received();
                let journal = self.ctx.gate().journal();
                let in_flight = crate::outcome::cut_short(&journal.lines());
                let detail = match &in_flight {
                    Some(what) => format!("interrupted by {}; {what}", signals::describe(signal)),
                    None => format!(
                        "interrupted by {} between steps; no effect was in flight",
                        signals::describe(signal)
                    ),
                };
                journal.record_interruption(display, signals::name(signal), &detail);
                let mut text = format!(
                    "error: interrupted ({}); the journal records where the run stopped\n",
                    signals::describe(signal)
                );
                if let Some(what) = in_flight {
                    text.push_str(&format!("note: {what}\n"));
                }
                (Ending::Interrupted(signal), text)
            }
            Some(Stop::Refused(_)) => {
                let text = crate::diagnostic::render(err, display, &self.sources.borrow());
                (Ending::Refused, text)
            }
            Some(Stop::Halted(reason)) => (
                Ending::Halted,
                format!("stopped: {reason}\nhint: routing stopped for a human to investigate; nothing further was changed\n"),
            ),
            None => (Ending::Error, crate::diagnostic::render(err, display, &self.sources.borrow())),
        }
    }

    /// What the journal says this run changed, in operator words.
    pub fn changes(&self) -> Vec<String> {
        crate::outcome::changes_from_journal(
            &self.ctx.gate().journal().lines(),
            self.ctx.site().targets.len(),
        )
    }

    /// After an error that came once the cloud was changed for real: record the §4
    /// scorecard as far as the systems still answer, so the operator sees where the cloud
    /// stands (the verdict is NO-GO). Returns whether it ran.
    pub fn score_after_failure(&self) -> bool {
        let lines = self.ctx.gate().journal().lines();
        if self.ctx.gate().is_dry_run() || !crate::outcome::destroyed_something(&lines) {
            return false;
        }
        let backup = lines
            .iter()
            .rev()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|l| l["effect"] == "seal_backup" && l["outcome"] == "executed")
            .filter_map(|l| {
                l["args"]["dir"]
                    .as_str()
                    .map(|d| Dynamic::from(d.to_string()))
            })
            .next()
            .unwrap_or(Dynamic::UNIT);
        let mut scope = self.constants.clone();
        scope.push_constant("failed_run_backup", backup);
        let script = "import \"acceptance\" as acceptance;\n\
                      acceptance::after_failure(#{ site: site, dry_run: false }, failed_run_backup);";
        let display = "<scorecard after the failure>";
        self.ctx.report().mark_scored_after_failure();
        let result = self
            .engine
            .compile_with_scope(&scope, script)
            .map_err(|e| e.to_string())
            .and_then(|ast| {
                self.engine
                    .run_ast_with_scope(&mut scope, &ast)
                    .map_err(|e| crate::diagnostic::render(&e, display, &self.sources.borrow()))
            });
        if let Err(text) = result {
            self.ctx.report().check(
                "scorecard",
                false,
                &format!("could not be read: {}", text.trim_end()),
            );
        }
        true
    }
}
