//! SIGINT, SIGTERM and SIGHUP stop a run between steps: the running juju child's process
//! group is killed, the journal gets an `interrupted` line naming what was in flight, and
//! the exit code is 128 + the signal. After SIGKILL no juju child outlives runbook by more
//! than a second, and the journal's `intent` line still shows what was in flight.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::common::Test;
use crate::sim_server::{SimServer, TEST_SPEED};

const REPO: &str = env!("CARGO_MANIFEST_DIR");

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

/// Wait (bounded) until `path` holds a pid.
fn wait_for_pid(path: &Path, child: &mut Child) -> i32 {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(pid) = std::fs::read_to_string(path)
            .ok()
            .and_then(|t| t.trim().parse().ok())
        {
            return pid;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("runbook ended ({status}) before juju started");
        }
        assert!(Instant::now() < deadline, "juju never started");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether `pid` is alive (a zombie counts as gone).
fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z') || rest.starts_with('X')),
        Err(_) => false,
    }
}

/// Wait (bounded by `within`) until `pid` is gone; true if it went.
fn gone_within(pid: i32, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if !alive(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    !alive(pid)
}

fn send(signal: &str, pid: u32) {
    let ok = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()
        .expect("kill")
        .success();
    assert!(ok, "kill -{signal} {pid}");
}

/// Wait (bounded) for the child to end; its exit code, or the signal as 128 + N.
fn wait_exit(child: &mut Child, within: Duration) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status
                .code()
                .unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("runbook did not end within {within:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn journal_lines(state: &Path) -> Vec<serde_json::Value> {
    let pattern = format!("{}/**/journal.jsonl", state.display());
    glob::glob(&pattern)
        .expect("glob")
        .flatten()
        .flat_map(|p| {
            std::fs::read_to_string(p)
                .unwrap_or_default()
                .lines()
                .map(|l| serde_json::from_str(l).expect("journal line is JSON"))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// A run hung in `juju models`, stopped by `signal`: exit `code`, the juju child gone, the
/// journal's `interrupted` line names the signal.
fn a_signal_stops_a_hung_read(signal: &str, code: i32) {
    let t = Test::new().file("runbooks/r.rhai", "step(\"read\");\njuju_models();\n");
    let juju = hanging_juju(&t.root(), "models", None);
    let site = format!("#{{ name: \"t\", juju: #{{ bin: \"{juju}\" }} }}");
    let t = t
        .file("sites/t/site.rhai", &site)
        .args(&["run", "r", "--site", "t"]);
    let mut child = t
        .command()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn runbook");
    let pid = wait_for_pid(&t.root().join("juju.pid"), &mut child);
    let sent = Instant::now();
    send(signal, child.id());
    assert_eq!(wait_exit(&mut child, Duration::from_secs(10)), code);
    assert!(
        sent.elapsed() < Duration::from_secs(5),
        "took {:?}",
        sent.elapsed()
    );
    assert!(
        gone_within(pid, Duration::from_secs(1)),
        "juju {pid} outlived the run"
    );
    let out = child.wait_with_output().expect("output");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stderr.contains("error: interrupted"), "{stderr}");
    assert!(!stderr.contains("verdict:"), "{stderr}");
    assert!(!stdout.contains("verdict:"), "{stdout}");
    let lines = journal_lines(&t.root().parent().expect("temp dir").join("state"));
    let interrupted: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["outcome"] == "interrupted")
        .collect();
    assert_eq!(interrupted.len(), 1, "{lines:#?}");
    assert_eq!(interrupted[0]["args"]["signal"], format!("SIG{signal}"));
}

#[test]
fn sigterm_stops_the_run_kills_juju_and_exits_143() {
    a_signal_stops_a_hung_read("TERM", 143);
}

#[test]
fn sighup_stops_the_run_kills_juju_and_exits_129() {
    a_signal_stops_a_hung_read("HUP", 129);
}

#[test]
fn sigint_stops_the_run_kills_juju_and_exits_130() {
    a_signal_stops_a_hung_read("INT", 130);
}

/// `runbook run teardown --yes` on a dirty cloud whose `juju destroy-model` hangs.
fn teardown_with_hanging_destroy(sim: &SimServer) -> (Test, Child, i32) {
    let t = Test::new();
    let juju = hanging_juju(&t.root(), "destroy-model", Some(&sim.juju_bin));
    let t = t.envs(sim.env()).env("JUJU_BIN", &juju).args(&[
        "run",
        "teardown",
        "--root",
        REPO,
        "--site",
        "testcloud",
        "--yes",
        "--set",
        "osd_disks=",
    ]);
    let mut child = t
        .command()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn runbook");
    let pid = wait_for_pid(&t.root().join("juju.pid"), &mut child);
    (t, child, pid)
}

#[test]
fn sigterm_during_the_destroy_journals_it_as_in_flight() {
    let sim = SimServer::with("dirty", &[], TEST_SPEED);
    let (t, mut child, juju) = teardown_with_hanging_destroy(&sim);
    send("TERM", child.id());
    assert_eq!(wait_exit(&mut child, Duration::from_secs(10)), 143);
    assert!(
        gone_within(juju, Duration::from_secs(1)),
        "juju {juju} outlived the run"
    );
    let out = child.wait_with_output().expect("output");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stderr.contains("juju_destroy_model of model openstack was in flight"),
        "{stderr}"
    );
    // The run's ending is part of the transcript (stdout).
    assert!(
        stdout.contains("to continue: run the same command again"),
        "{stdout}"
    );
    let lines = journal_lines(&t.root().parent().expect("temp dir").join("state"));
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
    assert!(!sim
        .log()
        .iter()
        .any(|e| e["request"].as_str().unwrap_or("").contains("op=release")));
}

#[test]
fn after_sigkill_no_juju_child_survives_and_the_intent_is_on_record() {
    let sim = SimServer::with("dirty", &[], TEST_SPEED);
    let (t, mut child, juju) = teardown_with_hanging_destroy(&sim);
    send("KILL", child.id());
    let _ = wait_exit(&mut child, Duration::from_secs(10));
    assert!(
        gone_within(juju, Duration::from_secs(1)),
        "juju {juju} outlived a SIGKILLed run"
    );
    let lines = journal_lines(&t.root().parent().expect("temp dir").join("state"));
    let last = lines.last().expect("journal lines");
    assert_eq!(
        (&last["effect"], &last["outcome"]),
        (&"juju_destroy_model".into(), &"intent".into()),
        "{lines:#?}"
    );
}
