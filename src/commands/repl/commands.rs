//! The REPL's `:` commands. They all start with `:` so they never clash with a script's
//! names. Each one prints its own result (information on stdout, errors on stderr in the
//! `error: …` voice) and tells the loop whether to go on.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{bail, Context, Result};

use super::session::{ReplSession, Saved};
use crate::effects::Confirmation;

/// Every command: name, argument, what it does (`:help` prints this).
pub const COMMANDS: &[(&str, &str, &str)] = &[
    (":help", "", "this list"),
    (
        ":doc",
        "NAME",
        "a primitive's signature, effect class and documentation",
    ),
    (
        ":arm",
        "",
        "execute state-changing calls from now on (asks to confirm: site, MAAS, Juju controller)",
    ),
    (
        ":disarm",
        "",
        "plan state-changing calls again instead of executing them",
    ),
    (
        ":site",
        "NAME",
        "switch to another site (disarms; variables and functions stay)",
    ),
    (":load", "RUNBOOK", "run a runbook in the session scope"),
    (":plan", "", "the state-changing calls planned so far"),
    (
        ":save",
        "FILE",
        "write the entries that ran without error as a draft runbook",
    ),
    (":scope", "", "the session's variables"),
    (":history", "", "recent entries (kept across sessions)"),
    (":quit", "", "leave the REPL (also Ctrl-D)"),
];

/// Whether the loop goes on.
#[derive(Debug, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Quit,
}

/// What commands need from the terminal: a question answered, the history.
pub trait Terminal {
    /// One line typed after `prompt`; `None` on Ctrl-C / Ctrl-D.
    fn ask(&mut self, prompt: &str) -> Option<String>;
    fn history(&self) -> Vec<String>;
}

/// Run the command line `line` (starting with `:`).
pub fn execute(line: &str, session: &mut ReplSession, terminal: &mut dyn Terminal) -> Flow {
    let line = line.trim();
    let (name, arg) = match line.split_once(char::is_whitespace) {
        Some((name, arg)) => (name, arg.trim()),
        None => (line, ""),
    };
    let Some((_, wanted, _)) = COMMANDS.iter().find(|(c, ..)| *c == name) else {
        eprintln!(
            "error: unknown command `{name}`\nhint: `:help` lists the commands; Rhai code never starts with `:`"
        );
        return Flow::Continue;
    };
    if wanted.is_empty() && !arg.is_empty() {
        eprintln!("error: `{name}` takes no argument (got `{arg}`)");
        return Flow::Continue;
    }
    if !wanted.is_empty() && arg.is_empty() {
        eprintln!(
            "error: `{name}` needs {wanted}, e.g. `{name} {}`",
            example(name)
        );
        return Flow::Continue;
    }
    let result = match name {
        ":help" => {
            print!("{}", help());
            Ok(())
        }
        ":doc" => doc(arg),
        ":arm" => arm(session, terminal),
        ":disarm" => disarm(session),
        ":site" => site(session, arg),
        ":load" => load(session, arg),
        ":plan" => {
            plan(session);
            Ok(())
        }
        ":save" => save(session, Path::new(arg)),
        ":scope" => {
            print!("{}", scope(session));
            Ok(())
        }
        ":history" => {
            print!("{}", history(&terminal.history()));
            Ok(())
        }
        _ => return Flow::Quit,
    };
    if let Err(e) = result {
        eprintln!("error: {}", crate::commands::chain(&e));
    }
    Flow::Continue
}

fn example(name: &str) -> &'static str {
    match name {
        ":doc" => "release",
        ":site" => "demo",
        ":load" => "verify",
        _ => "draft.rhai",
    }
}

pub fn help() -> String {
    let mut out = String::from(
        "Type Rhai to run it (an unfinished entry continues on the next line).\n\
         Read-only until `:arm`: state-changing calls are planned and shown, not executed.\n\n",
    );
    for (name, arg, what) in COMMANDS {
        let _ = writeln!(out, "  {:<16} {what}", format!("{name} {arg}").trim_end());
    }
    out.push_str(
        "\nTab completes names and `site.` keys; Ctrl-C clears the line; Ctrl-D leaves.\n",
    );
    out
}

fn doc(name: &str) -> Result<()> {
    let catalogue = crate::commands::doc::catalogue()?;
    let found: Vec<_> = catalogue.iter().filter(|d| d.name == name).collect();
    if found.is_empty() {
        let near: Vec<&str> = catalogue
            .iter()
            .map(|d| d.name.as_str())
            .filter(|n| n.contains(name) || name.contains(*n))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let hint = if near.is_empty() {
            "`runbook doc` lists every primitive".to_string()
        } else {
            format!("did you mean {}?", near.join(", "))
        };
        bail!("no primitive `{name}`\nhint: {hint}");
    }
    for d in found {
        println!(
            "{}    [{}]",
            d.signature,
            d.effect.as_deref().unwrap_or("no effect class")
        );
        for line in d.doc.lines() {
            println!("    {line}");
        }
    }
    Ok(())
}

