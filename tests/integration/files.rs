//! Files primitives and the effects gate: backups, manifest, seal, pointer, dry-run, refusals.

use crate::common::{each_str, Test};

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
    let out = Test::script(BACKUP).run();
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
    assert_eq!(each_str(&lines.clone().into(), "effect"), EFFECTS);
    assert!(lines.iter().all(|l| l["outcome"] == "executed"
        && l["run_id"].is_string()
        && l["duration_ms"].is_u64()));
    out.says("journal: <tmp>/home/.local/state/runbook/demo/runs/<run>/journal.jsonl");
}

#[test]
fn dry_run_writes_nothing_and_lists_plan() {
    let out = Test::script(BACKUP).args(&["--dry-run", "--json"]).run();
    out.status(0);
    assert_eq!(out.files_under(&out.home()), Vec::<String>::new());
    assert_eq!(out.files_under(&out.state()), Vec::<String>::new());
    let doc = out.json();
    assert_eq!(each_str(&doc["plan"], "effect"), EFFECTS);
    assert_eq!(doc["journal"], serde_json::Value::Null);
    out.stderr_has("dry-run plan (8 effects; nothing was changed)");
}

/// stderr exactly: the guard or the error, where the script called it, the line, a caret.
fn refused_at(line: usize, source: &str, why: &str) -> String {
    let pad = " ".repeat(line.to_string().len());
    format!("error: {why}\n{pad} --> <tmp>/root/runbooks/r.rhai:{line}:1\n{pad} |\n{line} | {source}\n{pad} | ^\n")
}

#[test]
fn write_backup_escape_is_refused_and_writes_nothing() {
    for (name, why) in [
        ("../escape.txt", "may not contain `..` or `.`"),
        ("/tmp/abs.txt", "must be relative to the backup dir"),
        ("a/../../b", "may not contain `..` or `.`"),
    ] {
        let write = format!("write_backup(d, \"{name}\", \"x\");");
        let out = Test::script(&format!(
            "let d = backup_dir(\"p\");\n{write}\nprint(\"after\");"
        ))
        .run();
        let why = format!("refused by guard `write_backup.scope`: file name `{name}` {why}");
        out.status(4).stderr_is(&refused_at(2, &write, &why));
        out.stdout_lacks("after");
        let files = out.files_under(&out.home().join(".local/state/runbook/demo/backups"));
        assert_eq!(files.len(), 1, "only the empty manifest: {files:?}");
        let lines = out.journal_lines();
        assert_eq!(lines.last().unwrap()["outcome"], "refused");
    }
}

/// Writing or sealing outside this run's backup dirs is refused; an empty capture is an
/// error at the seal.
#[test]
fn backups_outside_this_run_and_empty_captures_are_refused() {
    let empty = "<tmp>/home/.local/state/runbook/demo/backups/p-<stamp>/empty.txt";
    for (script, code, line, why) in [
        (
            "write_backup(\"/tmp\", \"x\", \"y\");".to_string(),
            4,
            1,
            "refused by guard `write_backup.scope`: `/tmp` is not a backup dir made by this run (`backup_dir`)".to_string(),
        ),
        (
            "seal_backup(\"/tmp\", \"openstack\");".to_string(),
            4,
            1,
            "refused by guard `seal_backup.scope`: `/tmp` is not a backup dir made by this run".to_string(),
        ),
        (
            "let d = backup_dir(\"p\");\nwrite_backup(d, \"empty.txt\", \"\");\nseal_backup(d, \"openstack\");".to_string(),
            2,
            3,
            format!("backup file `{empty}` is empty"),
        ),
    ] {
        let source = script.lines().last().expect("a line");
        Test::script(&script)
            .run()
            .status(code)
            .stderr_is(&refused_at(line, source, &why));
    }
}

#[test]
fn backup_ok_detects_tampering() {
    let out = Test::script(BACKUP).run();
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
