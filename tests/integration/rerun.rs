//! The first re-run finishes the job: a teardown stopped in any phase (a signal between
//! steps, or SIGKILL) is run again with the same command and reaches GO, without a second
//! re-run. The re-run continues what was started — it never captures the dying model as a
//! "pre-destroy" backup, never destroys it a second time, never moves the pointer away from
//! the backup taken before the destroy — and its transcript says so.
//!
//! Each test stops the first run at a chosen phase deterministically: a simulator fault
//! holds one request (`maas-hang-first`) or keeps the destroyed model listed, dying, for
//! a while (`model-slow`), and the test signals the run once the simulator's request log
//! (or the run's transcript) shows it got there.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::Test;
use crate::sim_server::{SimServer, JUJU_MAJORS, TEST_SPEED};

const REPO: &str = env!("CARGO_MANIFEST_DIR");
const TARGETS: [&str; 5] = [
    "openstack0",
    "openstack1",
    "openstack2",
    "openstack3",
    "capi-mgmt",
];

/// The operator's command, the same for the stopped run and the re-run. `destroy_cli`:
/// how long Phase B waits for Juju before going on while the controller carries on.
fn teardown_command(sim: &SimServer, destroy_cli: u32) -> Test {
    let destroy_cli = format!("timeouts.destroy_cli={destroy_cli}");
    Test::new().envs(sim.env()).args(&[
        "run",
        "teardown",
        "--root",
        REPO,
        "--site",
        "testcloud",
        "--yes",
        "--set",
        "osd_disks=",
        "--set",
        "timeouts.model_gone=60",
        "--set",
        "timeouts.machines_ready=30",
        "--set",
        &destroy_cli,
    ])
}

/// A run in progress, its stdout collected as it comes.
struct Running {
    child: Child,
    stdout: Arc<Mutex<String>>,
}

fn start(t: &Test) -> Running {
    let mut child = t
        .command()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn runbook");
    let stdout = Arc::new(Mutex::new(String::new()));
    let pipe = child.stdout.take().expect("stdout is piped");
    let sink = stdout.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            let mut s = sink.lock().expect("stdout buffer");
            s.push_str(&line);
            s.push('\n');
        }
    });
    Running { child, stdout }
}

