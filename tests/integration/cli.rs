//! The command line: subcommands, help, `eval`, bad input.

use crate::common::Test;

#[test]
fn eval_prints_value() {
    Test::new()
        .args(&["eval", "1 + 2"])
        .run()
        .status(0)
        .stdout_is("3\n");
}

#[test]
fn eval_json_prints_value_as_json() {
    let out = Test::new()
        .args(&["eval", "--json", "#{a: [1, 2], b: \"x\"}"])
        .run();
    out.status(0);
    assert_eq!(out.json(), serde_json::json!({"a": [1, 2], "b": "x"}));
}

#[test]
fn help_lists_subcommands() {
    let out = Test::new().args(&["--help"]).run();
    out.status(0);
    for sub in ["run", "eval", "check", "doc", "sites"] {
        out.stdout_has(sub);
    }
    Test::new()
        .args(&["run", "--help"])
        .run()
        .status(0)
        .stdout_has("--dry-run")
        .stdout_has("--yes")
        .stdout_has("--set");
}

#[test]
fn set_without_equals_is_an_error() {
    Test::new()
        .args(&["eval", "1", "--set", "timeouts.model_gone"])
        .run()
        .status(2)
        .stderr_has("error: `--set timeouts.model_gone` has no `=`");
}

#[test]
fn unknown_subcommand_is_usage_error() {
    Test::new().args(&["frobnicate"]).run().status(2);
}

#[test]
fn unreadable_root_is_an_error() {
    Test::new()
        .args(&["eval", "1", "--root", "/nonexistent/dir"])
        .run()
        .status(2)
        .stderr_has("error: cannot read root `/nonexistent/dir`");
}

#[test]
fn unknown_site_lists_known_ones() {
    Test::new()
        .args(&["eval", "1", "--site", "atlantis"])
        .run()
        .status(2)
        .stderr_has("error: no site `atlantis`")
        .stderr_has("known sites: demo, roosevelt, testcloud");
}

#[test]
fn site_from_environment() {
    Test::new()
        .args(&["eval", "site.name"])
        .env("RUNBOOK_SITE", "testcloud")
        .run()
        .status(0)
        .stdout_is("testcloud\n");
}
