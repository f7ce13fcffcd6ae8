//! Files primitives and the effects gate: backups, manifest, seal, pointer, dry-run, refusals.

use crate::common::Test;

const BACKUP: &str = r#"
let d = backup_dir(site.backup_prefix);
write_backup(d, "export-bundle.yaml", "applications: {}\n");
write_backup(d, "status.json", "{}");
write_backup(d, "models.json", "{}");
write_backup(d, "controllers.json", "{}");
write_backup(d, "maas-targets.json", "{}");
print(backup_ok(d));
seal_backup(d, "openstack");
set_pointer(site.pointer_file, d);
print(read_pointer(site.pointer_file) == d);
"#;

/// The effects of `BACKUP`, in order.
const EFFECTS: [&str; 8] = [
    "backup_dir",
    "write_backup",
    "write_backup",
    "write_backup",
    "write_backup",
    "write_backup",
    "seal_backup",
    "set_pointer",
];

#[test]
fn backup_writes_manifest_and_pointer_and_journal() {
    let out = Test::new()
        .file("runbooks/b.rhai", BACKUP)
        .args(&["run", "b"])
        .run();
    out.status(0).stdout_ends_with("true\ntrue\n");
    let state = out.home().join(".local/state/runbook/demo");
    let files = out.files_under(&state.join("backups"));
    // The five captures, the manifest, and the seal (which model, alive or not).
    assert_eq!(files.len(), 7, "{files:?}");
    assert!(files.iter().any(|f| f.ends_with("/manifest.json")));
    assert!(files.iter().any(|f| f.ends_with("/seal.json")));
    let dir = std::fs::read_to_string(state.join("last-pre-caracal-destroy-backup")).unwrap();
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{}/manifest.json", dir.trim())).unwrap(),
    )
    .unwrap();
    assert_eq!(manifest["files"]["export-bundle.yaml"]["size"], 17);
    assert_eq!(
        manifest["files"]["export-bundle.yaml"]["sha256"]
            .as_str()
            .unwrap()
            .len(),
        64
    );
    let lines = out.journal_lines();
    let effects: Vec<&str> = lines
        .iter()
        .map(|l| l["effect"].as_str().unwrap())
        .collect();
    assert_eq!(effects, EFFECTS);
    assert!(lines.iter().all(|l| l["outcome"] == "executed"
        && l["run_id"].is_string()
        && l["duration_ms"].is_u64()));
    out.stdout_has("journal: ");
}

#[test]
fn dry_run_writes_nothing_and_lists_plan() {
    let out = Test::new()
        .file("runbooks/b.rhai", BACKUP)
        .args(&["run", "b", "--dry-run", "--json"])
        .run();
    out.status(0);
    assert_eq!(out.files_under(&out.home()), Vec::<String>::new());
    assert_eq!(out.files_under(&out.state()), Vec::<String>::new());
    let doc = out.json();
    let plan: Vec<&str> = doc["plan"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["effect"].as_str().unwrap())
        .collect();
    assert_eq!(plan, EFFECTS);
    assert_eq!(doc["journal"], serde_json::Value::Null);
    out.stderr_has("dry-run plan (8 effects; nothing was changed)");
}

#[test]
fn write_backup_escape_is_refused_and_writes_nothing() {
    for name in ["../escape.txt", "/tmp/abs.txt", "a/../../b"] {
        let script = format!(
            "let d = backup_dir(\"p\");\nwrite_backup(d, \"{name}\", \"x\");\nprint(\"after\");"
        );
        let out = Test::new()
            .file("runbooks/w.rhai", &script)
            .args(&["run", "w"])
            .run();
        out.status(4)
            .stderr_has("refused by guard `write_backup.scope`")
            .stderr_has("w.rhai:2:1");
        out.stdout_lacks("after");
        let files = out.files_under(&out.home().join(".local/state/runbook/demo/backups"));
        assert_eq!(files.len(), 1, "only the empty manifest: {files:?}");
        let lines = out.journal_lines();
        assert_eq!(lines.last().unwrap()["outcome"], "refused");
    }
}

#[test]
fn write_backup_outside_run_dirs_is_refused() {
    let out = Test::new()
        .file("runbooks/w.rhai", "write_backup(\"/tmp\", \"x\", \"y\");")
        .args(&["run", "w"])
        .run();
    out.status(4)
        .stderr_has("`/tmp` is not a backup dir made by this run");
}

#[test]
fn seal_refuses_empty_file() {
    Test::new()
        .file("runbooks/s.rhai", "let d = backup_dir(\"p\");\nwrite_backup(d, \"empty.txt\", \"\");\nseal_backup(d, \"openstack\");")
        .args(&["run", "s"])
        .run()
        .status(2)
        .stderr_has("empty.txt` is empty");
}

#[test]
fn seal_refuses_foreign_dir() {
    Test::new()
        .args(&["eval", "seal_backup(\"/tmp\", \"openstack\")"])
        .run()
        .status(4)
        .stderr_has("refused by guard `seal_backup.scope`");
}

#[test]
fn backup_ok_detects_tampering() {
    let out = Test::new()
        .file("runbooks/b.rhai", BACKUP)
        .args(&["run", "b"])
        .run();
    out.status(0);
    let ptr = out
        .home()
        .join(".local/state/runbook/demo/last-pre-caracal-destroy-backup");
    let dir = std::fs::read_to_string(&ptr).unwrap().trim().to_string();
    let backup_ok = || {
        Test::new()
            .args(&["eval", &format!("backup_ok(\"{dir}\")")])
            .run()
    };
    backup_ok().status(0).stdout_is("true\n");
    // Same size, other bytes: only the sha256 tells.
    std::fs::write(format!("{dir}/status.json"), "[]").unwrap();
    backup_ok().status(0).stdout_is("false\n");
}

#[test]
fn read_pointer_missing_is_unit_and_glob_sorts() {
    Test::new()
        .file("g/b.qcow2", "")
        .file("g/a.qcow2", "")
        .args(&[
            "eval",
            "[read_pointer(\"nope\") == (), glob(\"g/*.qcow2\")]",
        ])
        .run()
        .status(0)
        .stdout_is("[true, [\"g/a.qcow2\", \"g/b.qcow2\"]]\n");
}
