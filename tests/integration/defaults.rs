//! No silent defaults: the default site says so; a `--set` the chosen site cannot use is
//! refused with the reason; `check` reports each problem once and classifies overlay files.

use crate::common::Test;

#[test]
fn the_default_site_says_it_is_the_simulator_and_the_default() {
    let script = "print(\"hi\");";
    Test::script(script)
        .run()
        .status(0)
        .stdout_has("site `demo` (built-in simulator; the default without `--site`)");
    let chosen = Test::script(script).args(&["--site", "demo"]).run();
    chosen
        .status(0)
        .stdout_has("site `demo` (built-in simulator), run");
    assert!(!chosen.stdout.contains("default"), "{}", chosen.stdout);
    let env = Test::new()
        .file("runbooks/r.rhai", script)
        .env("RUNBOOK_SITE", "demo")
        .args(&["run", "r"])
        .run();
    env.status(0)
        .stdout_has("site `demo` (built-in simulator), run");
}

#[test]
fn settings_the_simulated_site_cannot_use_are_refused() {
    for args in [
        &["--set", "maas.url=http://maas.example:5240/MAAS"][..],
        &["--set", "juju.bin=/usr/bin/juju"][..],
        &["--profile", "prod"][..],
    ] {
        let out = Test::script("print(\"ran\");").args(args).run();
        out.status(2)
            .stderr_has("cannot apply to site `demo`")
            .stderr_has("built-in simulated cloud")
            .stderr_has("--site NAME")
            .stdout_lacks("ran");
    }
    // Settings the simulated site does use are still fine.
    Test::script("print(site.timeouts.model_gone);")
        .args(&["--set", "timeouts.model_gone=30"])
        .run()
        .status(0)
        .stdout_ends_with("30\n");
}

#[test]
fn check_reports_an_overlay_module_problem_once_and_lists_it_as_a_module() {
    let t = || {
        Test::new()
            .file(
                "sites/demo/osd.rhai",
                "fn disks(cfg) { no_such_function() }\nfn criteria(run) { [] }\nfn note(run) {}\nfn wipe(run, d) {}\n",
            )
            .file(
                "sites/demo/helpers.rhai",
                "import \"text\" as text;\n/// Mine.\nfn mine() { 1 }\n",
            )
    };
    let out = t().args(&["check"]).run();
    out.status(2);
    assert_eq!(
        out.stderr
            .matches("call to undefined function `no_such_function`")
            .count(),
        1,
        "{}",
        out.stderr
    );
    out.stderr_has("1 problem(s) found");
    let list = t().args(&["list"]).run();
    list.status(0);
    let modules = list
        .stdout
        .split("modules for site")
        .nth(1)
        .expect("a modules section")
        .to_string();
    let runbooks = list.stdout.split("modules for site").next().unwrap_or("");
    for name in ["osd", "helpers"] {
        assert!(
            modules
                .lines()
                .any(|l| l.trim_start().starts_with(&format!("{name} "))),
            "{name} not among modules:\n{}",
            list.stdout
        );
        assert!(
            !runbooks
                .lines()
                .any(|l| l.trim_start().starts_with(&format!("{name} "))),
            "{name} among runbooks:\n{}",
            list.stdout
        );
    }
}
