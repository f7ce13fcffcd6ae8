//! The earlier runs' journals, read back: what the last run that changed this site's cloud
//! did and how it ended, so a re-run can say that it continues an interrupted teardown
//! (teardown.md §2) instead of starting one.
//!
//! Every run writes `<state dir>/runs/<run-id>/journal.jsonl`. A run stopped by a signal
//! ends with an `interrupted` line; a run killed outright (SIGKILL, power loss) leaves a
//! write-ahead `intent` line with no outcome after it.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use crate::outcome::{changes_from_journal, cut_short};

/// What the journal of an earlier run says, in operator words.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PreviousRun {
    pub run_id: String,
    /// When its first effect was recorded (`HH:MM:SS UTC`).
    pub started: String,
    /// `interrupted` (a signal stopped it), `killed` (an effect was in flight and nothing
    /// recorded its end), `stopped` (it made a backup dir it never sealed: it ended in
    /// Phase A) or `unknown` (its journal does not say how it ended).
    pub ended: String,
    /// How it ended, in a sentence.
    pub how: String,
    /// What it changed, as `changes_from_journal` says it.
    pub changes: Vec<String>,
    /// Whether it issued the destroy of a model (or had it in flight).
    pub destroy_issued: bool,
    pub journal: String,
}

/// What makes an earlier run one of this site's: it wrote under the site's backup root or
/// its pointer file, destroyed or removed machines of one of its models, or released one of
/// its targets.
#[derive(Debug, Clone, Default)]
pub struct SiteMarks {
    pub backup_root: PathBuf,
    pub pointer_file: PathBuf,
    pub models: Vec<String>,
    pub targets: Vec<String>,
}

impl SiteMarks {
    fn touches(&self, l: &Value) -> bool {
        let text = |k: &str| l[k].as_str().unwrap_or_default().to_string();
        let target = text("target");
        let under_root = |p: &str| {
            !p.is_empty()
                && !self.backup_root.as_os_str().is_empty()
                && Path::new(p).starts_with(&self.backup_root)
        };
        match text("effect").as_str() {
            "backup_dir" | "write_backup" => under_root(&target),
            "seal_backup" => under_root(l["args"]["dir"].as_str().unwrap_or_default()),
            "set_pointer" => Path::new(&target) == self.pointer_file,
            "juju_destroy_model" | "juju_remove_machine" => {
                let name = l["args"]["name"]
                    .as_str()
                    .or(l["args"]["model"].as_str())
                    .unwrap_or_default();
                self.models
                    .iter()
                    .any(|m| m == name || target == format!("model {m}"))
            }
            "release" => self
                .targets
                .iter()
                .any(|h| target.ends_with(&format!("({h})"))),
            _ => false,
        }
    }
}

fn read_lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .map(|t| t.lines().map(str::to_string).collect())
        .unwrap_or_default()
}

/// The most recent earlier run (not `this_run`) under `state_dir` whose journal touches the
/// site, if any. Run ids begin with their start time (`20261203T100211Z-…`), so the runs are
/// read newest first and the scan stops at the first second that has one of the site's; runs
/// started in that same second are told apart by the time of their first journal line.
pub fn latest(state_dir: &Path, this_run: &str, marks: &SiteMarks) -> Option<PreviousRun> {
    let runs = std::fs::read_dir(state_dir.join("runs")).ok()?;
    let mut ids: Vec<String> = runs
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|id| id != this_run)
        .collect();
    ids.sort_unstable_by(|a, b| b.cmp(a));
    let second = |id: &str| id.split('-').next().unwrap_or_default().to_string();
    // (time of the first line, journal path, lines) of the site's runs in the newest second.
    let mut found: Vec<(String, PathBuf, Vec<String>)> = Vec::new();
    let mut found_second: Option<String> = None;
    for id in ids {
        if found_second.as_ref().is_some_and(|s| *s != second(&id)) {
            break;
        }
        let path = state_dir.join("runs").join(&id).join("journal.jsonl");
        let lines = read_lines(&path);
        let parsed: Vec<Value> = lines
            .iter()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        if !parsed.iter().any(|l| marks.touches(l)) {
            continue;
        }
        let first = parsed
            .first()
            .and_then(|l| l["time"].as_str())
            .unwrap_or_default()
            .to_string();
        found.push((first, path, lines));
        found_second = Some(second(&id));
    }
    found.sort();
    let (_, path, lines) = found.pop()?;
    Some(summarize(&path, &lines, marks.targets.len()))
}

