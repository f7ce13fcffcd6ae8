//! How a run ended, and the one place that turns that into an exit code.
//!
//! A verdict (GO / NO-GO) is only ever given for a run that completed. A run that ended in
//! an error, a refusal, a halt or an interruption has no verdict — except that an error after
//! the cloud was changed still gets the scorecard (read as far as the systems answer) and is
//! NO-GO: the operator must see what state the cloud was left in.

/// Exit codes, as README.md and `runbook --help` list them.
pub mod exit {
    pub const GO: i32 = 0;
    pub const NO_GO: i32 = 1;
    pub const ERROR: i32 = 2;
    pub const STOPPED: i32 = 3;
    pub const REFUSED: i32 = 4;
    /// SIGINT; SIGTERM is 143 and SIGHUP 129 (128 + the signal, see `outcome`).
    pub const INTERRUPTED: i32 = 130;
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// The script ran to its end.
    Completed,
    /// A script or system error.
    Error,
    /// A guard refused, or a confirmation was declined.
    Refused,
    /// `halt()`: routing stopped for a human.
    Halted,
    /// A signal (its number: SIGINT 2, SIGTERM 15, SIGHUP 1).
    Interrupted(i32),
}

impl Ending {
    /// The `--json` `outcome` field.
    pub fn name(self) -> &'static str {
        match self {
            Ending::Completed => "completed",
            Ending::Error => "error",
            Ending::Refused => "refused",
            Ending::Halted => "halted",
            Ending::Interrupted(_) => "interrupted",
        }
    }

    /// The verdict this ending allows: `verdict` (what the checks said) only when the run
    /// completed; NO-GO for an error that still got its scorecard (`scored`); else none.
    pub fn verdict(self, verdict: Option<&'static str>, scored: bool) -> Option<&'static str> {
        match self {
            Ending::Completed => verdict,
            Ending::Error if scored => Some("no-go"),
            _ => None,
        }
    }

    /// The exit code, from the ending and the verdict it allows (see [`Ending::verdict`]).
    pub fn exit_code(self, verdict: Option<&'static str>) -> i32 {
        match (self, verdict) {
            (_, Some("no-go")) => exit::NO_GO,
            (Ending::Completed, _) => exit::GO,
            (Ending::Error, _) => exit::ERROR,
            (Ending::Refused, _) => exit::REFUSED,
            (Ending::Halted, _) => exit::STOPPED,
            (Ending::Interrupted(signal), _) => 128 + signal,
        }
    }
}

