//! `runbook check`: every runbook and module compiled and linted; all problems reported.

use crate::common::Test;

#[test]
fn clean_tree_passes() {
    Test::new()
        .file("stdlib/m.rhai", "fn f() { site.name }")
        .file(
            "runbooks/a.rhai",
            "import \"m\" as m;\nfn g() { dry_run }\nprint(m::f() + g());\nstep(\"x\");",
        )
        .args(&["check"])
        .run()
        .status(0)
        .stderr_has("ok: ");
}

#[test]
fn reports_every_problem_with_file() {
    let out = Test::new()
        .file("runbooks/a.rhai", "let x = ;\n")
        .file(
            "runbooks/b.rhai",
            "import \"ghost\" as g;\nfrobnicate(1);\n",
        )
        .file("runbooks/c.rhai", "import \"m\" as m;\nm::nothere();\n")
        .file("stdlib/m.rhai", "fn f() { 1 }")
        .args(&["check"])
        .run();
    out.status(2);
    let root = out.root().display().to_string();
    out.stderr_has(&format!("--> {root}/runbooks/a.rhai:1:"));
    out.stderr_has("error: import `ghost` does not resolve");
    out.stderr_has(&format!("--> {root}/runbooks/b.rhai:1:1"));
    out.stderr_has(&format!(
        "error: call to undefined function `frobnicate`\n  --> {root}/runbooks/b.rhai:2:1"
    ));
    out.stderr_has(&format!(
        "error: module `m` (`{root}/stdlib/m.rhai`) has no function `nothere`"
    ));
    out.stderr_has("4 problem(s) found");
}

#[test]
fn strict_variables_in_check() {
    Test::new()
        .file("runbooks/a.rhai", "print(undefined_thing);")
        .args(&["check"])
        .run()
        .status(2)
        .stderr_has("Undefined variable: undefined_thing");
}

#[test]
fn files_named_on_the_command_line_are_checked_too() {
    let out = Test::new()
        .file("drafts/good.rhai", "import \"m\" as m;\nprint(m::f());\n")
        .file("drafts/bad.rhai", "frobnicate(1);\n")
        .file("stdlib/m.rhai", "fn f() { 1 }")
        .args(&[
            "check",
            "drafts/good.rhai",
            "drafts/bad.rhai",
            "drafts/none.rhai",
        ])
        .run();
    out.status(2)
        .stderr_has("checked drafts/good.rhai\n")
        .stderr_has("error: call to undefined function `frobnicate`\n  --> drafts/bad.rhai:1:1")
        .stderr_has("error: cannot read runbook `drafts/none.rhai`: ")
        .stderr_has("2 problem(s) found");
    Test::new()
        .file("drafts/good.rhai", "print(site.name);\n")
        .args(&["check", "drafts/good.rhai"])
        .run()
        .status(0)
        .stderr_has("checked drafts/good.rhai\n");
}