/// The backup the journals say was sealed before the destroy: the newest earlier run (not
/// `this_run`; `""` reads them all) that issued the destroy of one of the site's models, and
/// the last backup of a live model it sealed before that destroy (or, if it sealed none, an
/// earlier run sealed), as `(dir, run id)`. The pointer file
/// names the same backup unless someone moved or removed it; the scorecard then says which
/// backup it should name.
pub fn sealed_before_destroy(
    state_dir: &Path,
    this_run: &str,
    marks: &SiteMarks,
) -> Option<(PathBuf, String)> {
    let runs = std::fs::read_dir(state_dir.join("runs")).ok()?;
    let mut ids: Vec<String> = runs
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|id| id != this_run)
        .collect();
    ids.sort_unstable_by(|a, b| b.cmp(a));
    let mut destroyed = false;
    for id in ids {
        let lines = read_lines(&state_dir.join("runs").join(&id).join("journal.jsonl"));
        let parsed: Vec<Value> = lines
            .iter()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        let first_destroy = parsed.iter().position(|l| {
            l["effect"] == "juju_destroy_model" && l["outcome"] != "refused" && marks.touches(l)
        });
        // The destroying run's own seals count only before its destroy.
        let before = match (first_destroy, destroyed) {
            (Some(i), _) => &parsed[..i],
            (None, true) => &parsed[..],
            (None, false) => continue,
        };
        destroyed = true;
        // A capture of a model being destroyed (a remediation's) is no pre-destroy backup;
        // journals that do not say the life are taken at their word.
        let sealed = before.iter().rev().find(|l| {
            l["effect"] == "seal_backup"
                && l["outcome"] == "executed"
                && marks.touches(l)
                && (l["args"]["life"].is_null() || l["args"]["life"] == "alive")
        });
        if let Some(dir) = sealed.and_then(|l| l["args"]["dir"].as_str()) {
            return Some((PathBuf::from(dir), id));
        }
    }
    None
}

/// The destroy an earlier run issued, by identity: which of the site's models (name and
/// uuid) and when, from that run's journal.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IssuedDestroy {
    pub run_id: String,
    pub model: String,
    pub uuid: String,
    /// When its destroy was recorded (`HH:MM:SS UTC`).
    pub at: String,
    pub journal: String,
}

/// The newest earlier run (not `this_run`) whose journal shows the destroy of one of the
/// site's models reaching Juju (`intent`, `executed` or `unknown`: a refused, cancelled or
/// failed one did not), with the model's uuid: the destroy line's own `uuid`, else (journals
/// written before it carried one) that run's seal of the model while it was alive, which the
/// destroy guard required. A destroy whose uuid the journal does not say is no evidence.
pub fn issued_destroy(
    state_dir: &Path,
    this_run: &str,
    marks: &SiteMarks,
) -> Option<IssuedDestroy> {
    let runs = std::fs::read_dir(state_dir.join("runs")).ok()?;
    let mut ids: Vec<String> = runs
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|id| id != this_run)
        .collect();
    ids.sort_unstable_by(|a, b| b.cmp(a));
    for id in ids {
        let path = state_dir.join("runs").join(&id).join("journal.jsonl");
        let parsed: Vec<Value> = read_lines(&path)
            .iter()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        let reached = |l: &&Value| {
            l["effect"] == "juju_destroy_model"
                && ["intent", "executed", "unknown"].contains(&l["outcome"].as_str().unwrap_or(""))
                && marks.touches(l)
        };
        let Some(destroy) = parsed.iter().rev().find(reached) else {
            continue;
        };
        let model = destroy["args"]["name"].as_str().unwrap_or_default();
        let sealed = || {
            parsed.iter().rev().find_map(|l| {
                (l["effect"] == "seal_backup"
                    && l["outcome"] == "executed"
                    && l["args"]["model"] == model
                    && l["args"]["life"] == "alive")
                    .then(|| l["args"]["model_uuid"].as_str())
                    .flatten()
            })
        };
        let uuid = destroy["args"]["uuid"].as_str().or_else(sealed)?;
        if !crate::effects::frozen::is_uuid(uuid) {
            return None;
        }
        let at = destroy["time"].as_str().unwrap_or_default();
        return Some(IssuedDestroy {
            run_id: id.clone(),
            model: model.to_string(),
            uuid: uuid.to_string(),
            at: chrono::DateTime::parse_from_rfc3339(at)
                .map(|t| t.format("%H:%M:%S UTC").to_string())
                .unwrap_or_else(|_| at.to_string()),
            journal: path.display().to_string(),
        });
    }
    None
}

