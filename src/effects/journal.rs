//! The append-only record of a run: one JSON line per effect in
//! `<state dir>/runs/<run-id>/journal.jsonl`. `runbook run` creates the file when it starts
//! ([`Journal::open`]), so a state dir it cannot write refuses the run before anything
//! changes; otherwise the file is created at the first line.
//!
//! A line that cannot be written makes the journal *incomplete* ([`Journal::incomplete`]):
//! the gate then admits no further change (none without its record), and the run's account
//! is told from the lines kept in memory, which has every line, and says so.
//!
//! In dry-run nothing is written anywhere (the file system stays unchanged): the journal is
//! kept in memory and the plan printed at the end is the record. Secrets never reach it:
//! effects carry no secrets by contract.

use std::cell::RefCell;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::effects::Effect;

/// `planned | executed | refused | failed | intent | unknown | cancelled` per effect; a
/// declined confirmation is `refused` (its detail says so). A run a signal ended has one more line, `interrupted`
/// ([`Journal::record_interruption`]): how the run ended, not an effect's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Planned,
    Executed,
    Refused,
    Failed,
    /// Written (and synced) before a destroy-class effect runs: after a SIGKILL, an intent
    /// without a later `executed`/`failed` line is what was in flight.
    Intent,
    /// Sent, but the run stopped before the answer came (`in_flight::OutcomeUnknown`): the
    /// system may or may not have done it; the detail says what to check.
    Unknown,
    /// Admitted (its intent written) but never sent: the stop came first (`in_flight::NotSent`).
    Cancelled,
}

impl Outcome {
    /// The outcome of an admitted effect whose action returned `e`: `unknown` or
    /// `cancelled` when a stop cut it short (see `in_flight`), else `failed`.
    pub fn of_error(e: &anyhow::Error) -> Outcome {
        if e.downcast_ref::<crate::in_flight::OutcomeUnknown>()
            .is_some()
        {
            Outcome::Unknown
        } else if e.downcast_ref::<crate::in_flight::NotSent>().is_some() {
            Outcome::Cancelled
        } else {
            Outcome::Failed
        }
    }
}

#[derive(Debug, Serialize)]
struct Line<'a> {
    time: String,
    run_id: &'a str,
    effect: &'a str,
    class: crate::effects::EffectClass,
    target: &'a str,
    args: &'a serde_json::Value,
    /// An effect's [`Outcome`], or `interrupted`.
    outcome: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
    duration_ms: u64,
}

/// One effect's outcome, as [`Journal::record_all`] takes it.
pub struct Entry<'a> {
    pub effect: &'a Effect,
    pub outcome: Outcome,
    pub detail: Option<&'a str>,
    pub duration_ms: u64,
}

pub struct Journal {
    run_id: String,
    path: PathBuf,
    in_memory: bool,
    lines: RefCell<Vec<String>>,
    /// Redacted from every line, as a safety net (effects carry no secrets by contract).
    secret: RefCell<Option<String>>,
    /// Why the first line that could not be written was not (`None`: every line is on disk).
    incomplete: RefCell<Option<String>>,
}

impl Journal {
    pub fn new(state_dir: &Path, run_id: &str, in_memory: bool) -> Journal {
        Journal {
            run_id: run_id.to_string(),
            path: state_dir.join("runs").join(run_id).join("journal.jsonl"),
            in_memory,
            lines: RefCell::new(Vec::new()),
            secret: RefCell::new(None),
            incomplete: RefCell::new(None),
        }
    }

    /// Create the run's directory and its (empty) journal file now, and sync them: the
    /// proof, before the run changes anything, that its record can be kept. Nothing in
    /// dry-run.
    pub fn open(&self) -> anyhow::Result<()> {
        if self.in_memory {
            return Ok(());
        }
        self.append(&[]).map_err(|e| self.failed(e))
    }

    /// Remove what [`Journal::open`] made, if no line was recorded: a run refused before
    /// it did anything (another run holds the site) leaves no journal of its own.
    pub fn discard_unused(&self) {
        if self.in_memory || !self.lines.borrow().is_empty() {
            return;
        }
        if std::fs::metadata(&self.path).is_ok_and(|m| m.len() == 0) {
            let _ = std::fs::remove_file(&self.path);
            if let Some(dir) = self.path.parent() {
                let _ = std::fs::remove_dir(dir);
            }
        }
    }

