//! Backups are valid, not just present (teardown.md §3.2 step 1): the seal checks that every
//! required capture is listed and parses, so a truncated capture stops the run before the
//! destroy; `backup_ok` fails on a partial backup; a failed write leaves no temp file.

use std::path::Path;

use crate::common::session::testcloud;
use crate::common::{Output, Test};
use crate::primitives_fixture::{eval, site, with_sim};
use crate::primitives_juju::SEAL;
use crate::sim_server::{SimServer, TEST_SPEED};

/// The captures a pre-destroy backup must hold, with valid content.
const CAPTURES: [(&str, &str); 5] = [
    (
        "export-bundle.yaml",
        "applications:\\n  a:\\n    charm: a\\n",
    ),
    ("status.json", "{\\\"model\\\": {}}"),
    ("models.json", "{\\\"models\\\": []}"),
    ("controllers.json", "{}"),
    ("maas-targets.json", "{\\\"machines\\\": []}"),
];

/// A runbook writing `captures` to a new backup dir, printing `backup_ok` of it, then sealing.
fn backup_script(captures: &[(&str, &str)]) -> String {
    let mut s = String::from("let d = backup_dir(\"p\");\n");
    for (file, text) in captures {
        s.push_str(&format!("write_backup(d, \"{file}\", \"{text}\");\n"));
    }
    s.push_str(
        "print(`ok: ${backup_ok(d)}`);\nseal_backup(d, \"openstack\");\nprint(\"sealed\");\n",
    );
    s
}

fn run_script(script: &str) -> Output {
    Test::new()
        .file("runbooks/b.rhai", script)
        .args(&["run", "b"])
        .run()
}

/// Every file under the state dir's backups, relative paths.
fn backup_files(out: &Output) -> Vec<String> {
    out.files_under(&out.home().join(".local/state/runbook/demo/backups"))
}

#[test]
fn a_complete_backup_verifies_and_seals() {
    let out = run_script(&backup_script(&CAPTURES));
    out.status(0).stdout_has("ok: true\nsealed\n");
}

#[test]
fn a_backup_missing_a_required_capture_fails_backup_ok_and_the_seal() {
    for (missing, _) in CAPTURES {
        let partial: Vec<_> = CAPTURES
            .into_iter()
            .filter(|(f, _)| *f != missing)
            .collect();
        let out = run_script(&backup_script(&partial));
        out.status(2)
            .stdout_has("ok: false\n")
            .stdout_lacks("sealed")
            .stderr_has(&format!("its manifest does not list `{missing}`"));
        let seal = out
            .journal_lines()
            .into_iter()
            .find(|l| l["effect"] == "seal_backup")
            .expect("a seal_backup journal line");
        assert_ne!(seal["outcome"], "executed", "{seal}");
    }
}

#[test]
fn an_unparsable_capture_is_not_sealed_and_is_named() {
    for (file, bad, why) in [
        (
            "status.json",
            "{\\\"model\\\": {\\\"na",
            "EOF while parsing",
        ),
        (
            "export-bundle.yaml",
            "applications:\\n  a:\\n    charm: \\\"ceph-o",
            "while scanning a quoted scalar",
        ),
        ("export-bundle.yaml", "machines: {}\\n", "no `applications`"),
    ] {
        let captures: Vec<_> = CAPTURES
            .into_iter()
            .map(|(f, t)| if f == file { (f, bad) } else { (f, t) })
            .collect();
        let out = run_script(&backup_script(&captures));
        out.status(2)
            .stdout_has("ok: false\n")
            .stdout_lacks("sealed")
            .stderr_has(&format!("/{file}` is not a valid"))
            .stderr_has(why);
    }
}

#[test]
fn backup_ok_fails_when_a_capture_is_altered_after_the_seal() {
    let script = backup_script(&CAPTURES) + "set_pointer(site.pointer_file, d);\n";
    let out = run_script(&script);
    out.status(0);
    let pointer = out
        .home()
        .join(".local/state/runbook/demo/last-pre-caracal-destroy-backup");
    let dir = std::fs::read_to_string(pointer).unwrap().trim().to_string();
    let check = || {
        Test::new()
            .args(&["eval", &format!("backup_ok({dir:?})")])
            .run()
    };
    check().status(0).stdout_is("true\n");
    std::fs::write(Path::new(&dir).join("models.json"), "{\"models\": [1]}").unwrap();
    check().status(0).stdout_is("false\n");
    std::fs::remove_file(Path::new(&dir).join("models.json")).unwrap();
    check().status(0).stdout_is("false\n");
}

