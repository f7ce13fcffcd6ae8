//! Sites: typed settings, overrides and their precedence, `sites show` / `sites diff`.

use crate::common::Test;

#[test]
fn set_overrides_site_and_env() {
    Test::new()
        .args(&[
            "eval",
            "site.maas.url",
            "--site",
            "testcloud",
            "--set",
            "maas.url=http://set:5240/MAAS",
        ])
        .env("MAAS_URL", "http://env:5240/MAAS")
        .run()
        .status(0)
        .stdout_is("http://set:5240/MAAS\n");
    Test::new()
        .args(&["eval", "site.maas.url", "--site", "testcloud"])
        .env("MAAS_URL", "http://env:5240/MAAS")
        .run()
        .status(0)
        .stdout_is("http://env:5240/MAAS\n");
}

/// The demo site always talks to its own simulator: a `MAAS_URL` left in the operator's
/// environment must not send a demo run to a real MAAS.
#[test]
fn demo_ignores_a_real_maas_url_in_the_environment() {
    let out = Test::new()
        .args(&["eval", "site.maas.url", "--site", "demo"])
        .env("MAAS_URL", "http://real-maas:5240/MAAS")
        .run();
    let out = out.status(0);
    assert!(
        out.stdout.starts_with("http://127.0.0.1:"),
        "demo must use the simulator, got {}",
        out.stdout
    );
}

#[test]
fn set_typed_number() {
    Test::new()
        .args(&[
            "eval",
            "site.timeouts.model_gone + 1",
            "--set",
            "timeouts.model_gone=30",
        ])
        .run()
        .status(0)
        .stdout_is("31\n");
}

#[test]
fn set_unknown_key_is_named() {
    Test::new()
        .args(&["eval", "1", "--set", "timeouts.model_gon=30"])
        .run()
        .status(2)
        .stderr_has("unknown key `timeouts.model_gon`");
}

#[test]
fn short_site_file_falls_back_to_defaults() {
    Test::new()
        .file(
            "sites/tiny/site.rhai",
            "#{ name: \"tiny\", targets: [\"a\"] }",
        )
        .args(&["eval", "site.maas.concurrency", "--site", "tiny"])
        .run()
        .status(0)
        .stdout_is("16\n");
}

#[test]
fn unknown_key_in_site_file_names_key_and_file() {
    let out = Test::new()
        .file("sites/bad/site.rhai", "#{ name: \"bad\", wipe_osdd: true }")
        .args(&["eval", "1", "--site", "bad"])
        .run();
    out.status(2);
    let file = out.root().join("sites/bad/site.rhai").display().to_string();
    out.stderr_has(&format!(
        "unknown key `wipe_osdd` (key `wipe_osdd` in `{file}`)"
    ));
}

#[test]
fn broken_site_file_is_one_error_with_its_position() {
    for (text, message, at) in [
        ("#{ name: \"bad\", models: [ }", "error: ", ":1:"),
        (
            "#{ name: \"bad\",\n  wipe_threshold: 1 / 0 }",
            "error: Division by zero",
            ":2:",
        ),
    ] {
        let out = Test::new()
            .file("sites/bad/site.rhai", text)
            .args(&["eval", "1", "--site", "bad"])
            .run();
        out.status(2);
        let file = out.root().join("sites/bad/site.rhai").display().to_string();
        assert!(out.stderr.starts_with(message), "{}", out.stderr);
        assert!(!out.stderr.contains("error: error:"), "{}", out.stderr);
        assert!(!out.stderr.contains("\n\n"), "{}", out.stderr);
        out.stderr_has(&format!("--> {file}{at}"));
    }
}

#[test]
fn mistyped_key_in_site_file_is_named() {
    Test::new()
        .file(
            "sites/bad/site.rhai",
            "#{ name: \"bad\", timeouts: #{ model_gone: \"soon\" } }",
        )
        .args(&["eval", "1", "--site", "bad"])
        .run()
        .status(2)
        .stderr_has("key `timeouts.model_gone`")
        .stderr_has("has the wrong type");
}

#[test]
fn api_key_in_site_file_is_rejected() {
    Test::new()
        .file(
            "sites/bad/site.rhai",
            "#{ name: \"bad\", maas: #{ api_key: \"x:y:z\" } }",
        )
        .args(&["eval", "1", "--site", "bad"])
        .run()
        .status(2)
        .stderr_has("the MAAS API key comes only from `MAAS_API_KEY`");
}

#[test]
fn api_key_on_the_command_line_is_refused_with_the_ways_that_work() {
    let out = Test::new()
        .args(&["eval", "1", "--set", "maas.api_key=a:b:c"])
        .run();
    out.status(2)
        .stderr_has(
            "error: `--set maas.api_key` is refused: the MAAS API key never goes on a command line",
        )
        .stderr_has("hint: set `MAAS_API_KEY`, or name a file with `--set maas.api_key_file=PATH`");
    assert!(!out.stderr.contains("a:b:c"), "{}", out.stderr);
}

#[test]
fn show_redacts_api_key_and_expands_home() {
    let out = Test::new()
        .args(&["sites", "show", "testcloud"])
        .env("MAAS_API_KEY", "consumer:token:secret")
        .run();
    out.status(0).stdout_has("\"api_key\": \"<redacted>\"");
    assert!(!out.stdout.contains("secret"));
    let doc = out.json();
    assert_eq!(
        doc["backup_root"],
        serde_json::json!(out.home().join("backups").display().to_string())
    );
    assert_eq!(doc["wipe_threshold"], serde_json::json!(1048576));
}

#[test]
fn diff_prints_differing_keys() {
    let out = Test::new()
        .args(&["sites", "diff", "testcloud", "roosevelt"])
        .run();
    out.status(0)
        .stdout_has("wipe_osd: true → false")
        .stdout_has("osd_disks:");
    assert!(!out.stdout.contains("backup_prefix"));
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
    Test::new()
        .args(&["eval", "to_json(site)"])
        .env("MAAS_API_KEY", "consumer:token:secret")
        .run()
        .status(0)
        .stdout_has("\"name\":\"demo\"");
    let out = Test::new()
        .args(&["eval", "to_json(site)"])
        .env("MAAS_API_KEY", "consumer:token:secret")
        .run();
    assert!(!out.stdout.contains("secret"), "{}", out.stdout);
}
