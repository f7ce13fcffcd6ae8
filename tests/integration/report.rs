//! Flow primitives, the scorecard, the `--json` document and exit codes.

use crate::common::Test;

const ALL_GO: &str =
    "step(\"a\");\nok(\"fine\");\ncheck(\"one\", true, \"1/1\");\ncheck(\"two\", 1 == 1, ());\n";

#[test]
fn all_checks_pass_is_go_exit_0() {
    let out = Test::script(ALL_GO).run();
    out.status(0)
        .stdout_has("verdict: GO")
        .stdout_has("one    GO      1/1");
}

#[test]
fn failed_check_is_no_go_exit_1() {
    let out =
        Test::script("let r = check(\"ready\", false, #{missing: [\"openstack0\"]});\nprint(r);")
            .args(&["--json"])
            .run();
    out.status(1);
    let doc = out.json();
    assert_eq!(doc["verdict"], "no-go");
    assert_eq!(
        doc["checks"][0],
        serde_json::json!({"name": "ready", "pass": false, "detail": "{\"missing\":[\"openstack0\"]}"})
    );
    out.stderr_has("false"); // print() goes to stderr under --json
}

#[test]
fn no_checks_no_failure_is_exit_0_verdict_null() {
    let out = Test::script("step(\"x\");").args(&["--json"]).run();
    out.status(0);
    assert_eq!(out.json()["verdict"], serde_json::Value::Null);
}

#[test]
fn fail_makes_no_go() {
    Test::script("fail(\"escalate\");")
        .run()
        .status(1)
        .stdout_has("FAIL escalate");
}

#[test]
fn json_document_shape() {
    let out = Test::script(ALL_GO).args(&["--json"]).run();
    out.status(0);
    let doc = out.json();
    let keys: Vec<&str> = doc
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "checks", "journal", "outcome", "plan", "route", "runbook", "site", "steps", "verdict",
            "version"
        ]
    );
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["runbook"], "r");
    assert_eq!(doc["site"], "demo");
    assert_eq!(doc["verdict"], "go");
    assert_eq!(doc["outcome"], "completed");
    assert_eq!(doc["steps"][0]["title"], "a");
    assert!(doc["journal"].as_str().unwrap().ends_with("journal.jsonl"));
}

#[test]
fn halt_sets_route_and_exits_3() {
    let out = Test::script("set_route(\"UNKNOWN\");\ntry { halt(\"target `openstack3` missing from MAAS\"); } catch { print(\"caught\"); }\nprint(\"after\");")
        .args(&["--json"])
        .run();
    out.status(3)
        .stderr_has("stopped: target `openstack3` missing from MAAS")
        .stderr_lacks("caught");
    assert_eq!(out.json()["route"], "UNKNOWN");
}

#[test]
fn wait_until_returns_when_true() {
    Test::script("let n = 0;\nlet t = wait_until(\"n to reach 3\", 5, 0.01, || { n += 1; if n >= 3 { true } else { `n=${n}` } });\nprint(`${t} ${n}`);")
        .run()
        .status(0)
        .stdout_ends_with("true 3\n")
        .stderr_has("wait  [0s] n to reach 3: n=1");
}

/// The session, and the test that keeps its temporary root alive.
fn wait_in_pty(term: Option<&str>) -> (Test, expectrl::Session) {
    let mut t = Test::script("let n = 0;\nwait_until(\"n to reach 8\", 10, 0.1, || { n += 1; if n >= 8 { true } else { `n=${n}` } });\nprint(\"after\");");
    if let Some(term) = term {
        t = t.env("TERM", term);
    }
    let mut session = expectrl::Session::spawn(t.command()).expect("spawn in a pty");
    session.set_expect_timeout(Some(std::time::Duration::from_secs(20)));
    (t, session)
}

#[test]
fn wait_until_on_a_terminal_shows_a_live_line_with_elapsed_time() {
    let (_t, mut session) = wait_in_pty(Some("xterm"));
    // The indicatif line: spinner, elapsed time, what, the last value seen.
    session
        .expect(expectrl::Regex(r"\[\d+s\] waiting for n to reach 8: n=\d"))
        .expect("a live progress line");
    session
        .expect("n to reach 8: done")
        .expect("the closing line");
    session.expect("after").expect("the script goes on");
    session.expect(expectrl::Eof).expect("end of output");
}

#[test]
fn wait_until_on_a_terminal_indicatif_cannot_drive_prints_plain_lines() {
    // `TERM` unset: indicatif would draw nothing, so the plain lines show the wait.
    let (_t, mut session) = wait_in_pty(None);
    session
        .expect("wait  [0s] n to reach 8: n=1")
        .expect("a plain progress line");
    session
        .expect("n to reach 8: done")
        .expect("the closing line");
    session.expect(expectrl::Eof).expect("end of output");
}

#[test]
fn wait_until_timeout_names_what_and_last_value() {
    Test::script("wait_until(\"model gone\", 0.2, 0.05, || \"life: dying\");")
        .run()
        .status(2)
        .stderr_has(
            "error: timed out after 0.2s waiting for model gone; last value seen: life: dying",
        );
}

#[test]
fn confirm_without_terminal_or_yes_is_refused() {
    Test::script("confirm(\"type the site name\", \"demo\");\nprint(\"after\");")
        .run()
        .status(4)
        .stderr_has("stdin is not a terminal; rerun with `--yes`");
    Test::script("print(confirm(\"type the site name\", \"demo\"));")
        .args(&["--yes"])
        .run()
        .status(0)
        .stdout_ends_with("true\n");
}

#[test]
fn now_and_to_json() {
    Test::new()
        .args(&["eval", "to_json(#{a: [1, ()], b: now().len()})"])
        .run()
        .status(0)
        .stdout_is("{\"a\":[1,null],\"b\":20}\n");
}

#[test]
fn halt_inside_module_function_exits_3() {
    Test::new()
        .file(
            "stdlib/route.rhai",
            "fn stop_here() { set_route(\"ANOMALY\"); halt(\"model present but no machines\"); }",
        )
        .file(
            "runbooks/r.rhai",
            "import \"route\" as route;\nroute::stop_here();\nprint(\"after\");",
        )
        .args(&["run", "r"])
        .run()
        .status(3)
        .stdout_lacks("after")
        .stdout_has("route: ANOMALY")
        .stderr_has("stopped: model present but no machines");
}

#[test]
fn eval_names_journal_when_it_changed_something() {
    Test::new()
        .args(&["eval", "backup_dir(\"x\"); 1"])
        .run()
        .status(0)
        .stdout_is("1\n")
        .stderr_has("journal: ");
}
