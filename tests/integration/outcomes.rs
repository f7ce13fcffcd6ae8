//! Truthful outcomes: a verdict only for a run that completed; every other ending says how
//! it ended and what the journal says was already changed; an error after the destroy
//! still gets the scorecard (NO-GO).

use crate::common::{Output, Test};
use crate::sim_server::{SimServer, TEST_SPEED};

const REPO: &str = env!("CARGO_MANIFEST_DIR");

/// `runbook run teardown --site testcloud --json --yes` against `sim`, short waits.
fn teardown(sim: &SimServer) -> Output {
    Test::new()
        .args(&[
            "run",
            "teardown",
            "--root",
            REPO,
            "--site",
            "testcloud",
            "--json",
            "--yes",
            "--set",
            "timeouts.model_gone=10",
            "--set",
            "timeouts.machines_ready=10",
            "--set",
            "osd_disks=",
        ])
        .envs(sim.env())
        .run()
}

#[test]
fn an_error_after_passing_checks_has_no_verdict() {
    let out = Test::new()
        .file(
            "runbooks/r.rhai",
            "check(\"one\", true, \"fine\");\nlet m = #{};\nthrow \"boom\";\n",
        )
        .args(&["run", "r", "--json"])
        .run();
    out.status(2)
        .stderr_lacks("verdict:")
        .stderr_has("run ended: error — no verdict")
        .stderr_has("already changed: nothing");
    let doc = out.json();
    assert!(doc["verdict"].is_null(), "{doc}");
    assert_eq!(doc["outcome"], "error");
    assert!(
        doc["error"].as_str().unwrap_or("").contains("boom"),
        "{doc}"
    );
}

#[test]
fn a_completed_run_is_the_only_one_with_a_verdict() {
    let out = Test::new()
        .file("runbooks/r.rhai", "check(\"one\", true, \"fine\");")
        .args(&["run", "r", "--json"])
        .run();
    out.status(0).stderr_has("verdict: GO");
    let doc = out.json();
    assert_eq!(
        (&doc["verdict"], &doc["outcome"]),
        (&"go".into(), &"completed".into())
    );
    assert!(doc.get("error").is_none(), "{doc}");
}

#[test]
fn a_halt_after_passing_checks_is_halted_without_a_verdict() {
    let out = Test::new()
        .file(
            "runbooks/r.rhai",
            "check(\"one\", true, \"\");\nhalt(\"look first\");",
        )
        .args(&["run", "r", "--json"])
        .run();
    out.status(3).stderr_lacks("verdict:");
    let doc = out.json();
    assert!(doc["verdict"].is_null(), "{doc}");
    assert_eq!(doc["outcome"], "halted");
    assert!(doc["error"].as_str().unwrap_or("").contains("look first"));
}

#[test]
fn a_refusal_is_refused_without_a_verdict() {
    let out = Test::new()
        .file(
            "runbooks/r.rhai",
            "check(\"one\", true, \"\");\nconfirm(\"type yes\", \"yes\");",
        )
        .args(&["run", "r", "--json"])
        .run();
    out.status(4).stderr_lacks("verdict:");
    let doc = out.json();
    assert!(doc["verdict"].is_null(), "{doc}");
    assert_eq!(doc["outcome"], "refused");
}

#[test]
fn maas_failing_after_the_destroy_still_prints_the_scorecard_no_go() {
    let sim = SimServer::with("dirty", &["maas-down-after:destroy-model"], TEST_SPEED);
    let out = teardown(&sim);
    out.status(1)
        .stderr_has("verdict: NO-GO")
        .stderr_has("run ended: error after the cloud was changed")
        .stderr_has("destroy of model openstack was issued at")
        .stderr_has("backup sealed for model openstack");
    let doc = out.json();
    assert_eq!(doc["verdict"], "no-go");
    assert_eq!(doc["outcome"], "error");
    assert!(doc["error"].as_str().unwrap_or("").contains("500"), "{doc}");
    // The scorecard: the model row could be read (Juju still answers), the MAAS rows not.
    let checks = doc["checks"].as_array().expect("checks");
    let row = |name: &str| {
        checks
            .iter()
            .find(|c| c["name"].as_str().unwrap_or("").contains(name))
            .unwrap_or_else(|| panic!("no `{name}` row in {checks:#?}"))
            .clone()
    };
    assert_eq!(row("targets Ready")["pass"], false);
    assert!(row("targets Ready")["detail"]
        .as_str()
        .unwrap_or("")
        .contains("could not be read"));
    assert_eq!(row("pre-destroy backup")["pass"], true, "{checks:#?}");
    // The destroy really happened (this is why the scorecard is owed).
    assert!(sim.log().iter().any(|e| e["kind"] == "juju"
        && e["request"]
            .as_str()
            .unwrap_or("")
            .contains("destroy-model")));
}
