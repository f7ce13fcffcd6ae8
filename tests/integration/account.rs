//! The account of a run that did not complete ("already changed (per the journal):")
//! lists everything the run changed: a destroy it issued but that Juju never confirmed
//! (interrupted during `destroy-model`), and a backup directory it made and wrote to but
//! never sealed. Proved against the simulator's request log and the files on disk.

use crate::common::session::{backups, testcloud};
use crate::sim_server::SimServer;

/// `HH:MM:SS UTC` at the start of the line after `prefix` in `text`.
fn clock_after<'a>(text: &'a str, prefix: &str) -> &'a str {
    let at = text
        .find(prefix)
        .unwrap_or_else(|| panic!("`{prefix}` not in\n{text}"));
    &text[at + prefix.len()..at + prefix.len() + 12]
}

#[test]
fn sigterm_during_the_destroy_lists_the_destroy_as_issued() {
    // The destroyed model stays dying: Juju's destroy-model blocks when SIGTERM arrives.
    let sim = SimServer::scenario("dirty").fault("model-slow:100").start();
    let t = testcloud(&sim, "teardown")
        .args(&["--yes"])
        .set("timeouts.destroy_cli", "300");
    let mut run = t.start();
    run.wait_for_destroy(&sim);
    let out = run.stop(libc::SIGTERM);
    out.status(143)
        .stdout_has("already changed (per the journal):");
    let issued = "  - destroy of model openstack was issued at ";
    let clock = clock_after(&out.stdout, issued);
    assert!(clock.ends_with(" UTC"), "{clock}");
    out.stdout_has(&format!("{issued}{clock} (the controller may carry on)"));
    assert_eq!(sim.juju_commands("destroy-model").len(), 1);
}

#[test]
fn a_stopped_phase_a_lists_its_unsealed_backup_directory() {
    // Phase A's `juju status` never answers; the client gives up after 3 s.
    let sim = SimServer::scenario("dirty")
        .fault("juju-hang-first:status")
        .start();
    let out = testcloud(&sim, "teardown")
        .args(&["--yes"])
        .set("juju.timeout", "3")
        .run();
    out.status(2)
        .stdout_lacks("already changed: nothing")
        .stdout_has("already changed (per the journal):");
    let dirs = backups(&out.home());
    assert_eq!(dirs.len(), 1, "Phase A made its dir: {dirs:?}");
    let written = std::fs::read_dir(&dirs[0])
        .expect("the backup dir")
        .flatten()
        .filter(|e| e.file_name() != "manifest.json")
        .count();
    out.stdout_has(&format!(
        "  - backup directory {} created, {written} file(s) written; incomplete, no seal",
        dirs[0].display()
    ));
    assert!(written > 0, "a capture was written before the hang");
    assert!(sim.juju_commands("destroy-model").is_empty());
    assert!(sim.released_ids().is_empty());
}
