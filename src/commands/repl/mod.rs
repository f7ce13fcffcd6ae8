//! `runbook repl`: an interactive session for an operator investigating a live cloud,
//! with the same engine, primitives, site and effects gate as `runbook run`.
//!
//! Read-only until `:arm`: the gate plans state-changing calls (and the REPL says so)
//! instead of making them. This module owns the loop — read a line, run a `:` command or
//! evaluate the entry, show the value — and the history file; `session` holds the state,
//! `commands` the `:` commands, `helper` completion, hints and multi-line input, `table`
//! how values are shown.

mod commands;
mod helper;
mod session;
mod table;

use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;

use anyhow::{Context, Result};
use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;
use rustyline::Editor;

use crate::cli::ReplArgs;
use crate::config::Config;
use crate::resolve::Kind;
use commands::{Flow, Terminal};
use helper::{Names, ReplHelper};
use session::{Outcome, ReplSession};

pub fn run(config: &Config, _args: &ReplArgs) -> Result<i32> {
    if config.json {
        anyhow::bail!("`--json` does not apply to `runbook repl`; use `runbook eval --json EXPR` for one value as JSON");
    }
    let mut session = ReplSession::start(config)?;
    let names = Rc::new(RefCell::new(static_names(&session)?));
    refresh_site_names(&names, &session);
    let mut editor = ReplEditor::new(names.clone())?;
    announce(&session, &editor.history_file);
    loop {
        refresh_session_names(&names, &session);
        let line = match editor.editor.readline(&prompt(&session)) {
            Ok(line) => line,
            // Ctrl-C at the prompt clears the line.
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(e).context("cannot read from the terminal"),
        };
        if line.trim().is_empty() {
            continue;
        }
        editor.remember(&line);
        if line.trim_start().starts_with(':') {
            let site = session.ctx().site().name.clone();
            if commands::execute(&line, &mut session, &mut editor) == Flow::Quit {
                break;
            }
            if session.ctx().site().name != site {
                refresh_site_names(&names, &session);
            }
        } else {
            let before = session.planned_count();
            let outcome = session.eval(&line);
            show(&session, outcome, before);
        }
    }
    Ok(crate::outcome::Ending::Completed.exit_code(None))
}

/// Print what an entry did: its value (stdout) or error (stderr), and, when unarmed, that
/// state-changing calls were planned rather than made.
fn show(session: &ReplSession, outcome: Outcome, planned_before: usize) {
    match outcome {
        Outcome::Value(value) => {
            let text = table::render(&value);
            if !text.is_empty() {
                println!("{text}");
            }
        }
        Outcome::Error(text) => eprint!("{}", crate::term::escape(&text)),
        Outcome::Interrupted => {
            eprintln!("interrupted (Ctrl-C): the entry stopped; the session goes on")
        }
    }
    let planned = session.planned_count().saturating_sub(planned_before);
    if planned > 0 {
        eprintln!(
            "read-only: {planned} state-changing call{} planned, not executed (shown as `plan` above; `:arm` to execute)",
            if planned == 1 { " was" } else { "s were" }
        );
    }
}

fn prompt(session: &ReplSession) -> String {
    let mode = if session.is_armed() {
        "ARMED"
    } else {
        "read-only"
    };
    format!("{} ({mode})> ", session.ctx().site().name)
}

fn announce(session: &ReplSession, history: &Option<PathBuf>) {
    let ctx = session.ctx();
    eprintln!(
        "runbook repl: site `{}`, session {}; read-only until `:arm` (state-changing calls are planned, not executed)",
        ctx.site().name,
        ctx.run_id()
    );
    if let Some(path) = ctx.gate().journal().path() {
        eprintln!(
            "journal: {} (written at the first state-changing call)",
            path.display()
        );
    }
    if history.is_none() {
        eprintln!("warning: no home or state directory: history is kept for this session only");
    }
    eprintln!("`:help` lists the commands; Tab completes; Ctrl-D leaves");
}