/// The controller `juju_controllers()` marks current, or why it is not known.
fn current_controller(session: &ReplSession) -> String {
    let found = session
        .engine()
        .eval::<rhai::Dynamic>("juju_controllers()")
        .map_err(|e| crate::diagnostic::message(&e))
        .and_then(|v| serde_json::to_value(&v).map_err(|e| format!("unexpected answer: {e}")));
    match found {
        Err(e) => format!("unknown (cannot read `juju_controllers()`: {e})"),
        Ok(list) => {
            let all: Vec<&serde_json::Value> = list
                .as_array()
                .map(|a| a.iter().collect())
                .unwrap_or_default();
            let name = |c: &serde_json::Value| c["name"].as_str().unwrap_or("?").to_string();
            match all.iter().find(|c| c["current"] == true) {
                Some(c) => name(c),
                None if all.is_empty() => "none (Juju knows no controller)".to_string(),
                None => format!(
                    "none current (known: {})",
                    all.iter().map(|c| name(c)).collect::<Vec<_>>().join(", ")
                ),
            }
        }
    }
}

/// The question `:arm` asks: the site, where MAAS is, which Juju controller.
pub fn arm_confirmation(site: &str, maas: &str, controller: &str) -> Confirmation {
    Confirmation {
        summary: format!(
            "Arming executes state-changing calls for real (guards still apply; destructive ones still ask).\n  \
             site:            {site}\n  \
             MAAS:            {maas}\n  \
             Juju controller: {controller}"
        ),
        question: "type the site name to arm this session".to_string(),
        expected: site.to_string(),
    }
}

fn arm(session: &mut ReplSession, terminal: &mut dyn Terminal) -> Result<()> {
    if session.is_armed() {
        println!("already armed");
        return Ok(());
    }
    // Like every other typed confirmation: a person at a terminal, not a line in a pipe.
    if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        bail!("not armed: arming needs the site name typed at a terminal, and the REPL's input is not one; the session stays read-only\nhint: a script that changes the cloud is a runbook: `runbook run FILE --site SITE`");
    }
    // Taken before asking: an armed session changes the site, one at a time (see site_lock).
    let lock = match crate::commands::site_lock::take(session.ctx(), "runbook repl, armed")? {
        Ok(lock) => lock,
        Err(text) => bail!("not armed: {text}"),
    };
    let ctx = session.ctx();
    let site = ctx.site().name.clone();
    let maas = ctx
        .maas_url()
        .unwrap_or_else(|| "not configured (`MAAS_URL` or site `maas.url`)".to_string());
    let c = arm_confirmation(&site, &maas, &current_controller(session));
    eprintln!("{}", c.summary);
    let answer = terminal.ask(&format!("{} [{}]: ", c.question, c.expected));
    match answer {
        Some(a) if a.trim() == c.expected => {
            session.hold_lock(lock);
            session.set_armed(true);
            eprintln!(
                "ARMED: state-changing calls now run against site `{site}`; `:disarm` to go back"
            );
            Ok(())
        }
        Some(a) => bail!(
            "not armed: typed `{}`, expected `{}`; the session stays read-only",
            a.trim(),
            c.expected
        ),
        None => bail!("not armed (no answer); the session stays read-only"),
    }
}

fn disarm(session: &mut ReplSession) -> Result<()> {
    if !session.is_armed() {
        println!("already read-only");
        return Ok(());
    }
    session.set_armed(false);
    eprintln!("read-only: state-changing calls are planned again, not executed");
    Ok(())
}

fn site(session: &mut ReplSession, name: &str) -> Result<()> {
    session
        .switch_site(name)
        .with_context(|| format!("still on site `{}`", session.ctx().site().name))?;
    eprintln!(
        "site `{}` (read-only); variables and functions kept, `site` is the new site",
        session.ctx().site().name
    );
    Ok(())
}

fn load(session: &mut ReplSession, name: &str) -> Result<()> {
    let before = session.planned_count();
    let outcome = session.load(name)?;
    super::show(session, outcome, before);
    Ok(())
}

fn plan(session: &ReplSession) {
    if session.planned_count() == 0 {
        println!("nothing planned in this session");
    } else {
        session.ctx().report().print_plan_summary();
    }
}