impl Running {
    /// Wait (bounded) until `cond` holds; panics with the transcript so far if the run
    /// ends first or it takes too long.
    fn wait_until(&mut self, what: &str, cond: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let text = self.stdout.lock().expect("stdout buffer").clone();
            if cond(&text) {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("the run ended ({status}) before {what}\n{text}");
            }
            assert!(Instant::now() < deadline, "never got to {what}\n{text}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Wait (bounded) until the simulator's request log has an entry for which `cond`
    /// holds.
    fn wait_for_request(&mut self, sim: &SimServer, what: &str, cond: impl Fn(&Value) -> bool) {
        self.wait_until(what, |_| sim.log().iter().any(&cond));
    }

    /// Send `signal` and wait for the run to end; its exit code (128 + N when killed).
    fn stop(mut self, signal: i32) -> (i32, String) {
        unsafe {
            libc::kill(self.child.id() as i32, signal);
        }
        use std::os::unix::process::ExitStatusExt;
        let deadline = Instant::now() + Duration::from_secs(20);
        let code = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status
                    .code()
                    .unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("the run did not stop within 20s of signal {signal}");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let text = self.stdout.lock().expect("stdout buffer").clone();
        (code, text)
    }
}

fn is_juju(e: &Value, command: &str) -> bool {
    e["kind"] == "juju" && e["request"].as_str().unwrap_or("").starts_with(command)
}

/// The re-run: the same command, to its end.
struct Rerun {
    code: i32,
    stdout: String,
    stderr: String,
}

fn rerun(t: &Test) -> Rerun {
    let out = t
        .command()
        .stdin(Stdio::null())
        .output()
        .expect("run runbook again");
    Rerun {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

impl Rerun {
    fn show(&self) -> String {
        format!(
            "status {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }

    /// Exit 0 with the verdict GO, no second re-run needed.
    fn is_go(&self) -> &Rerun {
        assert_eq!(self.code, 0, "the first re-run is not GO\n{}", self.show());
        assert!(
            format!("{}{}", self.stdout, self.stderr).contains("verdict: GO"),
            "{}",
            self.show()
        );
        self
    }

    fn says(&self, text: &str) -> &Rerun {
        assert!(
            self.stdout.contains(text),
            "the re-run's transcript lacks {text:?}\n{}",
            self.show()
        );
        self
    }
}

fn backups(home: &Path) -> Vec<PathBuf> {
    let pattern = format!("{}/backups/pre-caracal-destroy-*", home.display());
    let mut dirs: Vec<PathBuf> = glob::glob(&pattern).expect("glob").flatten().collect();
    dirs.sort();
    dirs
}

fn pointer(home: &Path) -> Option<String> {
    std::fs::read_to_string(home.join(".last-pre-caracal-destroy-backup"))
        .ok()
        .map(|s| s.trim().to_string())
}

/// The model is gone and every target is Ready with no owner.
fn assert_torn_down(sim: &SimServer) {
    for h in TARGETS {
        let m = sim.machine(h);
        assert_eq!(m["status_name"], "Ready", "{h}: {m}");
        assert!(m["owner"].is_null(), "{h} still owned: {m}");
    }
    let state = sim.state();
    let models: Vec<&str> = state["models"]
        .as_array()
        .map(|ms| ms.iter().filter_map(|m| m["name"].as_str()).collect())
        .unwrap_or_default();
    assert!(
        !models.contains(&"openstack"),
        "model still listed: {models:?}"
    );
}

/// The backup Phase A of the stopped run sealed is the only one, and the pointer still
/// names it after the re-run.
fn assert_one_pre_destroy_backup(t: &Test, before: &Option<String>) {
    let dirs = backups(&t.home());
    assert_eq!(
        dirs.len(),
        1,
        "the re-run made no capture of its own: {dirs:?}"
    );
    let sealed = dirs[0].display().to_string();
    assert_eq!(
        before.as_deref(),
        Some(sealed.as_str()),
        "the stopped run's pointer"
    );
    assert_eq!(
        pointer(&t.home()).as_deref(),
        Some(sealed.as_str()),
        "the pointer still names the backup taken before the destroy"
    );
}

fn destroys(sim: &SimServer) -> Vec<String> {
    sim.requests_of("juju")
        .into_iter()
        .filter(|r| r.starts_with("destroy-model"))
        .collect()
}

#[test]
fn sigterm_in_phase_b_then_the_first_rerun_is_go() {
    for juju in JUJU_MAJORS {
        sigterm_in_phase_b_on(juju);
    }
}

fn sigterm_in_phase_b_on(juju: &str) {
    // The destroyed model stays listed, dying, for 100 simulated seconds (5 s here): Juju's
    // destroy-model blocks meanwhile, so the run is in Phase B when it is stopped.
    let sim = SimServer::with_juju("dirty", &["model-slow:100"], TEST_SPEED, juju);
    let t = teardown_command(&sim, 300);
    let mut run = start(&t);
    run.wait_for_request(&sim, "the destroy", |e| {
        is_juju(e, "destroy-model") && e["changed"] == true
    });
    run.wait_until("Phase B", |s| s.contains("==> Phase B"));
    let (code, first) = run.stop(libc::SIGTERM);
    assert_eq!(code, 143, "{first}");
    let before = pointer(&t.home());

    let again = rerun(&t);
    again
        .is_go()
        .says("[IN PROGRESS]")
        .says("continuing an interrupted teardown")
        .says("was interrupted at")
        .says("SIGTERM")
        .says("juju_destroy_model of model openstack was in flight")
        .says("skipping Phase A and Phase B")
        .says("taken before the destroy of model `openstack`");
    assert_eq!(
        destroys(&sim).len(),
        1,
        "no second destroy: {:?}",
        destroys(&sim)
    );
    assert_one_pre_destroy_backup(&t, &before);
    assert_torn_down(&sim);
}

#[test]
fn sigkill_in_phase_c_then_the_first_rerun_is_go() {
    // Phase B stops waiting after 1 s (the model is still dying); Phase C's first release
    // request is never answered: the run is killed there, one target still Deployed.
    let sim = SimServer::with(
        "dirty",
        &["model-slow:100", "maas-hang-first:op=release"],
        TEST_SPEED,
    );
    let t = teardown_command(&sim, 1);
    let mut run = start(&t);
    run.wait_for_request(&sim, "the held release", |e| {
        e["kind"] == "maas"
            && e["request"].as_str().unwrap_or("").contains("op=release")
            && e["status"] == 0
    });
    let (code, _) = run.stop(libc::SIGKILL);
    assert_eq!(code, 128 + libc::SIGKILL);
    let before = pointer(&t.home());

    let again = rerun(&t);
    again
        .is_go()
        .says("[IN PROGRESS]")
        .says("continuing an interrupted teardown")
        .says("stopped without recording its end (killed?) while release of machine")
        .says("destroy of model openstack was issued")
        .says("in flight when the run stopped: release of machine")
        .says("skipping Phase A and Phase B")
        .says("taken before the destroy of model `openstack`");
    assert_eq!(
        destroys(&sim).len(),
        1,
        "no second destroy: {:?}",
        destroys(&sim)
    );
    assert_one_pre_destroy_backup(&t, &before);
    assert_torn_down(&sim);
}

#[test]
fn sigkill_in_phase_a_then_the_first_rerun_is_go() {
    // Phase A's `juju export-bundle` never returns: the run is killed mid-capture, its
    // backup dir made but never sealed, the pointer not moved, nothing destroyed.
    let sim = SimServer::with("dirty", &["juju-hang-first:export-bundle"], TEST_SPEED);
    let t = teardown_command(&sim, 60);
    let mut run = start(&t);
    run.wait_for_request(&sim, "the held export-bundle", |e| {
        is_juju(e, "export-bundle") && e["status"] == 0
    });
    let (code, _) = run.stop(libc::SIGKILL);
    assert_eq!(code, 128 + libc::SIGKILL);
    assert!(
        pointer(&t.home()).is_none(),
        "Phase A never got to the pointer"
    );
    assert!(destroys(&sim).is_empty());

    // The model is alive: the re-run starts again from Phase A, with a capture of its own.
    let again = rerun(&t);
    again
        .is_go()
        .says("[DIRTY]")
        .says("continuing an interrupted teardown")
        .says("stopped in Phase A")
        .says("starting again from Phase A")
        .says("taken before the destroy of model `openstack`");
    assert_eq!(destroys(&sim).len(), 1, "{:?}", destroys(&sim));
    let dirs = backups(&t.home());
    assert_eq!(
        dirs.len(),
        2,
        "the stopped run's unsealed dir and the re-run's: {dirs:?}"
    );
    assert!(
        !dirs[0].join("seal.json").exists(),
        "the stopped run sealed nothing"
    );
    assert_eq!(
        pointer(&t.home()).as_deref(),
        Some(dirs[1].display().to_string().as_str()),
        "the pointer names the re-run's sealed capture of the live model"
    );
    assert_torn_down(&sim);
}

#[test]
fn sigint_in_phase_d_then_the_first_rerun_is_go() {
    // Phase B stops waiting after 1 s, Phase C releases the targets, and Phase D waits for
    // the model, which stays listed (dying) for 5 s: the run is stopped in that wait.
    let sim = SimServer::with("dirty", &["model-slow:100"], TEST_SPEED);
    let t = teardown_command(&sim, 1);
    let mut run = start(&t);
    run.wait_until("Phase D", |s| s.contains("==> Phase D"));
    let (code, first) = run.stop(libc::SIGINT);
    assert_eq!(code, 130, "{first}");
    assert!(
        first.contains("to continue: run the same command again"),
        "{first}"
    );
    let before = pointer(&t.home());

    // The model is still dying; the targets are back (or on their way): the re-run
    // remediates with the backup taken before the destroy, or waits — never a new capture.
    let again = rerun(&t);
    again
        .is_go()
        .says("continuing an interrupted teardown")
        .says("was interrupted at")
        .says("destroy of model openstack was issued")
        .says("taken before the destroy of model `openstack`");
    assert_one_pre_destroy_backup(&t, &before);
    assert_torn_down(&sim);
}

/// The pointer rule lives in the host: a script that captures the model once it is dying
/// and points the pointer at that capture is refused (exit 4), and the pointer keeps naming
/// the backup taken before the destroy.
#[test]
fn the_pointer_never_moves_from_the_pre_destroy_backup_to_a_capture_of_the_dying_model() {
    let sim = SimServer::with("dirty", &["model-slow:100"], TEST_SPEED);
    let script = r#"
detect_cloud();
fn capture(cfg, model) {
    let dir = backup_dir(cfg.backup_prefix);
    write_backup(dir, "export-bundle.yaml", juju_export_bundle(model));
    write_backup(dir, "status.json", to_json(juju_status(model)));
    write_backup(dir, "models.json", to_json(juju_models()));
    write_backup(dir, "controllers.json", to_json(juju_controllers()));
    write_backup(dir, "maas-targets.json", maas_snapshot([]));
    seal_backup(dir, model);
    dir
}
let before = capture(site, "openstack");
set_pointer(site.pointer_file, before);
print(`pre-destroy: ${before}`);
juju_destroy_model("openstack", #{ force: true, no_wait: true, destroy_storage: true });
let after = capture(site, "openstack");
print(`dying capture: ${after}`);
set_pointer(site.pointer_file, after);
print("moved");
"#;
    let out = Test::new()
        .file("runbooks/move.rhai", script)
        .envs(sim.env())
        .args(&[
            "run",
            "move",
            "--site",
            "testcloud",
            "--yes",
            "--set",
            "timeouts.destroy_cli=1",
        ])
        .run();
    out.status(4)
        .stderr_has("refused by guard `set_pointer.pre_destroy`")
        .stderr_has("taken before its destroy")
        .stdout_lacks("moved");
    let dirs = backups(&out.home());
    assert_eq!(dirs.len(), 2, "{dirs:?}");
    assert_eq!(
        pointer(&out.home()).as_deref(),
        Some(dirs[0].display().to_string().as_str()),
        "the pointer still names the backup taken before the destroy"
    );
    let refused: Vec<Value> = out
        .journal_lines()
        .into_iter()
        .filter(|l| l["effect"] == "set_pointer" && l["outcome"] == "refused")
        .collect();
    assert_eq!(refused.len(), 1, "one refused set_pointer in the journal");
    // The destroy reached the simulator once; nothing else changed after the refusal.
    assert_eq!(destroys(&sim).len(), 1);
}

#[test]
fn sigterm_in_remediation_then_the_first_rerun_is_go() {
    // Scenario `stuck`: one machine keeps the model from going until it is force-removed.
    // Phase B gives up after 1 s, Phase D after 2 s; the remediation's first `juju
    // remove-machine` never returns: the run is stopped there.
    let sim = SimServer::with("stuck", &["juju-hang-first:remove-machine"], TEST_SPEED);
    let t = Test::new().envs(sim.env()).args(&[
        "run",
        "teardown",
        "--root",
        REPO,
        "--site",
        "testcloud",
        "--yes",
        "--set",
        "osd_disks=",
        "--set",
        "timeouts.model_gone=2",
        "--set",
        "timeouts.machines_ready=30",
        "--set",
        "timeouts.destroy_cli=1",
    ]);
    let mut run = start(&t);
    run.wait_for_request(&sim, "the held remove-machine", |e| {
        is_juju(e, "remove-machine") && e["status"] == 0
    });
    assert!(
        run.stdout
            .lock()
            .expect("stdout")
            .contains("Phase D remediation"),
        "stopped in the remediation"
    );
    let (code, first) = run.stop(libc::SIGTERM);
    assert_eq!(code, 143, "{first}");
    let before = pointer(&t.home());

    // The model lingers, dying, with its stuck machine: the re-run remediates again on the
    // backup taken before the destroy (no new capture) and reaches GO.
    let again = rerun(&t);
    again
        .is_go()
        .says("continuing an interrupted teardown")
        .says("juju_remove_machine")
        .says("no new capture of a model being destroyed")
        .says("taken before the destroy of model `openstack`");
    assert_one_pre_destroy_backup(&t, &before);
    let removes: Vec<String> = sim
        .requests_of("juju")
        .into_iter()
        .filter(|r| r.starts_with("remove-machine"))
        .collect();
    assert!(
        removes.len() >= 2,
        "the re-run removed the machine again: {removes:?}"
    );
    assert_torn_down(&sim);
}
