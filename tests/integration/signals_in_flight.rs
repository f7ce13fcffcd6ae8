//! A signal acts at once, even while a MAAS request is in flight (a hung MAAS): a read is
//! abandoned and the run ends interrupted; a release already sent is waited for briefly,
//! saying so, then recorded with its outcome unknown and what to check, and the releases
//! not sent yet are never sent. The time from the signal to the exit is far under
//! `maas.timeout`, and the first re-run finishes the teardown.
//!
//! Each run is held by the simulator (`maas-hang-first`: the first matching request is
//! never answered nor applied) and signalled once the request log shows the held request.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::session::testcloud;
use crate::common::{Output, Running, Test};
use crate::primitives_fixture::{detected, site, with_sim};
use crate::sim_server::SimServer;

/// Far longer than any of these runs may take to stop: a wait for MAAS shows up as a
/// stop that takes this long.
const MAAS_TIMEOUT: &str = "60";

fn teardown(sim: &SimServer) -> Test {
    testcloud(sim, "teardown")
        .args(&["--yes"])
        .set("maas.timeout", MAAS_TIMEOUT)
        .set("timeouts.model_gone", "60")
        .set("timeouts.machines_ready", "30")
}

/// Waits until the simulator holds (never answers) a MAAS request containing `needle`.
fn wait_for_held(run: &mut Running, sim: &SimServer, needle: &str) -> String {
    run.wait_for_request(sim, needle, |e| held(e, needle));
    sim.log()
        .into_iter()
        .find(|e| held(e, needle))
        .and_then(|e| e["request"].as_str().map(str::to_string))
        .unwrap_or_default()
}

fn held(e: &Value, needle: &str) -> bool {
    e["kind"] == "maas" && e["request"].as_str().unwrap_or("").contains(needle) && e["status"] == 0
}

/// Sends `signal` and waits for the end: the output and how long the stop took.
fn stop(run: Running, signal: i32) -> (Output, Duration) {
    let sent = Instant::now();
    run.signal(signal);
    let out = run.finish(Duration::from_secs(30));
    (out, sent.elapsed())
}

#[test]
fn a_signal_abandons_a_hung_maas_read_at_once_and_the_rerun_is_go() {
    // Detection's machine list (`machines/?hostname=...`) is held.
    let sim = SimServer::scenario("dirty")
        .fault("maas-hang-first:hostname=")
        .start();
    let t = teardown(&sim);
    let mut run = t.start();
    wait_for_held(&mut run, &sim, "hostname=");
    let (out, took) = stop(run, libc::SIGTERM);
    out.status(143)
        .stderr_has("error: interrupted (SIGTERM)")
        .stdout_has("run ended: interrupted — no verdict")
        .stdout_has("already changed: nothing (per the journal)")
        .stdout_lacks("verdict: GO");
    assert!(
        took < Duration::from_secs(3),
        "the stop took {took:?} (maas.timeout {MAAS_TIMEOUT}s)"
    );
    let lines = out.journal_lines();
    let stops: Vec<&Value> = lines
        .iter()
        .filter(|l| l["outcome"] == "interrupted")
        .collect();
    assert_eq!(stops.len(), 1, "{lines:#?}");
    assert_eq!(stops[0]["args"]["signal"], "SIGTERM");
    assert!(
        lines.iter().all(|l| l["outcome"] != "executed"),
        "{lines:#?}"
    );
    // Nothing reached the cloud.
    assert!(!sim.changed(), "{:#?}", sim.log());
    assert!(sim.juju_commands("destroy-model").is_empty());

    let again = t.run();
    again.status(0).says("verdict: GO");
    sim.assert_torn_down();
}

