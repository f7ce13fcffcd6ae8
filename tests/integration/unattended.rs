//! A run that will need a confirmation it cannot get (stdin is not a terminal, no `--yes`)
//! changes nothing, even when its script never asks `can_confirm()`: the host reads, before
//! the run, that the script can reach a destroy-class call (here or in a module it imports),
//! and the gate refuses the run's first change (exit 4). Proved from the journal, the disk
//! and the simulator's request log.

use crate::common::{Output, Test};
use crate::sim_server::SimServer;

/// Phase A's shape without the pre-flight: a backup, then the destroy.
const BACKUP_THEN: &str = "let d = backup_dir(\"unattended\");\n\
                           write_backup(d, \"note.txt\", \"written before the destroy\");\n";

/// `runbook run NAME --site testcloud` against `sim`, with `files` under the root.
fn run(sim: &SimServer, files: &[(&str, &str)], extra: &[&str]) -> Output {
    let mut t = Test::new();
    for (path, text) in files {
        t = t.file(path, text);
    }
    let mut args = vec!["run", "unattended", "--site", "testcloud"];
    args.extend_from_slice(extra);
    t.args(&args).envs(sim.env()).run()
}

/// (effect, outcome) of every journal line.
fn journal(out: &Output) -> Vec<(String, String)> {
    out.journal_lines()
        .iter()
        .map(|l| {
            (
                l["effect"].as_str().unwrap_or_default().to_string(),
                l["outcome"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn backups(out: &Output) -> Vec<String> {
    out.files_under(&out.home().join("backups"))
}

#[test]
fn a_destroy_it_cannot_confirm_refuses_the_first_change_though_the_script_never_asks() {
    let sim = SimServer::start("dirty");
    let script = format!("{BACKUP_THEN}juju_destroy_model(\"openstack\");\n");
    let out = run(&sim, &[("runbooks/unattended.rhai", &script)], &[]);
    let file = out.root().join("runbooks/unattended.rhai");
    out.status(4)
        .stderr_has(&format!("error: refused by guard `confirm.ahead`: confirmation needed later (by `juju_destroy_model` at {}:3:1) but stdin is not a terminal; rerun with `--yes` to pre-approve. Nothing changes before it is refused: not even this `backup_dir` of ", file.display()))
        .stderr_has(&format!("--> {}:1:9\n", file.display()))
        .stdout_has("run ended: refused — no verdict")
        .stdout_has("already changed: nothing (per the journal)");
    assert_eq!(
        journal(&out),
        [("backup_dir".to_string(), "refused".to_string())]
    );
    assert_eq!(backups(&out), Vec::<String>::new());
    assert!(!sim.changed(), "{:#?}", sim.log());
    let changing: Vec<String> = sim
        .requests_of("maas")
        .into_iter()
        .filter(|r| !r.starts_with("GET"))
        .chain(
            sim.requests_of("juju")
                .into_iter()
                .filter(|r| r.contains("destroy")),
        )
        .collect();
    assert_eq!(changing, Vec::<String>::new());
}

#[test]
fn a_release_reached_only_through_an_imported_module_counts_too() {
    let sim = SimServer::start("dirty");
    let module = "fn later(id) { release(id) }\n";
    let script = format!("import \"later\" as later;\n{BACKUP_THEN}later::later(\"abc\");\n");
    let out = run(
        &sim,
        &[
            ("stdlib/later.rhai", module),
            ("runbooks/unattended.rhai", &script),
        ],
        &[],
    );
    let module = out.root().join("stdlib/later.rhai");
    out.status(4).stderr_has(&format!(
        "refused by guard `confirm.ahead`: confirmation needed later (by `release` at {}:1:16)",
        module.display()
    ));
    assert_eq!(
        journal(&out),
        [("backup_dir".to_string(), "refused".to_string())]
    );
    assert_eq!(backups(&out), Vec::<String>::new());
    assert!(!sim.changed(), "{:#?}", sim.log());
}

#[test]
fn changes_alone_or_with_yes_still_run_unattended() {
    let sim = SimServer::start("dirty");
    // Nothing in it needs a confirmation: the backup is written without `--yes`.
    let out = run(&sim, &[("runbooks/unattended.rhai", BACKUP_THEN)], &[]);
    out.status(0);
    assert_eq!(
        journal(&out),
        [
            ("backup_dir".to_string(), "executed".to_string()),
            ("write_backup".to_string(), "executed".to_string())
        ]
    );
    assert_eq!(backups(&out).len(), 2, "{:?}", backups(&out)); // the note and the manifest
                                                               // With `--yes` the confirmation is given: the backup is written, and the destroy is
                                                               // then the guards' to decide (no backup of `openstack` was sealed: refused).
    let script = format!("{BACKUP_THEN}juju_destroy_model(\"openstack\");\n");
    let out = run(&sim, &[("runbooks/unattended.rhai", &script)], &["--yes"]);
    out.status(4).stderr_lacks("confirm.ahead");
    let lines = journal(&out);
    assert_eq!(lines[0], ("backup_dir".to_string(), "executed".to_string()));
    assert_eq!(
        lines.last(),
        Some(&("juju_destroy_model".to_string(), "refused".to_string()))
    );
    assert!(!sim.changed(), "{:#?}", sim.log());
}