/// What the journal says this run already changed, in operator words (e.g. "destroy of
/// `openstack` was issued at 10:02:11 UTC", "3 of 5 releases done"). `targets`: how many
/// machines the site tears down (the "of N"); 0 when unknown.
pub fn changes_from_journal(lines: &[String], targets: usize) -> Vec<String> {
    let lines: Vec<serde_json::Value> = lines
        .iter()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let field = |l: &serde_json::Value, k: &str| l[k].as_str().unwrap_or_default().to_string();
    let executed = |name: &str| -> Vec<&serde_json::Value> {
        lines
            .iter()
            .filter(|l| l["effect"] == name && l["outcome"] == "executed")
            .collect()
    };
    let clock = |l: &serde_json::Value| {
        let time = field(l, "time");
        chrono::DateTime::parse_from_rfc3339(&time)
            .map(|t| t.format("%H:%M:%S UTC").to_string())
            .unwrap_or(time)
    };
    let mut out = Vec::new();
    let sealed: Vec<&str> = executed("seal_backup")
        .iter()
        .filter_map(|l| l["args"]["dir"].as_str())
        .collect();
    // A backup dir made and written to but never sealed is a change too (a stopped Phase A).
    for l in executed("backup_dir") {
        let dir = field(l, "target");
        if !sealed.contains(&dir.as_str()) {
            let files = executed("write_backup")
                .iter()
                .filter(|w| w["args"]["dir"].as_str() == Some(dir.as_str()))
                .count();
            out.push(format!(
                "backup directory {dir} created, {files} file(s) written; incomplete, no seal"
            ));
        }
    }
    for l in executed("seal_backup") {
        let dir = l["args"]["dir"].as_str().unwrap_or_default();
        out.push(format!("backup sealed for {}: {dir}", field(l, "target")));
    }
    for l in executed("set_pointer") {
        let to = l["args"]["target"].as_str().unwrap_or_default();
        out.push(format!("pointer {} → {to}", field(l, "target")));
    }
    let in_flight: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["outcome"] == "intent")
        .filter(|intent| {
            !lines.iter().any(|l| {
                l["effect"] == intent["effect"]
                    && l["target"] == intent["target"]
                    && l["outcome"] != "intent"
                    && l["time"].as_str() >= intent["time"].as_str()
            })
        })
        .collect();
    for l in executed("juju_destroy_model") {
        out.push(format!(
            "destroy of {} was issued at {} (the controller carries it on by itself)",
            field(l, "target"),
            clock(l)
        ));
    }
    // A destroy Juju did not confirm (interrupted, timed out, failed) once its command was
    // issued (the write-ahead intent): the controller may carry it on all the same.
    for intent in lines
        .iter()
        .filter(|l| l["effect"] == "juju_destroy_model" && l["outcome"] == "intent")
    {
        let failed = lines.iter().any(|l| {
            l["effect"] == "juju_destroy_model"
                && l["target"] == intent["target"]
                && l["outcome"] == "failed"
                && l["time"].as_str() >= intent["time"].as_str()
        });
        if failed {
            out.push(format!(
                "destroy of {} was issued at {} (the controller may carry on)",
                field(intent, "target"),
                clock(intent)
            ));
        }
    }
    let released = executed("release").len();
    let release_sent = lines
        .iter()
        .any(|l| l["effect"] == "release" && l["outcome"] == "intent");
    if released > 0 || targets > 0 && (release_sent || !executed("juju_destroy_model").is_empty()) {
        let of = if targets > 0 {
            format!(" of {targets}")
        } else {
            String::new()
        };
        out.push(format!("{released}{of} releases done"));
    }
    let removed = executed("juju_remove_machine").len();
    if removed > 0 {
        out.push(format!("{removed} lingering machine(s) force-removed"));
    }
    let wiped = executed("wipe_qcow2").len();
    if wiped > 0 {
        out.push(format!("{wiped} OSD disk(s) wiped"));
    }
    for l in in_flight {
        out.push(format!(
            "in flight when the run stopped: {} of {} (started {}; its outcome is not recorded)",
            field(l, "effect"),
            field(l, "target"),
            clock(l)
        ));
    }
    // Sent, but the run stopped before the answer: the detail says what to check.
    for l in lines.iter().filter(|l| l["outcome"] == "unknown") {
        out.push(format!(
            "{} of {}: outcome unknown — {}",
            field(l, "effect"),
            field(l, "target"),
            field(l, "detail")
        ));
    }
    let cancelled = lines.iter().filter(|l| l["outcome"] == "cancelled").count();
    if cancelled > 0 {
        out.push(format!(
            "{cancelled} admitted change(s) not sent: the run stopped first (nothing changed by them)"
        ));
    }
    out
}

/// The effect a signal cut short, from the journal: the last destroy-class `intent` with no
/// outcome after it, or the last effect that failed because it was interrupted. Named for
/// the `interrupted` journal line and the transcript; `juju_destroy_model` says that the
/// controller may carry on.
pub fn cut_short(lines: &[String]) -> Option<String> {
    let lines: Vec<serde_json::Value> = lines
        .iter()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let (i, l) = lines.iter().enumerate().rev().find(|(i, l)| {
        let open_intent = l["outcome"] == "intent"
            && !lines[i + 1..]
                .iter()
                .any(|o| o["effect"] == l["effect"] && o["target"] == l["target"]);
        let interrupted = l["outcome"] == "failed"
            && l["detail"]
                .as_str()
                .is_some_and(|d| d.starts_with("interrupted"));
        open_intent || interrupted || l["outcome"] == "unknown"
    })?;
    let _ = i;
    let effect = l["effect"].as_str().unwrap_or_default();
    let target = l["target"].as_str().unwrap_or_default();
    let mut text = format!("{effect} of {target} was in flight");
    if effect == "juju_destroy_model" {
        text.push_str(" (the controller may carry on destroying the model by itself)");
    } else if l["outcome"] == "unknown" {
        text.push_str(" (no answer before the run stopped: its outcome is unknown)");
    }
    Some(text)
}

