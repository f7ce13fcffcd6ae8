//! A re-run that continues a teardown keeps the scorecard's pre-destroy backup row, whatever
//! happened to the pointer file meanwhile: the journal of the run that destroyed names the
//! backup it sealed. A missing pointer is NO-GO, naming that backup and how to point at it
//! again; done that way, `runbook run accept` is GO. Proved from the simulator's request
//! log: one capture, one destroy, the re-run captured nothing.

use crate::common::session::{backups, pointer, testcloud};
use crate::common::Test;
use crate::sim_server::SimServer;

#[test]
fn a_rerun_after_the_pointer_was_removed_is_no_go_naming_the_journaled_backup() {
    // The destroyed model stays dying for a while: the first run is killed in Phase B.
    let sim = SimServer::scenario("dirty").fault("model-slow:100").start();
    let t = testcloud(&sim, "teardown")
        .args(&["--yes"])
        .set("timeouts.model_gone", "60")
        .set("timeouts.machines_ready", "30")
        .set("timeouts.destroy_cli", "300");
    let mut first = t.start();
    first.wait_for_destroy(&sim);
    first.stop(libc::SIGKILL).status(128 + libc::SIGKILL);
    let sealed = pointer(&t.home()).expect("Phase A moved the pointer");
    let pointer_file = t.home().join(".last-pre-caracal-destroy-backup");
    std::fs::remove_file(&pointer_file).expect("rm the pointer");

    let t = t.args(&["--json"]);
    let again = t.run();
    again.outcome(1, "in-progress", Some("no-go"));
    assert_eq!(again.failed_checks(), ["pre-destroy backup"]);
    let row = again.json()["checks"]
        .as_array()
        .and_then(|c| {
            c.iter()
                .find(|c| c["name"] == "pre-destroy backup")
                .cloned()
        })
        .expect("the backup row");
    let detail = row["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("does not exist; per its journal, run ")
            && detail.contains(&format!(
                " sealed {sealed} before the destroy (manifest verifies)"
            )),
        "{detail}"
    );
    // What to do, in the transcript (stderr beside `--json`).
    let restore = format!("printf '%s\\n' '{sealed}' > '{}'", pointer_file.display());
    assert!(
        again.stderr.contains(&restore) || again.stdout.contains(&restore),
        "{restore}\n{}",
        again.stderr
    );
    assert_eq!(
        sim.juju_commands("export-bundle").len(),
        1,
        "no new capture"
    );
    assert_eq!(
        sim.juju_commands("destroy-model").len(),
        1,
        "no second destroy"
    );
    assert_eq!(backups(&t.home()).len(), 1);
    sim.assert_torn_down();

    // What the row says to do makes the scorecard GO.
    std::fs::write(&pointer_file, format!("{sealed}\n")).expect("restore the pointer");
    let accept = Test::new()
        .sim(&sim)
        .repo()
        .site("testcloud")
        .args(&["run", "accept"])
        .set("osd_disks", "")
        .env("HOME", &t.home().display().to_string())
        .env("XDG_STATE_HOME", &t.state().display().to_string())
        .run();
    accept.status(0).says("verdict: GO");
}

/// A runbook that captures and seals a backup of the live model and points the pointer at
/// it, destroying nothing: an older backup of the same model (uuid) than the one a later
/// teardown seals before its destroy.
const CAPTURE_ONLY: &str = r#"
detect_cloud();
let dir = backup_dir(site.backup_prefix);
write_backup(dir, "export-bundle.yaml", juju_export_bundle("openstack"));
write_backup(dir, "status.json", to_json(juju_status("openstack")));
write_backup(dir, "models.json", to_json(juju_models()));
write_backup(dir, "controllers.json", to_json(juju_controllers()));
write_backup(dir, "maas-targets.json", maas_snapshot([]));
seal_backup(dir, "openstack");
set_pointer(site.pointer_file, dir);
"#;

#[test]
fn a_rerun_whose_pointer_names_an_older_backup_of_the_model_is_no_go_naming_both() {
    let sim = SimServer::scenario("dirty").fault("model-slow:100").start();
    let t = testcloud(&sim, "teardown")
        .args(&["--yes"])
        .set("timeouts.model_gone", "60")
        .set("timeouts.machines_ready", "30")
        .set("timeouts.destroy_cli", "300");
    // An earlier capture of the same live model, sealed by another run.
    Test::new()
        .file("runbooks/capture.rhai", CAPTURE_ONLY)
        .sim(&sim)
        .site("testcloud")
        .args(&["run", "capture", "--yes"])
        .env("HOME", &t.home().display().to_string())
        .env("XDG_STATE_HOME", &t.state().display().to_string())
        .run()
        .status(0);
    let older = pointer(&t.home()).expect("the capture moved the pointer");
    // The teardown seals its own backup, destroys, and is killed in Phase B.
    let mut first = t.start();
    first.wait_for_destroy(&sim);
    first.stop(libc::SIGKILL).status(128 + libc::SIGKILL);
    let sealed = pointer(&t.home()).expect("Phase A moved the pointer");
    assert_ne!(sealed, older);
    // Someone points the pointer back at the older backup.
    let pointer_file = t.home().join(".last-pre-caracal-destroy-backup");
    std::fs::write(&pointer_file, format!("{older}\n")).expect("write the pointer");

    let t = t.args(&["--json"]);
    let again = t.run();
    again.outcome(1, "in-progress", Some("no-go"));
    assert_eq!(again.failed_checks(), ["pre-destroy backup"]);
    let detail = again.json()["checks"]
        .as_array()
        .and_then(|c| {
            c.iter()
                .find(|c| c["name"] == "pre-destroy backup")
                .cloned()
        })
        .map(|row| row["detail"].as_str().unwrap_or_default().to_string())
        .expect("the backup row");
    assert!(
        detail.contains(&format!(
            "→ {older}, not the backup taken before the destroy"
        )) && detail.contains(&format!(" sealed {sealed} before it (manifest verifies)")),
        "{detail}"
    );
    let fix = format!("printf '%s\\n' '{sealed}' > '{}'", pointer_file.display());
    assert!(
        again.stderr.contains(&fix) || again.stdout.contains(&fix),
        "{fix}\n{}",
        again.stderr
    );
    assert_eq!(
        sim.juju_commands("destroy-model").len(),
        1,
        "no second destroy"
    );
    assert_eq!(backups(&t.home()).len(), 2, "the re-run captured nothing");
    assert_eq!(
        pointer(&t.home()).as_deref(),
        Some(older.as_str()),
        "the re-run moved no pointer"
    );
}