/// A truncated `juju export-bundle` (half its bytes, ending in an open quote) is caught by
/// the seal: exit 2 naming the file, no destroy reaches Juju, the pointer is not moved.
#[test]
fn a_truncated_export_bundle_stops_the_teardown_before_the_destroy() {
    let sim = SimServer::with("dirty", &["juju-malformed:export-bundle"], TEST_SPEED);
    let out = testcloud(&sim, "teardown").args(&["--yes", "--json"]).run();
    out.status(2)
        .stderr_has("export-bundle.yaml` is not a valid juju bundle")
        .stderr_has("while scanning a quoted scalar");
    let juju = sim.requests_of("juju");
    assert!(
        juju.iter().any(|r| r.starts_with("export-bundle")),
        "{juju:?}"
    );
    assert!(
        !juju.iter().any(|r| r.contains("destroy-model")),
        "no destroy after a bad capture: {juju:?}"
    );
    assert!(!sim.changed(), "the cloud is unchanged");
    assert!(
        !out.home().join(".last-pre-caracal-destroy-backup").exists(),
        "the pointer is not moved to a bad capture"
    );
    assert_eq!(out.json()["verdict"], serde_json::Value::Null);
}

/// The bundle may be replaced by the record of why Juju could not export it only when the
/// export really failed in this run.
#[test]
fn a_failed_export_record_is_sealed_only_after_a_failed_export() {
    let record: Vec<_> = std::iter::once(("export-bundle.yaml.failed", "juju said no"))
        .chain(CAPTURES.into_iter().skip(1))
        .collect();
    let out = run_script(&backup_script(&record));
    out.status(2)
        .stdout_lacks("sealed")
        .stderr_has("Juju's export of the model did not fail in this run");

    // Then the bundle's stand-ins are required too: `show-model` and `model-config`.
    let sim = SimServer::with("dirty", &["juju-fail:export-bundle"], TEST_SPEED);
    let script = |fallback: &str| {
        format!(
            r#"
let d = backup_dir("p");
try {{ juju_export_bundle("openstack"); }} catch (e) {{ write_backup(d, "export-bundle.yaml.failed", `${{e}}`); }}
{fallback}
write_backup(d, "status.json", to_json(juju_status("openstack")));
write_backup(d, "models.json", to_json(juju_models()));
write_backup(d, "controllers.json", to_json(juju_controllers()));
write_backup(d, "maas-targets.json", maas_snapshot([]));
seal_backup(d, "openstack");
print(`sealed, ok: ${{backup_ok(d)}}`);
"#
        )
    };
    let seal = |fallback: &str| {
        with_sim(site(), &sim)
            .file("b.rhai", &script(fallback))
            .args(&["--site", "t", "run", "b.rhai"])
            .run()
    };
    let out = seal(r#"write_backup(d, "show-model.json", juju_show_model("openstack"));"#);
    out.status(2).stdout_lacks("sealed, ok");
    assert!(
        out.stderr.contains("holds `export-bundle.yaml.failed` in place of `export-bundle.yaml` but not `model-config.json`: without the bundle it needs `show-model.json` and `model-config.json`"),
        "{}",
        out.stderr
    );
    let out = seal(
        r#"write_backup(d, "show-model.json", juju_show_model("openstack"));
write_backup(d, "model-config.json", juju_model_config("openstack"));"#,
    );
    out.status(0).stdout_has("sealed, ok: true");
}

/// A write that fails after its temp file was made (here: the name is a directory) removes
/// the temp file; the error names the file.
#[test]
fn a_failed_write_leaves_no_temp_file() {
    let out = run_script(
        "let d = backup_dir(\"p\");\nwrite_backup(d, \"sub/x.json\", \"{}\");\nwrite_backup(d, \"sub\", \"text\");\n",
    );
    out.status(2).stderr_has("cannot rename");
    let files = backup_files(&out);
    assert_eq!(
        files.len(),
        2,
        "the manifest and sub/x.json only: {files:?}"
    );
    assert!(
        !files.iter().any(|f| f.contains(".tmp-")),
        "no temp file left: {files:?}"
    );
}

/// Remediation of a dying model whose bundle Juju cannot export: the backup records why in
/// place of the bundle (the host seals that record because the export really failed), the
/// other captures are valid JSON, and the remediation goes on.
#[test]
fn a_dying_model_that_cannot_export_is_backed_up_with_the_reason() {
    let sim = SimServer::with("destroying", &["juju-fail:export-bundle"], TEST_SPEED);
    let out = testcloud(&sim, "remediate")
        .args(&["--yes", "--json"])
        .run();
    out.status(0)
        .stderr_has("export-bundle of `openstack` failed (the model is being destroyed): ");
    let sealed: Vec<_> = out
        .journal_lines()
        .into_iter()
        .filter(|l| l["effect"] == "seal_backup" && l["outcome"] == "executed")
        .collect();
    assert_eq!(sealed.len(), 1, "one sealed capture");
    let dir = std::path::PathBuf::from(sealed[0]["args"]["dir"].as_str().unwrap());
    let record = std::fs::read_to_string(dir.join("export-bundle.yaml.failed")).unwrap();
    assert!(
        record.contains("juju export-bundle -m openstack failed"),
        "{record}"
    );
    assert!(!dir.join("export-bundle.yaml").exists());
    assert_fallback_captures(&dir);
    assert_eq!(out.json()["verdict"], "go", "{}", out.stderr);
}

/// Every JSON capture of a backup that holds no bundle, the bundle's stand-ins included, is
/// a valid JSON document.
fn assert_fallback_captures(dir: &Path) {
    for file in [
        "status.json",
        "models.json",
        "controllers.json",
        "show-model.json",
        "model-config.json",
    ] {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        serde_json::from_str::<serde_json::Value>(&text).unwrap();
    }
}

/// Some Juju 4.0 releases cannot export a bundle: a live model's teardown records why, keeps
/// `show-model` and `model-config` in its place, says so before the destroy, points the
/// pointer at that backup and goes on to GO.
#[test]
fn a_live_model_that_juju_4_cannot_export_is_backed_up_without_a_bundle() {
    let sim = SimServer::scenario("dirty")
        .juju("4.0")
        .fault("juju-fail:export-bundle")
        .start();
    let out = testcloud(&sim, "teardown").args(&["--yes", "--json"]).run();
    out.status(0);
    assert_eq!(out.json()["verdict"], "go", "{}", out.stderr);
    let transcript = &out.stderr;
    let said = transcript
        .find("the backup records why and holds juju show-model and model-config in place of the bundle")
        .expect("the transcript says the bundle is missing");
    let destroyed = transcript
        .find("Phase B — force-destroy")
        .expect("Phase B ran");
    assert!(said < destroyed, "said before the destroy");
    let dir = std::path::PathBuf::from(out.pointer().expect("the pointer names the backup").trim());
    assert!(!dir.join("export-bundle.yaml").exists());
    let record = std::fs::read_to_string(dir.join("export-bundle.yaml.failed")).unwrap();
    assert!(
        record.starts_with("juju export-bundle -m openstack failed:\n"),
        "{record}"
    );
    assert_fallback_captures(&dir);
    let show: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("show-model.json")).unwrap())
            .unwrap();
    assert!(
        show.get("admin/openstack").is_some(),
        "4.0 keys show-model by the qualified name: {show}"
    );
}

/// The sealed backup is read again right before the destroy: a capture spoiled after the
/// seal (here by the script itself) leaves no verified backup, and the destroy is refused
/// before it reaches Juju.
#[test]
fn a_capture_spoiled_after_the_seal_stops_the_destroy() {
    let sim = SimServer::start("dirty");
    let spoil = r#"write_backup(dir, "status.json", "{\"model\": {");"#;
    let destroy = format!(r#"{SEAL} {spoil} juju_destroy_model("openstack")"#);
    let out = eval(&sim, &["--yes"], &destroy);
    out.status(4)
        .stderr_has("refused by guard `destroy_model.backup`")
        .stderr_has("a capture changed after the seal");
    let juju = sim.requests_of("juju");
    assert!(
        !juju.iter().any(|r| r.contains("destroy-model")),
        "no destroy: {juju:?}"
    );
    assert!(!sim.changed());
}