    /// Whether the journal can take a line now (its file opens for appending), checked
    /// right before a change whose line is written after it. An incomplete journal never
    /// can: a gap in the record would make the lines after it misleading.
    pub fn writable(&self) -> anyhow::Result<()> {
        if self.in_memory {
            return Ok(());
        }
        if let Some(why) = self.incomplete() {
            anyhow::bail!("{why}");
        }
        self.open()
    }

    /// The state dir the journal is under (`<state dir>/runs/<run-id>/journal.jsonl`).
    pub fn state_dir(&self) -> &Path {
        self.path
            .ancestors()
            .nth(3)
            .unwrap_or_else(|| Path::new("."))
    }

    /// Why the journal on disk lacks lines this run recorded (see the module doc), if it does.
    pub fn incomplete(&self) -> Option<String> {
        self.incomplete.borrow().clone()
    }

    /// Record the first failure to write (later ones add nothing): the error, naming the file.
    fn failed(&self, e: anyhow::Error) -> anyhow::Error {
        let e = anyhow::anyhow!("cannot write the journal `{}`: {e:#}", self.path.display());
        let mut incomplete = self.incomplete.borrow_mut();
        if incomplete.is_none() {
            *incomplete = Some(format!("{e:#}"));
        }
        e
    }

    /// Never write `secret` (the MAAS API key): it is replaced by `<redacted>`.
    pub fn redact(&self, secret: &str) {
        if !secret.is_empty() {
            *self.secret.borrow_mut() = Some(secret.to_string());
        }
    }

    /// The file path, or `None` in dry-run (nothing is written).
    pub fn path(&self) -> Option<&Path> {
        (!self.in_memory).then_some(self.path.as_path())
    }

    pub fn record(
        &self,
        effect: &Effect,
        outcome: Outcome,
        detail: Option<&str>,
        duration_ms: u64,
    ) {
        self.record_all(&[Entry {
            effect,
            outcome,
            detail,
            duration_ms,
        }]);
    }

    /// Record a batch (e.g. the outcomes of `release_all`): one write and one sync for all
    /// of them, instead of one per line.
    pub fn record_all(&self, entries: &[Entry]) {
        let first = self.incomplete().is_none();
        if let Err(e) = self.try_record_all(entries) {
            // Once: the run's account says the journal is incomplete.
            if first {
                eprintln!("warning: {e:#}");
            }
        }
    }

    /// As [`Journal::record_all`], but a line that cannot be written (and synced) is an
    /// error: write-ahead `intent` lines use it, so a destructive call never runs unrecorded.
    pub fn try_record_all(&self, entries: &[Entry]) -> anyhow::Result<()> {
        let texts: Vec<String> = entries.iter().map(|e| self.line_text(e)).collect();
        let written = if !self.in_memory && !texts.is_empty() {
            self.append(&texts).map_err(|e| self.failed(e))
        } else {
            Ok(())
        };
        self.lines.borrow_mut().extend(texts);
        written
    }

    /// The line that says a signal ended the run while `script` ran: how the run ended,
    /// not an effect. It reads as it always has (`"effect": "interrupt"`, `"class": "read"`,
    /// the signal's name in `args`), so earlier runs' journals read back the same way.
    pub fn record_interruption(&self, script: &str, signal: &str, detail: &str) {
        let text = self.text_of(&Line {
            time: now(),
            run_id: &self.run_id,
            effect: "interrupt",
            class: crate::effects::EffectClass::Read,
            target: script,
            args: &serde_json::json!({ "signal": signal }),
            outcome: "interrupted",
            detail: Some(detail),
            duration_ms: 0,
        });
        let first = self.incomplete().is_none();
        let written = if self.in_memory {
            Ok(())
        } else {
            self.append(std::slice::from_ref(&text))
                .map_err(|e| self.failed(e))
        };
        if let (Err(e), true) = (written, first) {
            eprintln!("warning: {e:#}");
        }
        self.lines.borrow_mut().push(text);
    }

    fn line_text(&self, entry: &Entry) -> String {
        let outcome = serde_json::to_value(entry.outcome).unwrap_or_default();
        self.text_of(&Line {
            time: now(),
            run_id: &self.run_id,
            effect: &entry.effect.name,
            class: entry.effect.class,
            target: &entry.effect.target,
            args: &entry.effect.args,
            outcome: outcome.as_str().unwrap_or_default(),
            detail: entry.detail,
            duration_ms: entry.duration_ms,
        })
    }

    /// One line's JSON text, the secret redacted.
    fn text_of(&self, line: &Line) -> String {
        let mut text = serde_json::to_string(&line).unwrap_or_default();
        if let Some(secret) = self.secret.borrow().as_deref() {
            text = text.replace(secret, "<redacted>");
        }
        text
    }