/// Whether this run executed a destroy-class effect (the cloud was changed for real).
pub fn destroyed_something(lines: &[String]) -> bool {
    lines
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .any(|l| l["class"] == "destroy" && l["outcome"] == "executed")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_completed_run_has_the_checks_verdict() {
        assert_eq!(Ending::Completed.verdict(Some("go"), false), Some("go"));
        assert_eq!(Ending::Error.verdict(Some("go"), false), None);
        assert_eq!(Ending::Error.verdict(Some("go"), true), Some("no-go"));
        assert_eq!(Ending::Refused.verdict(Some("go"), true), None);
        assert_eq!(Ending::Interrupted(15).verdict(Some("go"), false), None);
    }

    #[test]
    fn exit_codes_in_one_place() {
        assert_eq!(Ending::Completed.exit_code(Some("go")), 0);
        assert_eq!(Ending::Completed.exit_code(None), 0);
        assert_eq!(Ending::Completed.exit_code(Some("no-go")), 1);
        assert_eq!(Ending::Error.exit_code(None), 2);
        assert_eq!(Ending::Error.exit_code(Some("no-go")), 1);
        assert_eq!(Ending::Halted.exit_code(None), 3);
        assert_eq!(Ending::Refused.exit_code(None), 4);
        assert_eq!(Ending::Interrupted(2).exit_code(None), 130);
        assert_eq!(Ending::Interrupted(15).exit_code(None), 143);
        assert_eq!(Ending::Interrupted(1).exit_code(None), 129);
    }

    #[test]
    fn the_summary_says_what_the_journal_recorded() {
        let line = |effect: &str, class: &str, target: &str, outcome: &str| {
            serde_json::json!({"time": "2026-12-03T10:02:11.000Z", "effect": effect,
                "class": class, "target": target, "outcome": outcome})
            .to_string()
        };
        let lines = vec![
            line(
                "juju_destroy_model",
                "destroy",
                "model openstack",
                "executed",
            ),
            line("release", "destroy", "a", "executed"),
            line("release", "destroy", "b", "executed"),
            line("release", "destroy", "c", "executed"),
            line("release", "destroy", "d", "failed"),
        ];
        let said = changes_from_journal(&lines, 5);
        assert_eq!(
            said,
            [
                "destroy of model openstack was issued at 10:02:11 UTC (the controller carries it on by itself)",
                "3 of 5 releases done"
            ]
        );
        assert!(destroyed_something(&lines));
        assert!(changes_from_journal(&[], 5).is_empty());
    }

    #[test]
    fn an_interrupted_destroy_and_an_unsealed_backup_are_changes() {
        let lines: Vec<String> = [
            serde_json::json!({"time": "2026-12-03T10:02:00.000Z", "effect": "backup_dir",
                "target": "/b/x", "outcome": "executed"}),
            serde_json::json!({"time": "2026-12-03T10:02:01.000Z", "effect": "write_backup",
                "target": "/b/x/f", "args": {"dir": "/b/x"}, "outcome": "executed"}),
            serde_json::json!({"time": "2026-12-03T10:02:11.000Z", "effect": "juju_destroy_model",
                "target": "model openstack", "outcome": "intent"}),
            serde_json::json!({"time": "2026-12-03T10:02:15.000Z", "effect": "juju_destroy_model",
                "target": "model openstack", "outcome": "failed", "detail": "interrupted"}),
        ]
        .iter()
        .map(|v| v.to_string())
        .collect();
        assert_eq!(
            changes_from_journal(&lines, 0),
            [
                "backup directory /b/x created, 1 file(s) written; incomplete, no seal",
                "destroy of model openstack was issued at 10:02:11 UTC (the controller may carry on)",
            ]
        );
    }

    #[test]
    fn an_intent_without_an_outcome_is_in_flight() {
        let lines = vec![serde_json::json!({"time": "2026-12-03T10:02:11.000Z",
            "effect": "juju_destroy_model", "class": "destroy", "target": "model openstack",
            "outcome": "intent"})
        .to_string()];
        let said = changes_from_journal(&lines, 0);
        assert_eq!(said.len(), 1);
        assert!(said[0].starts_with("in flight when the run stopped: juju_destroy_model"));
        assert!(!destroyed_something(&lines));
        assert_eq!(
            cut_short(&lines).as_deref(),
            Some("juju_destroy_model of model openstack was in flight (the controller may carry on destroying the model by itself)")
        );
        let done = serde_json::json!({"time": "2026-12-03T10:02:12.000Z",
            "effect": "juju_destroy_model", "target": "model openstack", "outcome": "executed"})
        .to_string();
        assert_eq!(cut_short(&[lines[0].clone(), done]), None);
    }

    #[test]
    fn a_release_cut_short_is_unknown_and_one_never_sent_is_not_a_change() {
        let line = |target: &str, outcome: &str, detail: &str| {
            serde_json::json!({"time": "2026-12-03T10:02:11.000Z", "effect": "release",
                "class": "destroy", "target": target, "outcome": outcome, "detail": detail})
            .to_string()
        };
        let lines = vec![
            line("machine a (h0)", "intent", ""),
            line("machine b (h1)", "intent", ""),
            line("machine a (h0)", "unknown", "check `maas p machine read a`"),
            line("machine b (h1)", "cancelled", "not sent"),
        ];
        assert_eq!(
            changes_from_journal(&lines, 2),
            [
                "0 of 2 releases done",
                "release of machine a (h0): outcome unknown — check `maas p machine read a`",
                "1 admitted change(s) not sent: the run stopped first (nothing changed by them)",
            ]
        );
        assert_eq!(
            cut_short(&lines).as_deref(),
            Some("release of machine a (h0) was in flight (no answer before the run stopped: its outcome is unknown)")
        );
        assert!(!destroyed_something(&lines));
    }
}
