//! Conformance with a real MAAS client: python-libmaas 0.6.8, unmodified, against
//! `runbook sim serve` (tests/conformance/libmaas_check.py). The interpreter comes from
//! `RUNBOOK_LIBMAAS_PYTHON` (a virtualenv with python-libmaas==0.6.8); without it the test
//! is skipped with a note, unless `CI` is set, where it fails.

use std::process::Command;

use crate::sim_server::SimServer;

#[test]
fn python_libmaas_connects_lists_and_releases() {
    let Ok(python) = std::env::var("RUNBOOK_LIBMAAS_PYTHON") else {
        assert!(std::env::var_os("CI").is_none(), "CI is set but RUNBOOK_LIBMAAS_PYTHON is not: install python-libmaas==0.6.8 in a venv (see .ci/run)");
        eprintln!("note: skipping the python-libmaas conformance test; set RUNBOOK_LIBMAAS_PYTHON to a python with python-libmaas==0.6.8");
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
    let released = sim
        .log()
        .into_iter()
        .filter(|e| e["changed"] == true)
        .count();
    assert_eq!(released, 1, "exactly one release changed the cloud");
}