/// Names that do not change during a session: primitives with signatures, stdlib.
fn static_names(session: &ReplSession) -> Result<Names> {
    let mut names = Names::default();
    for d in crate::commands::doc::catalogue()? {
        names
            .primitives
            .entry(d.name)
            .or_default()
            .push(d.signature);
    }
    let meta = session
        .engine()
        .gen_fn_metadata_to_json(true)
        .context("cannot read the engine's metadata")?;
    let meta: serde_json::Value =
        serde_json::from_str(&meta).context("the engine's metadata is not JSON")?;
    let mut stdlib: Vec<String> = meta["functions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["name"].as_str())
        .filter(|n| is_identifier(n) && !names.primitives.contains_key(*n))
        .map(str::to_string)
        .collect();
    stdlib.sort();
    stdlib.dedup();
    names.stdlib = stdlib;
    Ok(names)
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Names that change with the site: `site.` keys, runbooks, sites.
fn refresh_site_names(names: &Rc<RefCell<Names>>, session: &ReplSession) {
    let mut n = names.borrow_mut();
    let resolver = session.config.resolver();
    n.site = serde_json::to_value(session.ctx().site()).unwrap_or_default();
    n.runbooks = resolver.list(Kind::Runbook).into_iter().collect();
    n.sites = resolver.sites().into_iter().collect();
}

/// Names that change with each entry: variables and functions.
fn refresh_session_names(names: &Rc<RefCell<Names>>, session: &ReplSession) {
    let mut n = names.borrow_mut();
    n.variables = session
        .scope()
        .iter_raw()
        .map(|(name, ..)| name.to_string())
        .collect();
    n.variables
        .extend(session.imports().iter().map(|i| i.alias.clone()));
    n.modules = session.module_functions().clone();
    n.functions = session
        .functions()
        .iter_functions()
        .map(|f| f.name.to_string())
        .collect();
}

/// The line editor and the history file it is saved to.
struct ReplEditor {
    editor: Editor<ReplHelper, DefaultHistory>,
    history_file: Option<PathBuf>,
    warned: bool,
}

/// `$XDG_STATE_HOME/runbook/repl_history`, else `~/.local/state/runbook/repl_history`.
fn history_file() -> Option<PathBuf> {
    let has_base = std::env::var_os("XDG_STATE_HOME").is_some_and(|v| !v.is_empty())
        || dirs::home_dir().is_some();
    has_base.then(|| crate::effects::journal::default_state_dir().join("repl_history"))
}

impl ReplEditor {
    fn new(names: Rc<RefCell<Names>>) -> Result<ReplEditor> {
        let config = rustyline::Config::builder()
            .auto_add_history(false)
            .max_history_size(1000)
            .context("cannot configure the line editor")?
            .history_ignore_dups(true)
            .context("cannot configure the line editor")?
            .completion_type(rustyline::CompletionType::List)
            .build();
        let mut editor = Editor::with_config(config).context("cannot start the line editor")?;
        editor.set_helper(Some(ReplHelper::new(names)));
        let history_file = history_file();
        if let Some(path) = &history_file {
            if path.exists() {
                if let Err(e) = editor.load_history(path) {
                    eprintln!(
                        "warning: cannot read the REPL history `{}`: {e}; starting with none",
                        path.display()
                    );
                }
            }
        }
        Ok(ReplEditor {
            editor,
            history_file,
            warned: false,
        })
    }

    /// Add an entry to the history and append it to the file (rewriting the whole file per
    /// entry costs milliseconds); a failure warns once, never stops.
    fn remember(&mut self, line: &str) {
        let _ = self.editor.add_history_entry(line);
        let Some(path) = &self.history_file else {
            return;
        };
        let saved = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .map_err(anyhow::Error::from)
            .and_then(|()| {
                self.editor
                    .append_history(path)
                    .map_err(anyhow::Error::from)
            });
        if let Err(e) = saved {
            if !self.warned {
                eprintln!(
                    "warning: cannot save the REPL history to `{}`: {e}; it is kept for this session only",
                    path.display()
                );
                self.warned = true;
            }
        }
    }
}

impl Terminal for ReplEditor {
    fn ask(&mut self, prompt: &str) -> Option<String> {
        let names = self.editor.helper().map(|h| h.names.clone());
        let set = |answering: bool| {
            if let Some(n) = &names {
                n.borrow_mut().answering = answering;
            }
        };
        set(true);
        let answer = self.editor.readline(prompt).ok();
        set(false);
        answer
    }

    fn history(&self) -> Vec<String> {
        self.editor.history().iter().cloned().collect()
    }
}
