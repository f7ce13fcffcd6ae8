//! Truthful outcomes: a verdict only for a run that completed; every other ending says how
//! it ended and what the journal says was already changed; an error after the destroy
//! still gets the scorecard (NO-GO).

use crate::common::session::testcloud;
use crate::common::{Output, Test};
use crate::sim_server::{SimServer, TEST_SPEED};

/// `runbook run teardown --site testcloud --json --yes` against `sim`, short waits.
fn teardown(sim: &SimServer) -> Output {
    testcloud(sim, "teardown").args(&["--json", "--yes"]).run()
}

/// `runbook run r --json` of `script`, which ends other than completed: exit `code`, no
/// verdict in the transcript or the document, whose `outcome` is `outcome`, and nothing
/// changed; the document.
fn ends_without_a_verdict(script: &str, code: i32, outcome: &str) -> serde_json::Value {
    let out = Test::script(script).args(&["--json"]).run();
    out.status(code).stderr_lacks("verdict:").says(&format!(
        "run ended: {outcome} — no verdict\nalready changed: nothing (per the journal)"
    ));
    let doc = out.json();
    assert!(doc["verdict"].is_null(), "{doc}");
    assert_eq!(doc["outcome"], outcome);
    doc
}

#[test]
fn an_error_after_passing_checks_has_no_verdict() {
    let doc = ends_without_a_verdict(
        "check(\"one\", true, \"fine\");\nlet m = #{};\nthrow \"boom\";\n",
        2,
        "error",
    );
    assert!(
        doc["error"].as_str().unwrap_or("").contains("boom"),
        "{doc}"
    );
}

#[test]
fn a_completed_run_is_the_only_one_with_a_verdict() {
    let out = Test::script("check(\"one\", true, \"fine\");")
        .args(&["--json"])
        .run();
    out.status(0).says("verdict: GO");
    let doc = out.json();
    assert_eq!(
        (&doc["verdict"], &doc["outcome"]),
        (&"go".into(), &"completed".into())
    );
    assert!(doc.get("error").is_none(), "{doc}");
}

#[test]
fn a_halt_after_passing_checks_is_halted_without_a_verdict() {
    let doc = ends_without_a_verdict(
        "check(\"one\", true, \"\");\nhalt(\"look first\");",
        3,
        "halted",
    );
    assert!(doc["error"].as_str().unwrap_or("").contains("look first"));
}

#[test]
fn a_refusal_is_refused_without_a_verdict() {
    ends_without_a_verdict(
        "check(\"one\", true, \"\");\nconfirm(\"type yes\", \"yes\");",
        4,
        "refused",
    );
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

#[test]
fn control_characters_from_scripts_and_systems_are_escaped_on_the_terminal() {
    // `\x1b[2J` clears the screen, `\x1b]0;..\x07` retitles it, `\r` overwrites a line.
    let script = "step(\"title \\x1b[2J\");\nnote(\"owner=\\x1b]0;pwn\\x07\");\n\
                  warn(\"status \\r\\x1b[1A\");\nprint(\"msg \\x1b[31m\");\n\
                  check(\"row \\x1b[2K\", true, \"detail \\x9b2J\");\nthrow \"boom \\x1b[H\";\n";
    let out = Test::script(script).run();
    out.status(2);
    for text in [&out.stdout, &out.stderr] {
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{9b}') && !text.contains('\r'),
            "a raw control character reached the terminal: {text:?}"
        );
    }
    // The transcript (stdout) and the error (stderr), as the operator's terminal shows them.
    let screen = format!("{}{}", out.stdout, out.stderr);
    for shown in [
        "title \\x1b[2J",
        "owner=\\x1b]0;pwn\\x07",
        "status \\x0d\\x1b[1A",
        "row \\x1b[2K",
        "detail \\u{9b}2J",
        "boom \\x1b[H",
    ] {
        assert!(
            screen.contains(shown),
            "{shown:?} not shown escaped:\n{screen}"
        );
    }
    out.stdout_has("msg \\x1b[31m");
}

#[test]
fn out_of_range_settings_are_a_clear_error_not_a_panic() {
    for (set, key) in [
        ("juju.timeout=18446744073709551615", "juju.timeout"),
        ("maas.concurrency=0", "maas.concurrency"),
        ("timeouts.model_gone=99999999999", "timeouts.model_gone"),
        ("limits.max_seconds=0", "limits.max_seconds"),
    ] {
        Test::script("print(\"ran\");")
            .args(&["--set", set])
            .run()
            .status(2)
            .stderr_has(&format!("`{key}` = "))
            .stderr_has("is out of range (set in `--set`)")
            .stderr_lacks("panicked");
    }
}

#[test]
fn a_script_past_its_time_limit_stops_with_its_position() {
    // (A bare counting loop is stopped by the operations limit first, on a fast machine
    // within the 2 s: not a time-limit case.)
    for (script, line) in [
        ("let a = [];\nloop { a.push(\"x\"); }\n", "r.rhai:2"),
        ("print(\"nap\");\nsleep(60);\n", "r.rhai:2"),
    ] {
        let started = std::time::Instant::now();
        let out = Test::script(script)
            .args(&["--set", "limits.max_seconds=2"])
            .run();
        let took = started.elapsed();
        out.status(2)
            .stderr_has("time limit: the run took longer than 2s (site `limits.max_seconds`)")
            .stderr_has(line);
        assert!(
            took < std::time::Duration::from_secs(10),
            "{script}: took {took:?}"
        );
    }
}
