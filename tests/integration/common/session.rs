//! The operator's session most end-to-end tests play, and what it leaves behind: the
//! repository's `testcloud` site against a simulator, and the run's backups, pointer,
//! journal and `--json` outcome.
//!
//! ```ignore
//! let sim = SimServer::scenario("dirty").juju("4.0").start();
//! let out = testcloud(&sim, "teardown").args(&["--yes", "--json"]).run();
//! out.outcome(0, "dirty", Some("go"));
//! assert_eq!(out.backups().len(), 1);
//! ```

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{Output, Test};
use crate::sim_server::SimServer;

/// `runbook run RUNBOOK --root REPO --site testcloud` against `sim`, with the site's waits
/// cut short (the simulator runs fast) and no OSD disks (the wipe has its own tests).
pub fn testcloud(sim: &SimServer, runbook: &str) -> Test {
    Test::new()
        .sim(sim)
        .repo()
        .site("testcloud")
        .args(&["run", runbook])
        .set("osd_disks", "")
        .set("timeouts.model_gone", "10")
        .set("timeouts.machines_ready", "10")
}

/// The site's backup directories under `home/backups`, oldest first.
pub fn backups(home: &Path) -> Vec<PathBuf> {
    let pattern = format!("{}/backups/pre-caracal-destroy-*", home.display());
    let mut dirs: Vec<PathBuf> = glob::glob(&pattern).expect("glob").flatten().collect();
    dirs.sort();
    dirs
}

/// The site's pointer file's target, if the file exists.
pub fn pointer(home: &Path) -> Option<String> {
    std::fs::read_to_string(home.join(".last-pre-caracal-destroy-backup"))
        .ok()
        .map(|s| s.trim().to_string())
}

impl Output {
    /// Exit `code` with `--json`'s `route` and `verdict` (`None`: no verdict); the document.
    pub fn outcome(&self, code: i32, route: &str, verdict: Option<&str>) -> Value {
        self.status(code);
        let doc = self.json();
        assert_eq!(doc["route"], route, "route\n{}", self.stderr);
        match verdict {
            Some(v) => assert_eq!(doc["verdict"], v, "verdict\n{}", self.stderr),
            None => assert!(doc["verdict"].is_null(), "verdict\n{}", self.stderr),
        }
        doc
    }

    /// The names of the `--json` scorecard's failed checks.
    pub fn failed_checks(&self) -> Vec<String> {
        self.json()["checks"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|c| c["pass"] == false)
            .map(|c| c["name"].as_str().unwrap_or("").to_string())
            .collect()
    }

    /// The site's backup directories, oldest first.
    pub fn backups(&self) -> Vec<PathBuf> {
        backups(&self.home())
    }

    /// The site's pointer file's target, if the file exists.
    pub fn pointer(&self) -> Option<String> {
        pointer(&self.home())
    }

    /// The effects the journal records with `outcome` (`executed`, `refused`, ...).
    pub fn journal_effects(&self, outcome: &str) -> Vec<String> {
        super::fields_where(self.journal_lines(), ("outcome", outcome), "effect")
    }

    /// Nothing written: no backup, the pointer unmoved, no effect executed.
    pub fn assert_nothing_written(&self) {
        assert!(self.backups().is_empty(), "a backup: {:?}", self.backups());
        assert!(self.pointer().is_none(), "the pointer moved");
        let executed = self.journal_effects("executed");
        assert!(executed.is_empty(), "executed: {executed:?}");
    }
}
