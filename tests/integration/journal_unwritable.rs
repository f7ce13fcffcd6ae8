//! A journal that cannot be written never leaves a change unrecorded and never gives a
//! contradictory account: a state dir the run cannot write refuses the run (exit 4) before
//! it reads or changes anything, naming the path, the OS error and what to do; a journal
//! that fails mid-run stops every change after it, and the account says what the run did,
//! from its memory, and that the journal is incomplete.

use std::path::PathBuf;

use crate::common::session::{backups, pointer, testcloud};
use crate::common::Test;
use crate::sim_server::SimServer;

fn teardown(sim: &SimServer) -> Test {
    testcloud(sim, "teardown")
        .args(&["--yes"])
        .set("timeouts.model_gone", "60")
        .set("timeouts.machines_ready", "30")
}

#[test]
fn a_state_dir_that_cannot_be_written_refuses_the_run_before_anything() {
    let sim = SimServer::start("dirty");
    for json in [false, true] {
        let t = teardown(&sim);
        // A file where the state dir should be (as a mount gone wrong leaves it).
        let state = t.root().join("state-file");
        std::fs::write(&state, "").expect("write the file");
        let state = state.display().to_string();
        let t = t.set("state_dir", &state);
        let t = if json { t.args(&["--json"]) } else { t };
        let out = t.run();
        out.status(4)
            .stderr_has(&format!(
                "error: refused: cannot write the journal `{state}/runs/"
            ))
            .stderr_has("/journal.jsonl`: Not a directory (os error 20)\nnothing was changed")
            .stderr_has(&format!(
                "hint: make `{state}` a directory this user can write (or free space on its disk), or choose another with `--set state_dir=DIR`"
            ))
            .stdout_lacks("verdict: ");
        if json {
            let doc = out.json();
            assert_eq!(doc["outcome"], "refused");
            assert!(doc["verdict"].is_null());
        }
        assert!(backups(&t.home()).is_empty());
        assert!(pointer(&t.home()).is_none());
    }
    // Refused before it read or changed anything.
    assert!(sim.log().is_empty(), "{:#?}", sim.log());
}

#[test]
fn a_journal_that_fails_mid_run_stops_every_change_after_it() {
    // The destroyed model stays dying for 200 simulated seconds (10 s here); Phase B waits
    // 6 s for Juju: the journal is broken while the run waits there.
    let sim = SimServer::scenario("dirty").fault("model-slow:200").start();
    let t = teardown(&sim).set("timeouts.destroy_cli", "6");
    let mut run = t.start();
    run.wait_for_destroy(&sim);
    // The run's journal dir becomes a file: every later line fails (as a full disk would).
    let runs = t.state().join("runbook/runs");
    let dirs: Vec<PathBuf> = std::fs::read_dir(&runs)
        .expect("the runs dir")
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    let dir = dirs[0].clone();
    let moved = dir.with_extension("moved");
    std::fs::rename(&dir, &moved).expect("move the journal dir");
    std::fs::write(&dir, "").expect("a file in its place");
    let out = run.finish(std::time::Duration::from_secs(60));

    out.status(4)
        .stderr_has("error: refused by guard `journal.writable`: cannot write the journal `")
        .stderr_has(
            "; a change the journal cannot record is not made: not this `release` of machine ",
        )
        .stdout_has("warning: the journal is incomplete (cannot write the journal `")
        .stdout_has("what this run did is told from its own memory")
        .stdout_has("already changed (this run's memory; the journal is incomplete):")
        .stdout_has("destroy of model openstack was issued at")
        .stdout_lacks("verdict: ");
    // No release was asked of MAAS after the journal failed.
    assert!(sim.released_ids().is_empty(), "{:#?}", sim.log());
    // On disk, the journal has the destroy's write-ahead intent but not its outcome: the
    // account above is the run's memory, not the file.
    let on_disk = crate::common::journal_lines(&moved);
    let destroy: Vec<&str> = on_disk
        .iter()
        .filter(|l| l["effect"] == "juju_destroy_model")
        .filter_map(|l| l["outcome"].as_str())
        .collect();
    assert_eq!(destroy, ["intent"], "{on_disk:#?}");

    // The operator mends the state dir; the first re-run finishes the job.
    std::fs::remove_file(&dir).expect("remove the file");
    std::fs::rename(&moved, &dir).expect("put the journal dir back");
    let again = t.run();
    again
        .status(0)
        .says("verdict: GO")
        .stdout_has("continuing an interrupted teardown");
    assert_eq!(sim.juju_commands("destroy-model").len(), 1);
    sim.assert_torn_down();
}
