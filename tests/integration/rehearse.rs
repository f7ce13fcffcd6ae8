//! `runbook rehearse RUNBOOK --site S`: record the site's cloud, serve a replica in-process
//! and run the runbook against it. The "real" cloud here is `runbook sim serve`; its
//! request log proves the rehearsal only read it.

use crate::common::Test;
use crate::sim_server::SimServer;

const REPO: &str = env!("CARGO_MANIFEST_DIR");

fn rehearse(sim: &SimServer, root: &str) -> crate::common::Output {
    let test = Test::new();
    // The scratch directory goes under the test's own temp dir.
    let tmp = test.home().display().to_string();
    test.args(&[
        "rehearse",
        "teardown",
        "--root",
        root,
        "--site",
        "testcloud",
        "--set",
        "timeouts.model_gone=10",
        "--set",
        "timeouts.machines_ready=10",
        "--speed",
        "20",
    ])
    .envs(sim.env())
    .env("TMPDIR", &tmp)
    .run()
}

#[test]
fn a_rehearsal_runs_the_teardown_on_a_replica_and_the_real_cloud_is_untouched() {
    let sim = SimServer::start("dirty");
    let before = sim.state();
    let out = rehearse(&sim, REPO);
    out.status(0)
        .stdout_has("rehearse: recorded site `testcloud`")
        .stdout_has("route: dirty")
        .stdout_has("destroy-model maas-controller:admin/openstack")
        .stdout_has("verdict: GO");
    let last = out.stdout.trim_end().lines().last().unwrap_or("");
    assert!(
        last.starts_with("rehearsal on a replica of testcloud recorded at ")
            && last.ends_with(": nothing on the real cloud changed"),
        "{last}"
    );
    sim.assert_only_read();
    assert_eq!(sim.state(), before);
    // Backups, pointer and journal went to the scratch directory, not the site's paths.
    assert!(!out.home().join("backups").exists());
    let scratch: Vec<_> = glob::glob(&format!(
        "{}/runbook-rehearsal-*/backups/*/*",
        out.home().display()
    ))
    .expect("glob")
    .flatten()
    .collect();
    assert!(
        !scratch.is_empty(),
        "no backup in the scratch dir\n{}",
        out.stderr
    );
}

#[test]
fn a_rehearsal_tries_an_edited_runbook_on_the_cloud_s_shape() {
    let sim = SimServer::start("dirty");
    let dir = tempfile::tempdir().expect("temp dir");
    let teardown = dir.path().join("runbooks/teardown.rhai");
    std::fs::create_dir_all(teardown.parent().expect("dir")).expect("mkdir");
    // An edit that breaks the run: the rehearsal shows it before the real cloud does.
    std::fs::write(&teardown, "fail(\"rehearsal catches this\");\n").expect("write");
    let out = rehearse(&sim, &dir.path().display().to_string());
    out.status(1)
        .stdout_has("rehearsal catches this")
        .stdout_has("nothing on the real cloud changed");
    sim.assert_only_read();
}
