//! Conformance with a real MAAS client: python-libmaas 0.6.8, unmodified, against
//! `runbook sim serve` (tests/conformance/libmaas_check.py). The interpreter is
//! `RUNBOOK_LIBMAAS_PYTHON` (a virtualenv with python-libmaas==0.6.8, as `.ci/run` makes),
//! else `python3` if it can import `maas.client`. Without one the test is skipped with a
//! note on a workstation, and FAILS under CI (`CI` set to anything but `false`/`0`), so a
//! CI run without the client can never report the check as passed.

use std::process::Command;

use crate::sim_server::SimServer;

/// A python that has python-libmaas, if there is one.
fn libmaas_python() -> Option<String> {
    if let Ok(python) = std::env::var("RUNBOOK_LIBMAAS_PYTHON") {
        return Some(python);
    }
    let has_it = Command::new("python3")
        .args(["-c", "import maas.client"])
        .output()
        .is_ok_and(|o| o.status.success());
    has_it.then(|| "python3".to_string())
}

fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

#[test]
fn python_libmaas_connects_lists_and_releases() {
    let Some(python) = libmaas_python() else {
        assert!(!under_ci(), "CI is set but python-libmaas is missing: set RUNBOOK_LIBMAAS_PYTHON to a python with python-libmaas==0.6.8 (`.ci/run` installs one)");
        eprintln!("note: skipping the python-libmaas conformance test (not under CI); set RUNBOOK_LIBMAAS_PYTHON to a python with python-libmaas==0.6.8");
        return;
    };
    let sim = SimServer::start("dirty");
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/conformance/libmaas_check.py"
    );
    let out = Command::new(&python)
        .arg(script)
        .envs(sim.env())
        .output()
        .expect("run the libmaas check");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "libmaas check failed:\n{}\n{stderr}",
        String::from_utf8_lossy(&out.stdout)
    );
    let changes = sim.changes();
    assert_eq!(
        changes.len(),
        1,
        "one release changed the cloud: {changes:?}"
    );
}
