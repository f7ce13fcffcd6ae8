//! Sites: typed settings, overrides and their precedence, `sites show` / `sites diff`.

use crate::common::Test;

/// `runbook eval EXPR` with these arguments, a `MAAS_URL` in the environment and a site
/// file `sites/tiny/site.rhai` (when not empty): stdout exactly.
#[test]
fn settings_come_from_set_then_env_then_the_site_then_defaults() {
    let set_url = "maas.url=http://set:5240/MAAS";
    let tiny = "#{ name: \"tiny\", targets: [\"a\"] }";
    for (args, env, site, stdout) in [
        (
            &["site.maas.url", "--site", "testcloud", "--set", set_url][..],
            "http://env:5240/MAAS",
            "",
            "http://set:5240/MAAS\n",
        ),
        (
            &["site.maas.url", "--site", "testcloud"],
            "http://env:5240/MAAS",
            "",
            "http://env:5240/MAAS\n",
        ),
        // Typed: a number from `--set` is a number.
        (
            &[
                "site.timeouts.model_gone + 1",
                "--set",
                "timeouts.model_gone=30",
            ],
            "",
            "",
            "31\n",
        ),
        // A short site file falls back to the defaults.
        (
            &["site.maas.concurrency", "--site", "tiny"],
            "",
            tiny,
            "16\n",
        ),
    ] {
        let mut t = Test::new().args(&["eval"]).args(args);
        if !env.is_empty() {
            t = t.env("MAAS_URL", env);
        }
        if !site.is_empty() {
            t = t.file("sites/tiny/site.rhai", site);
        }
        t.run().status(0).stdout_is(stdout);
    }
}

/// The demo site always talks to its own simulator: a `MAAS_URL` left in the operator's
/// environment must not send a demo run to a real MAAS.
#[test]
fn demo_ignores_a_real_maas_url_in_the_environment() {
    let out = Test::new()
        .args(&["eval", "site.maas.url", "--site", "demo"])
        .env("MAAS_URL", "http://real-maas:5240/MAAS")
        .run();
    out.status(0).says("http://127.0.0.1:<port>/MAAS");
}

/// A bad `sites/bad/site.rhai` is one error naming the key or the position, exactly.
#[test]
fn a_bad_site_file_is_one_error_naming_the_key_or_its_position() {
    let file = "<tmp>/root/sites/bad/site.rhai";
    for (site, stderr) in [
        (
            "#{ name: \"bad\", wipe_osdd: true }".to_string(),
            format!("error: unknown key `wipe_osdd` (key `wipe_osdd` in `{file}`)\n"),
        ),
        (
            "#{ name: \"bad\", models: [ }".to_string(),
            format!(
                "error: Unexpected '}}'\n  --> {file}:1:27\n  |\n1 | #{{ name: \"bad\", models: [ }}\n  |                           ^\n"
            ),
        ),
        (
            "#{ name: \"bad\",\n  wipe_threshold: 1 / 0 }".to_string(),
            format!(
                "error: Division by zero: 1 / 0\n  --> {file}:2:21\n  |\n2 |   wipe_threshold: 1 / 0 }}\n  |                     ^\n"
            ),
        ),
        (
            "#{ name: \"bad\", timeouts: #{ model_gone: \"soon\" } }".to_string(),
            format!("error: key `timeouts.model_gone` in `{file}` has the wrong type: it must be a whole number, 0 to 604800 seconds (got \"soon\")\n"),
        ),
        (
            "#{ name: \"bad\", maas: #{ api_key: \"x:y:z\" } }".to_string(),
            format!("error: `{file}` sets `maas.api_key`: the MAAS API key comes only from `MAAS_API_KEY` or the file named by `maas.api_key_file`\n"),
        ),
    ] {
        Test::new()
            .file("sites/bad/site.rhai", &site)
            .args(&["eval", "1", "--site", "bad"])
            .run()
            .status(2)
            .stderr_is(&stderr);
    }
}

/// A `--set` of an unknown key, or of the API key (which must not be echoed), is refused.
#[test]
fn a_bad_set_is_refused_naming_the_key_and_the_ways_that_work() {
    for (set, stderr) in [
        (
            "timeouts.model_gon=30",
            "error: unknown key `timeouts.model_gon` (key `timeouts.model_gon` in `--set`)\n",
        ),
        (
            "maas.api_key=a:b:c",
            "error: `--set maas.api_key` is refused: the MAAS API key never goes on a command line (it shows in `ps` and shell history)
hint: set `MAAS_API_KEY`, or name a file with `--set maas.api_key_file=PATH`
",
        ),
    ] {
        Test::new()
            .args(&["eval", "1", "--set", set])
            .run()
            .status(2)
            .stderr_is(stderr);
    }
}

#[test]
fn show_redacts_api_key_and_expands_home() {
    let out = Test::new()
        .args(&["sites", "show", "testcloud"])
        .env("MAAS_API_KEY", "consumer:token:secret")
        .run();
    out.status(0);
    assert!(!out.stdout.contains("secret"));
    let doc = out.json();
    assert_eq!(doc["maas"]["api_key"], "<redacted>");
    assert_eq!(
        doc["backup_root"],
        serde_json::json!(out.home().join("backups").display().to_string())
    );
    assert_eq!(doc["wipe_threshold"], serde_json::json!(1048576));
}

#[test]
fn diff_prints_differing_keys() {
    Test::new()
        .args(&["sites", "diff", "testcloud", "roosevelt"])
        .run()
        .status(0)
        .stdout_is(
            r#"disk_root: "/var/lib/libvirt/images" → ""
juju.controller: "maas-controller" → "roosevelt-maas"
name: "testcloud" → "roosevelt"
osd_disks: "/var/lib/libvirt/images/openstack[0-3]-1.qcow2" → ""
targets: ["openstack0","openstack1","openstack2","openstack3","capi-mgmt"] → []
wipe_osd: true → false
"#,
        );
}

#[test]
fn diff_of_identical_sites_says_so() {
    Test::new()
        .args(&["sites", "diff", "testcloud", "testcloud"])
        .run()
        .status(0)
        .stdout_is(
            "no differences: sites `testcloud` and `testcloud` have the same effective settings\n",
        );
}

#[test]
fn list_sites() {
    Test::new()
        .args(&["sites"])
        .run()
        .status(0)
        .stdout_is("demo\nroosevelt\ntestcloud\n");
}

#[test]
fn script_site_never_contains_api_key() {
    let out = Test::new()
        .args(&["eval", "to_json(site)"])
        .env("MAAS_API_KEY", "consumer:token:secret")
        .run();
    out.status(0);
    assert!(!out.stdout.contains("secret"), "{}", out.stdout);
    let line = out.stdout.lines().next().expect("the site as JSON");
    let site: serde_json::Value = serde_json::from_str(line).expect("JSON");
    assert_eq!(site["name"], "demo");
}
