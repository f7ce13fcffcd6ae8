//! Resolution: site overlay → shared folder → built-in copies, for runbooks and modules.

use crate::common::Test;

#[test]
fn runbook_from_root_runs() {
    Test::new()
        .file("runbooks/hello.rhai", "print(\"hello\");")
        .args(&["run", "hello"])
        .run()
        .status(0)
        .stdout_ends_with("hello\n");
}

#[test]
fn site_override_wins_over_shared_file() {
    Test::new()
        .file("runbooks/hello.rhai", "print(\"shared\");")
        .file("sites/demo/site.rhai", "#{ name: \"demo\" }")
        .file("sites/demo/hello.rhai", "print(\"site\");")
        .args(&["run", "hello"])
        .run()
        .status(0)
        .stdout_ends_with("site\n");
}

#[test]
fn edited_file_changes_behaviour_without_rebuild() {
    let t = Test::new()
        .file("runbooks/hello.rhai", "print(\"one\");")
        .args(&["run", "hello"]);
    let root = t.root();
    std::fs::write(root.join("runbooks/hello.rhai"), "print(\"two\");").unwrap();
    t.run().status(0).stdout_ends_with("two\n");
}

#[test]
fn empty_root_still_finds_built_in_sites() {
    Test::new()
        .args(&["eval", "site.targets.len()", "--site", "testcloud"])
        .run()
        .status(0)
        .stdout_ends_with("5\n");
}

#[test]
fn root_flag_and_env() {
    let t = Test::new().file("elsewhere/runbooks/x.rhai", "print(1);");
    let dir = t.root().join("elsewhere");
    let d = dir.display().to_string();
    let t = t.args(&["run", "x", "--root", &d]);
    t.run().status(0).stdout_ends_with("1\n");
    let t = Test::new().file("elsewhere/runbooks/x.rhai", "print(2);");
    let d = t.root().join("elsewhere").display().to_string();
    t.args(&["run", "x"])
        .env("RUNBOOK_ROOT", &d)
        .run()
        .status(0)
        .stdout_ends_with("2\n");
}

#[test]
fn missing_runbook_lists_available() {
    Test::new()
        .file("runbooks/alpha.rhai", "1")
        .file("runbooks/beta.rhai", "1")
        .args(&["run", "gamma"])
        .run()
        .status(2)
        .stderr_has("error: no runbook `gamma` for site `demo`")
        .stderr_has("available runbooks: ")
        .stderr_has(", alpha, beta, ");
}

#[test]
fn module_resolves_from_stdlib_and_site_overlay() {
    Test::new()
        .file("stdlib/greet.rhai", "fn hi() { \"stdlib\" }")
        .file("runbooks/r.rhai", "import \"greet\" as g; print(g::hi());")
        .args(&["run", "r"])
        .run()
        .status(0)
        .stdout_ends_with("stdlib\n");
    Test::new()
        .file("stdlib/greet.rhai", "fn hi() { \"stdlib\" }")
        .file("sites/demo/site.rhai", "#{ name: \"demo\" }")
        .file("sites/demo/greet.rhai", "fn hi() { \"site\" }")
        .file("runbooks/r.rhai", "import \"greet\" as g; print(g::hi());")
        .args(&["run", "r"])
        .run()
        .status(0)
        .stdout_ends_with("site\n");
}

#[test]
fn missing_module_is_an_error_naming_it() {
    Test::script("import \"nowhere\" as n;\n")
        .run()
        .status(2)
        .stderr_has("nowhere");
}

#[test]
fn module_functions_see_site_and_dry_run() {
    Test::new()
        .file("stdlib/m.rhai", "fn f() { `${site.name} ${dry_run}` }")
        .file(
            "runbooks/r.rhai",
            "import \"m\" as m;\nfn g() { site.name }\nprint(m::f());\nprint(g());",
        )
        .args(&["run", "r", "--dry-run"])
        .run()
        .status(0)
        .stdout_ends_with("demo true\ndemo\n");
}

#[test]
fn path_like_names_are_rejected() {
    Test::new()
        .args(&["run", "../etc/passwd"])
        .run()
        .status(2)
        .stderr_has("error: `../etc/passwd` is not a valid runbook name");
    Test::script("import \"../secret\" as s;")
        .run()
        .status(2)
        .stderr_has("not a valid module name");
}

#[test]
fn runbook_by_file_path() {
    Test::new()
        .file("my.rhai", "print(\"file\");")
        .args(&["run", "./my.rhai"])
        .run()
        .status(0)
        .stdout_ends_with("file\n");
}