/// The draft runbook of the session: a header, then every entry that ran, in order.
pub fn draft(session: &ReplSession) -> String {
    let ctx = session.ctx();
    let mut out = format!(
        "// Draft runbook saved by `runbook repl` (site `{}`, session {}).\n\
         // The entries that ran without error, in order. Review it before running it.\n",
        ctx.site().name,
        ctx.run_id()
    );
    let parser = rhai::Engine::new_raw();
    for saved in session.saved() {
        match saved {
            Saved::Note(note) => {
                let _ = writeln!(out, "\n// {note}");
            }
            Saved::Entry(text) => {
                let text = text.trim_end();
                out.push('\n');
                out.push_str(text);
                // Statements need a `;` between them unless they end a block.
                if parser.compile(format!("{text}\nlet probe = 0;")).is_err() {
                    out.push(';');
                }
                out.push('\n');
            }
        }
    }
    out
}

fn save(session: &ReplSession, path: &Path) -> Result<()> {
    if path.exists() {
        bail!(
            "`{}` already exists; not overwriting it\nhint: save under another name, or remove it first",
            path.display()
        );
    }
    let text = draft(session);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the folder `{}`", dir.display()))?;
    }
    std::fs::write(path, &text)
        .with_context(|| format!("cannot write the draft runbook `{}`", path.display()))?;
    let entries = session
        .saved()
        .iter()
        .filter(|s| matches!(s, Saved::Entry(_)))
        .count();
    eprintln!(
        "saved {entries} entr{} to `{}`; check it with `runbook check {}`",
        if entries == 1 { "y" } else { "ies" },
        path.display(),
        path.display()
    );
    // Checked as `runbook check` checks a runbook (strict variables, undefined functions,
    // imports): an entry that leaned on one that failed, or on a `:load`, shows now.
    let file = crate::resolve::SourceFile {
        display: path.display().to_string(),
        text,
    };
    let problems =
        crate::commands::check::check_file(&session.config.resolver(), session.ctx().site(), &file);
    if !problems.is_empty() {
        eprint!(
            "warning: the draft does not compile yet; edit it before running it\n{}",
            problems.concat()
        );
    }
    Ok(())
}

fn scope(session: &ReplSession) -> String {
    let mut out = String::new();
    for (name, constant, value) in session.scope().iter() {
        let preview = serde_json::to_string(&value).unwrap_or_else(|_| value.to_string());
        let preview = if preview.chars().count() > 60 {
            format!("{}…", preview.chars().take(59).collect::<String>())
        } else {
            preview
        };
        let _ = writeln!(
            out,
            "{}{name}: {} = {preview}",
            if constant { "const " } else { "" },
            value.type_name()
        );
    }
    for f in session.functions().iter_functions() {
        let _ = writeln!(out, "fn {}({})", f.name, f.params.join(", "));
    }
    for i in session.imports() {
        let _ = writeln!(out, "import \"{}\" as {}", i.path, i.alias);
    }
    out
}

fn history(entries: &[String]) -> String {
    let skip = entries.len().saturating_sub(50);
    let mut out = String::new();
    for (i, entry) in entries.iter().enumerate().skip(skip) {
        let mut lines = entry.lines();
        let _ = writeln!(out, "{:>5}  {}", i + 1, lines.next().unwrap_or(""));
        for line in lines {
            let _ = writeln!(out, "       {line}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draft_holds_entries_that_ran_and_compiles_strictly() {
        let (_t, mut s) = crate::commands::repl::session::tests::session();
        for entry in [
            "let a = 1",
            "fn f() { 2 }",
            "#{x: a}",
            "if a > 0 { a } else { 0 }",
            "let b = f() + a\n",
            "nope()",
            "a = 5;",
        ] {
            s.eval(entry);
        }
        let text = draft(&s);
        assert!(!text.contains("nope"), "{text}");
        assert!(text.contains("let a = 1;\n"), "{text}");
        assert!(text.contains("fn f() { 2 }\n"), "{text}");
        assert!(text.contains("#{x: a};\n"), "{text}");
        assert!(text.contains("a = 5;\n"), "{text}");
        let constants = crate::engine::constants(rhai::Dynamic::UNIT, false);
        crate::engine::bare()
            .compile_with_scope(&constants, &text)
            .unwrap_or_else(|e| panic!("{e}\n{text}"));
    }

    #[test]
    fn help_lists_every_command() {
        let text = help();
        for (name, ..) in COMMANDS {
            assert!(text.contains(name), "{name} missing from\n{text}");
        }
    }

    #[test]
    fn arm_confirmation_names_site_maas_and_controller() {
        let c = arm_confirmation("demo", "http://127.0.0.1:5240/MAAS", "sim-controller");
        assert!(c.summary.contains("demo"));
        assert!(c.summary.contains("http://127.0.0.1:5240/MAAS"));
        assert!(c.summary.contains("sim-controller"));
        assert_eq!(c.expected, "demo");
    }

    #[test]
    fn history_numbers_and_indents_multiline_entries() {
        let h = history(&["1 + 2".into(), "fn f() {\n  1\n}".into()]);
        assert_eq!(h, "    1  1 + 2\n    2  fn f() {\n         1\n       }\n");
    }
}