#[test]
fn a_signal_during_a_hung_release_waits_briefly_then_records_its_outcome_unknown() {
    // The model stays dying (Phase B stops waiting after 1 s), so Phase C releases the
    // targets one at a time (`maas.concurrency=1`); the first release is held.
    let sim = SimServer::scenario("dirty")
        .fault("model-slow:100")
        .fault("maas-hang-first:op=release")
        .start();
    let t = teardown(&sim)
        .set("timeouts.destroy_cli", "1")
        .set("maas.concurrency", "1");
    let mut run = t.start();
    let request = wait_for_held(&mut run, &sim, "op=release");
    let id = request
        .split("/machines/")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .unwrap_or_default()
        .to_string();
    assert!(!id.is_empty(), "{request}");
    let (out, took) = stop(run, libc::SIGTERM);

    // Waited for the release in flight, visibly, for its grace (5 s), not maas.timeout.
    out.status(143)
        .stderr_has(&format!("waiting for the release of {id} ("))
        .stderr_has("in flight (up to 5s)…")
        .stderr_has("error: interrupted (SIGTERM)")
        .stderr_has(&format!("note: release of machine {id} ("))
        .stdout_lacks("verdict:");
    assert!(
        took >= Duration::from_secs(5) && took < Duration::from_secs(10),
        "the stop took {took:?} (grace 5s, maas.timeout {MAAS_TIMEOUT}s)"
    );

    // The account: the destroy issued, no release done, the held one unknown with what to
    // check, the others never sent.
    out.stdout_has("destroy of model openstack was issued")
        .stdout_has("0 of 5 releases done")
        .stdout_has(&format!(
            "release of machine {id} ("))
        .stdout_has("): outcome unknown — interrupted (SIGTERM) with its request in flight and no answer within 5s")
        .stdout_has(&format!("check `maas $PROFILE machine read {id}`"))
        .stdout_has("4 admitted change(s) not sent: the run stopped first")
        .stdout_has("to continue: run the same command again");

    // The journal: the held release `unknown`, the other four `cancelled`, after their
    // intents; then the interruption.
    let lines = out.journal_lines();
    let releases = |outcome: &str| -> Vec<String> {
        lines
            .iter()
            .filter(|l| l["effect"] == "release" && l["outcome"] == outcome)
            .map(|l| l["args"]["system_id"].as_str().unwrap_or("").to_string())
            .collect()
    };
    assert_eq!(releases("unknown"), std::slice::from_ref(&id), "{lines:#?}");
    assert_eq!(releases("cancelled").len(), 4, "{lines:#?}");
    assert_eq!(releases("intent").len(), 5, "{lines:#?}");
    assert!(releases("executed").is_empty(), "{lines:#?}");
    let last = lines.last().expect("journal lines");
    assert_eq!(last["outcome"], "interrupted", "{lines:#?}");

    // The simulator's log: the held release is the only one ever sent.
    assert_eq!(
        sim.released_ids(),
        std::slice::from_ref(&id),
        "{:#?}",
        sim.log()
    );

    // The first re-run finishes the job, releasing what the stopped run did not.
    let again = t.run();
    again
        .status(0)
        .says("verdict: GO")
        .stdout_has("continuing an interrupted teardown");
    assert_eq!(sim.juju_commands("destroy-model").len(), 1);
    sim.assert_torn_down();
}

#[test]
fn a_signal_during_a_single_hung_release_records_its_outcome_unknown() {
    // `release(id)` on its own (the REPL's and a script's one-machine release).
    let sim = SimServer::scenario("dirty")
        .fault("maas-hang-first:op=release")
        .start();
    let id = sim.system_id("openstack1");
    let expr = detected(&format!(r#"release("{id}")"#));
    let t = with_sim(site(), &sim)
        .set("maas.timeout", MAAS_TIMEOUT)
        .args(&["--site", "t", "eval", "--yes", &expr]);
    let mut run = t.start();
    wait_for_held(&mut run, &sim, "op=release");
    let (out, took) = stop(run, libc::SIGINT);
    out.status(130)
        .stderr_has(&format!(
            "waiting for the release of {id} (openstack1) in flight (up to 5s)…"
        ))
        .stderr_has("error: interrupted (Ctrl-C)");
    assert!(
        took >= Duration::from_secs(5) && took < Duration::from_secs(10),
        "the stop took {took:?} (grace 5s, maas.timeout {MAAS_TIMEOUT}s)"
    );
    let lines = out.journal_lines();
    let release: Vec<&str> = lines
        .iter()
        .filter(|l| l["effect"] == "release")
        .filter_map(|l| l["outcome"].as_str())
        .collect();
    assert_eq!(release, ["intent", "unknown"], "{lines:#?}");
    let unknown = lines
        .iter()
        .find(|l| l["outcome"] == "unknown")
        .and_then(|l| l["detail"].as_str())
        .unwrap_or_default();
    assert!(
        unknown.contains(&format!("check `maas $PROFILE machine read {id}`")),
        "{unknown}"
    );
    // The held request is the only release sent, and the simulator never applied it.
    assert_eq!(sim.released_ids(), std::slice::from_ref(&id));
    assert_eq!(sim.machine("openstack1")["status_name"], "Deployed");
}
