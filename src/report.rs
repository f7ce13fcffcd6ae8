//! What a run did: steps with their messages, acceptance checks, the route, the plan; the
//! verdict and the exit code. The transcript goes to stdout as it happens (so
//! `runbook run ... | tee run.log` keeps it), or to stderr under `--json`, where stdout
//! carries exactly one document; diagnostics (warnings, `debug()`) and progress always go
//! to stderr. `print()` goes to stdout (stderr under `--json`); `eval` keeps its transcript on stderr.

use std::cell::{Cell, RefCell};
use std::io::Write;

use serde::Serialize;

use crate::color::{self, Stream, Tone};
use crate::effects::{PlanEntry, Transcript};
use crate::outcome::Ending;
use crate::term::{escape, escape_line};

#[derive(Debug, Clone, Serialize)]
pub struct Message {
    pub level: &'static str,
    pub text: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub title: String,
    pub messages: Vec<Message>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub name: String,
    pub pass: bool,
    pub detail: String,
}

#[derive(Debug, Default)]
pub struct Report {
    pub json: bool,
    /// Where transcript lines go; `None`: stdout, or stderr under `--json`.
    transcript: Cell<Option<Stream>>,
    steps: RefCell<Vec<Step>>,
    checks: RefCell<Vec<Check>>,
    plan: RefCell<Vec<PlanEntry>>,
    route: RefCell<Option<String>>,
    failed: RefCell<bool>,
    /// How the run ended (set once the script returned or failed).
    ending: Cell<Option<Ending>>,
    /// An error run whose scorecard was still read (after the cloud was changed).
    scored: Cell<bool>,
    /// Why the journal on disk is incomplete, when it is: the account is then this run's
    /// memory of what it did, and says so.
    journal_incomplete: RefCell<Option<String>>,
}

impl Report {
    pub fn new(json: bool) -> Report {
        Report {
            json,
            ..Default::default()
        }
    }

    /// How the run ended; decides whether there is a verdict at all.
    pub fn set_ending(&self, ending: Ending) {
        self.ending.set(Some(ending));
    }

    pub fn ending(&self) -> Ending {
        self.ending.get().unwrap_or(Ending::Completed)
    }

    /// The journal on disk lacks lines of this run (`why`): the account says so.
    pub fn set_journal_incomplete(&self, why: Option<String>) {
        *self.journal_incomplete.borrow_mut() = why;
    }

    /// The checks recorded from here on are the scorecard of a run that failed after it
    /// changed the cloud: its verdict is NO-GO whatever they say.
    pub fn mark_scored_after_failure(&self) {
        self.scored.set(true);
    }

    /// Send the transcript to `stream` (`eval` keeps stdout for the value it prints).
    pub fn set_stream(&self, stream: Stream) {
        self.transcript.set(Some(stream));
    }

    /// Where the transcript goes: stdout, or stderr under `--json`.
    pub fn stream(&self) -> Stream {
        if let Some(stream) = self.transcript.get() {
            stream
        } else if self.json {
            Stream::Stderr
        } else {
            Stream::Stdout
        }
    }

    /// A transcript line.
    pub fn line(&self, text: &str) {
        let _ = match self.stream() {
            Stream::Stdout => writeln!(std::io::stdout(), "{text}"),
            Stream::Stderr => writeln!(std::io::stderr(), "{text}"),
        };
    }

    /// `text` coloured for the transcript's stream (see [`crate::color`]).
    fn paint(&self, tone: Tone, text: &str) -> String {
        color::paint(self.stream(), tone, text)
    }

    /// A diagnostic line (a warning, `debug()` output): always stderr.
    pub fn diag(&self, text: &str) {
        let _ = writeln!(std::io::stderr(), "{text}");
    }

    /// Script `print()`: stdout, or stderr under `--json`; control characters escaped.
    pub fn print(&self, text: &str) {
        let text = escape(text);
        if self.json {
            self.diag(&text);
        } else {
            println!("{text}");
        }
    }

    pub fn step(&self, title: &str) {
        self.line(&self.paint(Tone::Heading, &format!("==> {}", escape(title))));
        self.steps.borrow_mut().push(Step {
            title: title.to_string(),
            messages: Vec::new(),
        });
    }

