//! Finding one's way: `list`, `show`, `doc NAME` (primitives and stdlib functions), the exit
//! codes in `--help`, shell completions, `-y`.

use crate::common::Test;

const BUILT_IN_TEARDOWN: &str = include_str!("../../runbooks/teardown.rhai");

#[test]
fn list_shows_runbooks_and_modules_with_purpose_and_file() {
    let out = Test::new()
        .file(
            "sites/demo/state.rhai",
            "//! state — this site's own detection\nfn detect(run) { 1 }\n",
        )
        .args(&["list"])
        .run();
    out.status(0)
        .stdout_has("runbooks for site `demo`")
        .stdout_has("<built-in>/runbooks/teardown.rhai")
        .stdout_has("<built-in>/stdlib/settle.rhai")
        .stdout_has("this site's own detection")
        .stdout_has(&format!(
            "{}",
            out.root().join("sites/demo/state.rhai").display()
        ));
    let teardown = out
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("teardown "))
        .expect("a teardown row");
    assert!(
        teardown.len() > "  teardown  ".len() + 10,
        "a purpose: {teardown}"
    );
    // `site.rhai` is the site's settings, not a runbook or module.
    assert!(!out
        .stdout
        .lines()
        .any(|l| l.trim_start().starts_with("site ")));
}

#[test]
fn show_prints_the_file_that_would_be_used() {
    let out = Test::new().args(&["show", "teardown"]).run();
    out.status(0)
        .stdout_is(BUILT_IN_TEARDOWN)
        .stderr_has("<built-in>/runbooks/teardown.rhai")
        .stderr_has("copy it to `sites/demo/teardown.rhai`");
    let overlay = Test::new()
        .file("sites/demo/teardown.rhai", "print(\"mine\");\n")
        .args(&["show", "teardown"])
        .run();
    overlay.status(0).stdout_is("print(\"mine\");\n");
    Test::new()
        .args(&["show", "settle"])
        .run()
        .status(0)
        .stdout_has("fn phase_d(run, d)");
    Test::new()
        .args(&["show", "nope"])
        .run()
        .status(2)
        .stderr_has("no runbook or module `nope` for site `demo`")
        .stderr_has("runbook list");
}

#[test]
fn doc_names_one_primitive_module_or_module_function() {
    Test::new()
        .args(&["doc", "release"])
        .run()
        .status(0)
        .stdout_has("release(")
        .stdout_has("[destroy]")
        .stdout_lacks("wait_until(");
    Test::new()
        .args(&["doc", "settle::phase_d"])
        .run()
        .status(0)
        .stdout_has("settle::phase_d(run, d)")
        .stdout_has("Phase D. Returns")
        .stdout_lacks("settle::model_left");
    Test::new()
        .args(&["doc", "settle"])
        .run()
        .status(0)
        .stdout_has("module settle")
        .stdout_has("settle::model_left(model)")
        .stdout_has("settle::phase_d(run, d)");
    Test::new()
        .args(&["doc", "no_such_thing"])
        .run()
        .status(2)
        .stderr_has("no primitive, stdlib module or stdlib function `no_such_thing`");
}

#[test]
fn doc_covers_every_stdlib_module_from_its_comments() {
    let out = Test::new()
        .file(
            "stdlib/extra.rhai",
            "//! extra — a helper of this root\n\n/// Doubles `x`.\nfn twice(x) { x * 2 }\n",
        )
        .args(&["doc", "--json"])
        .run();
    out.status(0);
    let doc = out.json();
    let modules = doc["modules"].as_array().expect("modules");
    let names: Vec<&str> = modules.iter().filter_map(|m| m["name"].as_str()).collect();
    for want in ["acceptance", "settle", "state", "extra"] {
        assert!(names.contains(&want), "{want} missing from {names:?}");
    }
    let extra = modules
        .iter()
        .find(|m| m["name"] == "extra")
        .expect("extra");
    assert_eq!(extra["doc"], "extra — a helper of this root");
    assert_eq!(extra["functions"][0]["signature"], "extra::twice(x)");
    assert_eq!(extra["functions"][0]["doc"], "Doubles `x`.");
    // Every public stdlib function is documented.
    for m in modules.iter().filter(|m| m["name"] != "extra") {
        for f in m["functions"].as_array().expect("functions") {
            assert!(
                f["doc"].as_str().is_some_and(|d| !d.is_empty()),
                "{} has no `///` comment",
                f["signature"]
            );
        }
    }
}

#[test]
fn help_lists_the_exit_codes() {
    Test::new()
        .args(&["--help"])
        .run()
        .status(0)
        .stdout_has("Exit codes:")
        .stdout_has("3    routing stopped for a human")
        .stdout_has("4    refused by a guard");
}

#[test]
fn completions_for_each_shell_and_an_unknown_one_is_refused() {
    for (shell, marker) in [
        ("bash", "_runbook()"),
        ("zsh", "#compdef runbook"),
        ("fish", "complete -c runbook"),
    ] {
        Test::new()
            .args(&["completions", shell])
            .run()
            .status(0)
            .stdout_has(marker)
            .stdout_has("rehearse")
            .stdout_has("completions");
    }
    Test::new()
        .args(&["completions", "tcsh"])
        .run()
        .status(2)
        .stderr_has("invalid value 'tcsh'")
        .stderr_has("bash");
}

#[test]
fn short_y_pre_approves() {
    Test::script("print(confirm(\"type the site name\", \"demo\"));")
        .args(&["-y"])
        .run()
        .status(0)
        .stdout_ends_with("true\n");
}