    fn append(&self, texts: &[String]) -> anyhow::Result<()> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        if !texts.is_empty() {
            let mut block = texts.join("\n");
            block.push('\n');
            f.write_all(block.as_bytes())?;
        }
        f.sync_data()?;
        Ok(())
    }

    pub fn lines(&self) -> Vec<String> {
        self.lines.borrow().clone()
    }
}

/// A line's time: UTC, milliseconds.
fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// `$XDG_STATE_HOME/runbook`, else `~/.local/state/runbook`.
pub fn default_state_dir() -> PathBuf {
    match std::env::var_os("XDG_STATE_HOME").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir).join("runbook"),
        None => dirs::home_dir()
            .unwrap_or_else(|| PathBuf::from("."))
            .join(".local/state/runbook"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::effects::EffectClass;

    #[test]
    fn lines_have_the_fields_and_secrets_are_redacted() {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::new(dir.path(), "r1", false);
        j.redact("s3cret");
        let e = Effect {
            name: "set_pointer".into(),
            class: EffectClass::Change,
            target: "p".into(),
            args: serde_json::json!({"oops": "s3cret"}),
            command: "c".into(),
            confirm: None,
        };
        j.record(&e, Outcome::Executed, None, 7);
        let text = std::fs::read_to_string(dir.path().join("runs/r1/journal.jsonl")).unwrap();
        let v: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
        assert_eq!(v["run_id"], "r1");
        assert_eq!(v["effect"], "set_pointer");
        assert_eq!(v["outcome"], "executed");
        assert_eq!(v["duration_ms"], 7);
        assert_eq!(v["args"]["oops"], "<redacted>");
        assert!(v["time"].is_string());
    }

    #[test]
    fn a_journal_that_cannot_be_written_says_why_and_stays_incomplete() {
        let dir = tempfile::tempdir().unwrap();
        // A file where the state dir should be.
        let state = dir.path().join("state");
        std::fs::write(&state, "").unwrap();
        let j = Journal::new(&state, "r3", false);
        let e = j.open().unwrap_err().to_string();
        assert!(
            e.starts_with(&format!(
                "cannot write the journal `{}/runs/r3/journal.jsonl`: ",
                state.display()
            )) && e.contains("os error"),
            "{e}"
        );
        assert_eq!(j.incomplete(), Some(e.clone()));
        let effect = Effect {
            name: "set_pointer".into(),
            class: EffectClass::Change,
            target: "p".into(),
            args: serde_json::json!({}),
            command: "c".into(),
            confirm: None,
        };
        // The line is kept in memory (the run's account), the journal stays incomplete
        // even once the dir can be written again.
        j.record(&effect, Outcome::Executed, None, 1);
        assert_eq!(j.lines().len(), 1);
        std::fs::remove_file(&state).unwrap();
        assert!(j.writable().is_err());
        assert_eq!(j.incomplete(), Some(e));
        // A journal that can be written: `open` makes the empty file.
        let ok = Journal::new(dir.path(), "r4", false);
        ok.open().unwrap();
        ok.writable().unwrap();
        assert_eq!(ok.state_dir(), dir.path());
        assert_eq!(std::fs::read_to_string(ok.path().unwrap()).unwrap(), "");
        assert_eq!(ok.incomplete(), None);
        ok.discard_unused();
        assert!(!dir.path().join("runs/r4").exists());
    }

    #[test]
    fn a_batch_is_one_line_per_effect_in_order_after_earlier_lines() {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::new(dir.path(), "r2", false);
        let effect = |target: &str| Effect {
            name: "release".into(),
            class: EffectClass::Destroy,
            target: target.into(),
            args: serde_json::json!({}),
            command: "c".into(),
            confirm: None,
        };
        let (a, b, c) = (effect("a"), effect("b"), effect("c"));
        j.record(&a, Outcome::Executed, None, 1);
        j.record_all(&[
            Entry {
                effect: &b,
                outcome: Outcome::Executed,
                detail: None,
                duration_ms: 2,
            },
            Entry {
                effect: &c,
                outcome: Outcome::Failed,
                detail: Some("409"),
                duration_ms: 2,
            },
        ]);
        let text = std::fs::read_to_string(dir.path().join("runs/r2/journal.jsonl")).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let seen: Vec<(&str, &str)> = lines
            .iter()
            .map(|l| {
                (
                    l["target"].as_str().unwrap(),
                    l["outcome"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [("a", "executed"), ("b", "executed"), ("c", "failed")]
        );
        assert_eq!(lines[2]["detail"], "409");
    }
}