    /// A transcript line as the script wrote it, kept in the current step as `info`.
    pub fn note(&self, text: &str) {
        self.line(&escape(text));
        self.record(Message {
            level: "info",
            text: text.to_string(),
        });
    }

    pub fn message(&self, level: &'static str, text: &str) {
        let (tag, tone) = match level {
            "ok" => ("  ok  ", Tone::Good),
            "warn" => ("  warn", Tone::Warn),
            "fail" => ("  FAIL", Tone::Bad),
            _ => ("  note", Tone::Quiet),
        };
        self.line(&format!("{} {}", self.paint(tone, tag), escape(text)));
        if level == "fail" {
            *self.failed.borrow_mut() = true;
        }
        self.record(Message {
            level,
            text: text.to_string(),
        });
    }

    /// Keep a message in the current step (a nameless one before the first `step`).
    fn record(&self, message: Message) {
        let mut steps = self.steps.borrow_mut();
        if steps.is_empty() {
            steps.push(Step {
                title: String::new(),
                messages: Vec::new(),
            });
        }
        if let Some(step) = steps.last_mut() {
            step.messages.push(message);
        }
    }

    pub fn check(&self, name: &str, pass: bool, detail: &str) {
        self.line(&format!(
            "  {} {}{}",
            if pass {
                self.paint(Tone::Good, "[GO]   ")
            } else {
                self.paint(Tone::Bad, "[NO-GO]")
            },
            escape(name),
            if detail.is_empty() {
                String::new()
            } else {
                format!(" — {}", escape(detail))
            }
        ));
        self.checks.borrow_mut().push(Check {
            name: name.to_string(),
            pass,
            detail: detail.to_string(),
        });
    }

    pub fn plan(&self, entry: PlanEntry) {
        self.line(&format!("  plan  {}", escape(&entry.command)));
        self.plan.borrow_mut().push(entry);
    }

    /// The effects planned so far (a dry run's plan), in order.
    pub fn planned(&self) -> Vec<PlanEntry> {
        self.plan.borrow().clone()
    }

    pub fn set_route(&self, route: &str) {
        self.line(&format!("  route: {}", escape_line(route)));
        *self.route.borrow_mut() = Some(route.to_string());
    }

