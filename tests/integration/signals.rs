//! SIGINT, SIGTERM and SIGHUP stop a run between steps: the running juju child's process
//! group is killed, the journal gets an `interrupted` line naming what was in flight, and
//! the exit code is 128 + the signal. After SIGKILL no juju child outlives runbook by more
//! than a second, and the journal's `intent` line still shows what was in flight.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::process::gone_within;
use crate::common::session::testcloud;
use crate::common::{Output, Running, Test};
use crate::sim_server::SimServer;

/// A `juju` that hangs on `hang_on` (writing its pid to `pidfile` first) and passes every
/// other command to `real` (the simulator's shim), or answers `version` when there is none.
fn hanging_juju(dir: &Path, hang_on: &str, real: Option<&str>) -> String {
    let path = dir.join("juju-hangs");
    let pidfile = dir.join("juju.pid");
    let pass = match real {
        Some(real) => format!("exec '{real}' \"$@\""),
        None => "echo 3.6.12-genericlinux-amd64".to_string(),
    };
    let script = format!(
        "#!/bin/sh\nif [ \"$1\" = '{hang_on}' ]; then echo $$ > '{}.tmp'; mv '{0}.tmp' '{0}'; exec sleep 60; fi\n{pass}\n",
        pidfile.display()
    );
    std::fs::write(&path, script).expect("write the fake juju");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path.display().to_string()
}

/// Wait until the hanging juju of `t` has written its pid; the pid.
fn hung_juju(t: &Test, run: &mut Running) -> i32 {
    let path = t.root().join("juju.pid");
    run.wait_for("juju started", |_| {
        std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| t.trim().parse().ok())
    })
}

/// A run hung in `juju models`, stopped by `signal`: exit 128 + `signal`, the juju child
/// gone, the journal's `interrupted` line names the signal.
fn a_signal_stops_a_hung_read(signal: i32, name: &str) {
    let t = Test::new().file("runbooks/r.rhai", "step(\"read\");\njuju_models();\n");
    let juju = hanging_juju(&t.root(), "models", None);
    let site = format!("#{{ name: \"t\", juju: #{{ bin: \"{juju}\" }} }}");
    let t = t
        .file("sites/t/site.rhai", &site)
        .site("t")
        .args(&["run", "r"]);
    let mut run = t.start();
    let pid = hung_juju(&t, &mut run);
    let sent = Instant::now();
    run.signal(signal);
    let out = run.finish(Duration::from_secs(10));
    out.status(128 + signal)
        .stderr_has("error: interrupted")
        .stderr_lacks("verdict:")
        .stdout_lacks("verdict:");
    assert!(
        sent.elapsed() < Duration::from_secs(5),
        "took {:?}",
        sent.elapsed()
    );
    assert!(
        gone_within(pid, Duration::from_secs(1)),
        "juju {pid} outlived the run"
    );
    let lines = out.journal_lines();
    let interrupted: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["outcome"] == "interrupted")
        .collect();
    assert_eq!(interrupted.len(), 1, "{lines:#?}");
    assert_eq!(interrupted[0]["args"]["signal"], format!("SIG{name}"));
}

#[test]
fn sigterm_stops_the_run_kills_juju_and_exits_143() {
    a_signal_stops_a_hung_read(libc::SIGTERM, "TERM");
}

#[test]
fn sighup_stops_the_run_kills_juju_and_exits_129() {
    a_signal_stops_a_hung_read(libc::SIGHUP, "HUP");
}

#[test]
fn sigint_stops_the_run_kills_juju_and_exits_130() {
    a_signal_stops_a_hung_read(libc::SIGINT, "INT");
}

/// `runbook run teardown --yes` on a dirty cloud (`sim`) whose `juju destroy-model` hangs,
/// stopped by `signal` once the destroy is under way: the run's end, and the hung juju gone
/// within a second of it.
fn stop_during_the_destroy(sim: &SimServer, signal: i32) -> Output {
    let t = testcloud(sim, "teardown").args(&["--yes"]);
    let juju = hanging_juju(&t.root(), "destroy-model", Some(&sim.juju_bin));
    let t = t.env("JUJU_BIN", &juju);
    let mut run = t.start();
    let pid = hung_juju(&t, &mut run);
    run.signal(signal);
    let out = run.finish(Duration::from_secs(10));
    assert!(
        gone_within(pid, Duration::from_secs(1)),
        "juju {pid} outlived the run (signal {signal})"
    );
    out
}

#[test]
fn sigterm_during_the_destroy_journals_it_as_in_flight() {
    let sim = SimServer::start("dirty");
    let out = stop_during_the_destroy(&sim, libc::SIGTERM);
    out.status(143)
        .stderr_has("juju_destroy_model of model openstack was in flight")
        // The run's ending is part of the transcript (stdout).
        .stdout_has("to continue: run the same command again");
    let lines = out.journal_lines();
    let intent = lines
        .iter()
        .position(|l| l["effect"] == "juju_destroy_model" && l["outcome"] == "intent")
        .unwrap_or_else(|| panic!("no intent line: {lines:#?}"));
    let stop = lines
        .iter()
        .position(|l| l["outcome"] == "interrupted")
        .expect("an interrupted line");
    assert!(intent < stop);
    let detail = lines[stop]["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("SIGTERM") && detail.contains("the controller may carry on"),
        "{detail}"
    );
    // Nothing was released after the signal.
    assert!(sim.released_ids().is_empty(), "{:?}", sim.released_ids());
}

#[test]
fn after_sigkill_no_juju_child_survives_and_the_intent_is_on_record() {
    let sim = SimServer::start("dirty");
    let out = stop_during_the_destroy(&sim, libc::SIGKILL);
    let lines = out.journal_lines();
    let last = lines.last().expect("journal lines");
    assert_eq!(
        (&last["effect"], &last["outcome"]),
        (&"juju_destroy_model".into(), &"intent".into()),
        "{lines:#?}"
    );
}