/// One earlier run's journal, summarized.
pub fn summarize(path: &Path, lines: &[String], targets: usize) -> PreviousRun {
    let parsed: Vec<Value> = lines
        .iter()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let field = |l: Option<&Value>, k: &str| {
        l.and_then(|l| l[k].as_str())
            .unwrap_or_default()
            .to_string()
    };
    let clock = |time: String| {
        chrono::DateTime::parse_from_rfc3339(&time)
            .map(|t| t.format("%H:%M:%S UTC").to_string())
            .unwrap_or(time)
    };
    let interrupted = parsed.iter().rev().find(|l| l["outcome"] == "interrupted");
    let in_flight = cut_short(lines);
    let executed = |name: &str| {
        parsed
            .iter()
            .rev()
            .find(|l| l["effect"] == name && l["outcome"] == "executed")
    };
    let unsealed = executed("backup_dir")
        .filter(|_| executed("seal_backup").is_none())
        .map(|l| field(Some(l), "target"));
    let (ended, how) = match (interrupted, &in_flight) {
        (Some(l), _) => (
            "interrupted",
            format!(
                "was interrupted at {} ({})",
                clock(field(Some(l), "time")),
                field(Some(l), "detail")
            ),
        ),
        (None, Some(what)) => (
            "killed",
            format!("stopped without recording its end (killed?) while {what}"),
        ),
        (None, None) if unsealed.is_some() => (
            "stopped",
            format!(
                "stopped in Phase A: its backup `{}` was never sealed (killed, or the capture failed)",
                unsealed.unwrap_or_default()
            ),
        ),
        (None, None) => (
            "unknown",
            format!(
                "recorded its last change at {}",
                clock(field(parsed.last(), "time"))
            ),
        ),
    };
    let destroy_issued = parsed
        .iter()
        .any(|l| l["effect"] == "juju_destroy_model" && l["outcome"] != "refused");
    PreviousRun {
        run_id: field(parsed.first(), "run_id"),
        started: clock(field(parsed.first(), "time")),
        ended: ended.to_string(),
        how,
        changes: changes_from_journal(lines, targets),
        destroy_issued,
        journal: path.display().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(effect: &str, target: &str, outcome: &str, args: Value) -> String {
        serde_json::json!({"time": "2026-12-03T10:02:11.000Z", "run_id": "r1", "effect": effect,
            "class": "destroy", "target": target, "args": args, "outcome": outcome})
        .to_string()
    }

    fn marks() -> SiteMarks {
        SiteMarks {
            backup_root: "/home/u/backups".into(),
            pointer_file: "/home/u/.last".into(),
            models: vec!["openstack".into()],
            targets: vec!["openstack0".into()],
        }
    }

    fn write(dir: &Path, id: &str, lines: &[String]) {
        let d = dir.join("runs").join(id);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("journal.jsonl"), lines.join("\n") + "\n").unwrap();
    }

    #[test]
    fn an_open_intent_is_a_killed_run_and_an_interrupted_line_says_so() {
        let destroy = |outcome| {
            line(
                "juju_destroy_model",
                "model openstack",
                outcome,
                serde_json::json!({"name": "openstack"}),
            )
        };
        let killed = summarize(Path::new("j"), &[destroy("intent")], 5);
        assert_eq!(killed.ended, "killed");
        assert!(killed
            .how
            .contains("juju_destroy_model of model openstack was in flight"));
        assert!(killed.destroy_issued);
        let stop = serde_json::json!({"time": "2026-12-03T10:02:12.000Z", "effect": "interrupt",
            "outcome": "interrupted", "detail": "interrupted by SIGTERM"})
        .to_string();
        let interrupted = summarize(Path::new("j"), &[destroy("intent"), stop], 5);
        assert_eq!(interrupted.ended, "interrupted");
        assert!(interrupted.how.contains("SIGTERM"), "{}", interrupted.how);
    }

    #[test]
    fn the_issued_destroy_names_its_model_by_uuid_from_the_journal() {
        let dir = tempfile::tempdir().unwrap();
        let uuid = "3d9f6c1a-5b2e-4f80-a7c4-92e1b8d05f63";
        let destroy = |outcome, args| line("juju_destroy_model", "model openstack", outcome, args);
        // A refused destroy reached nothing; a destroy that does not say its uuid, in a run
        // that sealed no live model, is no evidence.
        write(
            dir.path(),
            "20261203T100211Z-aaaa",
            &[destroy(
                "refused",
                serde_json::json!({"name": "openstack", "uuid": uuid}),
            )],
        );
        write(
            dir.path(),
            "20261203T100300Z-bbbb",
            &[destroy(
                "executed",
                serde_json::json!({"name": "openstack"}),
            )],
        );
        assert!(issued_destroy(dir.path(), "now", &marks()).is_none());
        // Older journals: the uuid of the run's seal of the live model.
        let seal = line(
            "seal_backup",
            "model openstack",
            "executed",
            serde_json::json!({"dir": "/home/u/backups/pre-1", "model": "openstack",
                "model_uuid": uuid, "life": "alive"}),
        );
        write(
            dir.path(),
            "20261203T100400Z-cccc",
            &[
                seal,
                destroy("intent", serde_json::json!({"name": "openstack"})),
            ],
        );
        let issued = issued_destroy(dir.path(), "now", &marks()).expect("the killed run's");
        assert_eq!(
            (issued.model.as_str(), issued.uuid.as_str()),
            ("openstack", uuid)
        );
        assert_eq!(issued.run_id, "20261203T100400Z-cccc");
    }

    #[test]
    fn the_backup_sealed_before_the_destroy_is_of_the_live_model_and_before_it() {
        let dir = tempfile::tempdir().unwrap();
        let seal = |d: &str, life: &str| {
            line(
                "seal_backup",
                "model openstack",
                "executed",
                serde_json::json!({"dir": d, "model": "openstack", "life": life}),
            )
        };
        let destroy = line(
            "juju_destroy_model",
            "model openstack",
            "executed",
            serde_json::json!({"name": "openstack"}),
        );
        write(
            dir.path(),
            "20261203T100211Z-aaaa",
            &[seal("/home/u/backups/pre-1", "alive")],
        );
        // The destroying run sealed pre-2 before its destroy, and a capture of the dying
        // model after it: pre-2 is the one.
        write(
            dir.path(),
            "20261203T100300Z-bbbb",
            &[
                seal("/home/u/backups/pre-2", "alive"),
                destroy.clone(),
                seal("/home/u/backups/pre-3", "dying"),
            ],
        );
        let found = sealed_before_destroy(dir.path(), "", &marks()).map(|(d, _)| d);
        assert_eq!(found, Some(PathBuf::from("/home/u/backups/pre-2")));
        // A re-destroy that sealed nothing: the earlier run's.
        write(dir.path(), "20261203T100400Z-cccc", &[destroy]);
        let found = sealed_before_destroy(dir.path(), "", &marks()).map(|(d, _)| d);
        assert_eq!(found, Some(PathBuf::from("/home/u/backups/pre-2")));
    }

    #[test]
    fn a_backup_dir_never_sealed_is_a_run_stopped_in_phase_a() {
        let made = line(
            "backup_dir",
            "/home/u/backups/pre-1",
            "executed",
            serde_json::json!({}),
        );
        let stopped = summarize(Path::new("j"), std::slice::from_ref(&made), 5);
        assert_eq!(stopped.ended, "stopped");
        assert!(
            stopped.how.contains("/home/u/backups/pre-1"),
            "{}",
            stopped.how
        );
        let seal = line(
            "seal_backup",
            "model openstack",
            "executed",
            serde_json::json!({"dir": "/home/u/backups/pre-1"}),
        );
        assert_eq!(summarize(Path::new("j"), &[made, seal], 5).ended, "unknown");
    }

    #[test]
    fn the_latest_run_of_this_site_is_found_and_others_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let ours = line(
            "release",
            "machine abc (openstack0)",
            "executed",
            serde_json::json!({}),
        );
        let other = line(
            "release",
            "machine xyz (elsewhere)",
            "executed",
            serde_json::json!({}),
        );
        let at = |time: &str, run: &str| {
            serde_json::json!({"time": time, "run_id": run, "effect": "release",
                "target": "machine abc (openstack0)", "outcome": "executed"})
            .to_string()
        };
        write(dir.path(), "20261203T100211Z-aaaa", &[ours]);
        write(dir.path(), "20261203T100500Z-bbbb", &[other]);
        assert_eq!(
            latest(dir.path(), "now", &marks()).map(|r| r.run_id),
            Some("r1".to_string()),
            "the newer run is not the site's"
        );
        assert!(
            latest(dir.path(), "20261203T100211Z-aaaa", &marks()).is_none(),
            "the other run is not ours"
        );
        // Two of the site's runs in the same second: the one whose journal starts later.
        write(
            dir.path(),
            "20261203T100500Z-cccc",
            &[at("2026-12-03T10:05:00.900Z", "r2")],
        );
        write(
            dir.path(),
            "20261203T100500Z-0000",
            &[at("2026-12-03T10:05:00.100Z", "r0")],
        );
        assert_eq!(
            latest(dir.path(), "now", &marks()).map(|r| r.run_id),
            Some("r2".to_string())
        );
        assert!(latest(&dir.path().join("none"), "now", &marks()).is_none());
    }
}