    /// The run's verdict: what the checks say if the run completed (see
    /// [`Ending::verdict`]); none for a run that ended otherwise.
    pub fn verdict(&self) -> Option<&'static str> {
        self.ending()
            .verdict(self.checks_verdict(), self.scored.get())
    }

    /// The exit code: the one mapping in `outcome`, from the ending and the verdict.
    pub fn exit_code(&self) -> i32 {
        self.ending().exit_code(self.verdict())
    }

    /// Whether `fail()` was called in this run: its verdict is NO-GO whatever the checks say.
    pub fn has_failed(&self) -> bool {
        *self.failed.borrow()
    }

    /// `go` when every check passed, `no-go` when one failed or `fail()` was called, `None`
    /// when the run made no checks and reported no failure.
    pub fn checks_verdict(&self) -> Option<&'static str> {
        let checks = self.checks.borrow();
        if *self.failed.borrow() || checks.iter().any(|c| !c.pass) {
            Some("no-go")
        } else if checks.is_empty() {
            None
        } else {
            Some("go")
        }
    }

    /// The acceptance scorecard as a table (stderr), if there were checks.
    pub fn print_scorecard(&self) {
        let checks = self.checks.borrow();
        if checks.is_empty() {
            return;
        }
        let width = checks
            .iter()
            .map(|c| escape_line(&c.name).chars().count())
            .max()
            .unwrap_or(0)
            .max(5);
        self.line("");
        self.line(&self.paint(
            Tone::Heading,
            &format!("{:<width$}  {:<6}  detail", "check", "result"),
        ));
        for c in checks.iter() {
            // Pad before painting: escape codes have no width.
            let result = if c.pass {
                self.paint(Tone::Good, &format!("{:<6}", "GO"))
            } else {
                self.paint(Tone::Bad, &format!("{:<6}", "NO-GO"))
            };
            self.line(&format!(
                "{:<width$}  {result}  {}",
                escape_line(&c.name),
                escape_line(&c.detail)
            ));
        }
        // Only a run with a verdict says one: an unfinished run never reads as GO.
        if let Some(verdict) = self.verdict() {
            let tone = if verdict == "go" {
                Tone::Good
            } else {
                Tone::Bad
            };
            self.line(&format!(
                "verdict: {}",
                self.paint(tone, &verdict.to_uppercase())
            ));
        }
    }

    /// How a run that did not complete ended, and what it had already changed (from the
    /// journal), so the operator knows where the cloud stands.
    pub fn print_ending(&self, changes: &[String]) {
        self.print_ending_with(
            changes,
            "run the same command again; it detects where the teardown stands and finishes it",
        );
    }

    /// As [`Report::print_ending`], with `resume` saying how to continue after an
    /// interruption or an error that changed something (after `to continue: `).
    pub fn print_ending_with(&self, changes: &[String], resume: &str) {
        let ending = self.ending();
        let incomplete = self.journal_incomplete.borrow().clone();
        if let Some(why) = &incomplete {
            self.line("");
            self.line(&format!(
                "warning: the journal is incomplete ({}); what this run did is told from its own memory",
                escape(why)
            ));
        }
        if ending == Ending::Completed {
            return;
        }
        let source = if incomplete.is_some() {
            "this run's memory; the journal is incomplete"
        } else {
            "per the journal"
        };
        self.line("");
        self.line(&format!(
            "run ended: {}{}",
            ending.name(),
            if self.scored.get() {
                " after the cloud was changed (the scorecard above is as far as it could be read)"
            } else {
                " — no verdict"
            }
        ));
        if changes.is_empty() {
            self.line(&format!("already changed: nothing ({source})"));
        } else {
            self.line(&format!("already changed ({source}):"));
            for c in changes {
                self.line(&format!("  - {}", escape(c)));
            }
        }
        if matches!(ending, Ending::Interrupted(_) | Ending::Error) && !changes.is_empty() {
            self.line(&format!("to continue: {resume}"));
        }
    }

    pub fn print_plan_summary(&self) {
        let plan = self.plan.borrow();
        if plan.is_empty() {
            return;
        }
        self.line("");
        self.line(&format!(
            "dry-run plan ({} effect{}; nothing was changed):",
            plan.len(),
            if plan.len() == 1 { "" } else { "s" }
        ));
        for (i, p) in plan.iter().enumerate() {
            self.line(&format!(
                "  {}. [{}] {}",
                i + 1,
                serde_json::to_value(p.class)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                escape(&p.command)
            ));
        }
    }

    /// The `--json` document.
    pub fn document(
        &self,
        runbook: &str,
        site: &str,
        journal: Option<&std::path::Path>,
        extra: Option<(&str, serde_json::Value)>,
    ) -> serde_json::Value {
        let mut doc = serde_json::json!({
            "version": 1,
            "runbook": runbook,
            "site": site,
            "route": *self.route.borrow(),
            "steps": *self.steps.borrow(),
            "checks": *self.checks.borrow(),
            "verdict": self.verdict(),
            "outcome": self.ending().name(),
            "plan": *self.plan.borrow(),
            "journal": journal.map(|p| p.display().to_string()),
        });
        if let Some(map) = doc.as_object_mut() {
            if let Some((k, v)) = extra {
                map.insert(k.to_string(), v);
            }
            // Only when it is: why the journal on disk lacks lines of this run.
            if let Some(why) = self.journal_incomplete.borrow().as_ref() {
                map.insert("journal_incomplete".into(), why.clone().into());
            }
        }
        doc
    }
}

/// The gate's view of the report: the plan and the refusals it records.
impl Transcript for Report {
    fn plan(&self, entry: PlanEntry) {
        Report::plan(self, entry);
    }

    fn message(&self, level: &'static str, text: &str) {
        Report::message(self, level, text);
    }
}

/// A transcript line of a command outside a run's report: stdout, or stderr under `--json`.
pub fn say(json: bool, text: &str) {
    if json {
        eprintln!("{text}");
    } else {
        println!("{text}");
    }
}

/// The live line of a `wait_until`: an indicatif spinner with elapsed time on a terminal,
/// plain lines (when the value changes, or every 30 s) otherwise.
pub struct Progress {
    what: String,
    bar: Option<indicatif::ProgressBar>,
    last: RefCell<(String, std::time::Duration)>,
}

impl Progress {
    pub fn new(what: &str) -> Progress {
        let what: &str = &escape_line(what);
        use std::io::IsTerminal;
        // indicatif draws nothing on a terminal it can't drive (`TERM` unset or `dumb`, as
        // under some schedulers): then the plain lines, never a silent wait.
        let bar = std::io::stderr()
            .is_terminal()
            .then(indicatif::ProgressBar::new_spinner)
            .filter(|bar| !bar.is_hidden())
            .inspect(|bar| {
                if let Ok(style) = indicatif::ProgressStyle::with_template(
                    "{spinner} [{elapsed}] waiting for {prefix}: {msg}",
                ) {
                    bar.set_style(style);
                }
                bar.set_prefix(what.to_string());
                bar.enable_steady_tick(std::time::Duration::from_millis(200));
            });
        Progress {
            what: what.to_string(),
            bar,
            last: RefCell::new((String::new(), std::time::Duration::ZERO)),
        }
    }

    pub fn tick(&self, elapsed: std::time::Duration, value: &str) {
        let value: &str = &escape_line(value);
        if let Some(bar) = &self.bar {
            bar.set_message(value.to_string());
            return;
        }
        let mut last = self.last.borrow_mut();
        if last.0 != value || elapsed.saturating_sub(last.1).as_secs() >= 30 {
            let _ = writeln!(
                std::io::stderr(),
                "  wait  [{}s] {}: {value}",
                elapsed.as_secs(),
                self.what
            );
            *last = (value.to_string(), elapsed);
        }
    }

    /// Clear the live line; `ok` says whether the wait succeeded (a timeout reports itself).
    pub fn done(&self, elapsed: std::time::Duration, ok: bool) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        if ok {
            let _ = writeln!(
                std::io::stderr(),
                "  wait  [{}s] {}: done",
                elapsed.as_secs(),
                self.what
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::exit;

    #[test]
    fn verdicts_and_exit_codes() {
        let r = Report::new(true);
        assert_eq!((r.verdict(), r.exit_code()), (None, exit::GO));
        r.check("a", true, "");
        assert_eq!((r.verdict(), r.exit_code()), (Some("go"), exit::GO));
        r.check("b", false, "x");
        assert_eq!((r.verdict(), r.exit_code()), (Some("no-go"), exit::NO_GO));
        let r = Report::new(true);
        r.message("fail", "escalate");
        assert_eq!((r.verdict(), r.exit_code()), (Some("no-go"), exit::NO_GO));
    }

    #[test]
    fn a_run_that_did_not_complete_has_no_verdict() {
        let r = Report::new(true);
        r.check("a", true, "");
        r.set_ending(Ending::Error);
        assert_eq!((r.verdict(), r.exit_code()), (None, exit::ERROR));
        r.mark_scored_after_failure();
        assert_eq!((r.verdict(), r.exit_code()), (Some("no-go"), exit::NO_GO));
        let r = Report::new(true);
        r.check("a", true, "");
        r.set_ending(Ending::Interrupted(15));
        assert_eq!((r.verdict(), r.exit_code()), (None, 143));
        assert_eq!(r.document("t", "s", None, None)["outcome"], "interrupted");
    }

    #[test]
    fn document_has_the_contract_fields() {
        let r = Report::new(true);
        r.set_route("CLEAN");
        let doc = r.document("teardown", "demo", None, None);
        assert_eq!(
            doc,
            serde_json::json!({"version": 1, "runbook": "teardown", "site": "demo", "route": "CLEAN",
                "steps": [], "checks": [], "verdict": null, "outcome": "completed", "plan": [],
                "journal": null})
        );
        r.set_journal_incomplete(Some("cannot write the journal `j`: disk full".into()));
        assert_eq!(
            r.document("teardown", "demo", None, None)["journal_incomplete"],
            "cannot write the journal `j`: disk full"
        );
    }
}
