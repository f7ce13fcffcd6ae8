//! The site's `pointer_file` is replaced whole when Phase A moves it, so a `pointer_file`
//! that names a file which is not a pointer (a typo naming someone's notes), or one inside
//! `backup_root`, is refused (exit 4) before Phase A writes anything — in a dry run too —
//! and the file is left as it was. Proved from the simulator's request log: nothing
//! destroyed or released.

use crate::common::session::testcloud;
use crate::common::Output;
use crate::sim_server::SimServer;

const NOTES: &str = "export PATH=$HOME/bin:$PATH\nalias ll='ls -l'\n";

/// Nothing reached the cloud, and no backup dir was made.
fn nothing_changed(sim: &SimServer, out: &Output) {
    assert!(!sim.changed(), "the cloud changed: {:?}", sim.log());
    assert!(out.backups().is_empty(), "a backup: {:?}", out.backups());
}

#[test]
fn a_pointer_file_that_is_not_a_pointer_is_never_overwritten() {
    for dry_run in [true, false] {
        let sim = SimServer::start("dirty");
        let t = testcloud(&sim, "teardown");
        let notes = t.home().join("notes.txt");
        std::fs::write(&notes, NOTES).expect("write the notes");
        let flag = if dry_run { "--dry-run" } else { "--yes" };
        let out = t
            .args(&[flag])
            .set("pointer_file", &notes.display().to_string())
            .run();
        out.status(4)
            .stderr_has("refused by guard `backup_dir.pointer_file`")
            .stderr_has("exists and is not a pointer file (it has 2 lines, a pointer has one)")
            .stdout_lacks("==> Phase B");
        assert_eq!(
            std::fs::read_to_string(&notes).expect("the notes"),
            NOTES,
            "dry run: {dry_run}"
        );
        nothing_changed(&sim, &out);
    }
}

#[test]
fn a_pointer_file_naming_a_path_outside_the_backup_root_is_refused() {
    let sim = SimServer::start("dirty");
    let t = testcloud(&sim, "teardown");
    let file = t.home().join("last");
    std::fs::write(&file, "/etc\n").expect("write");
    let out = t
        .args(&["--yes"])
        .set("pointer_file", &file.display().to_string())
        .run();
    out.status(4)
        .stderr_has("it names `/etc`, which is not a backup dir under `backup_root`");
    assert_eq!(std::fs::read_to_string(&file).expect("file"), "/etc\n");
    nothing_changed(&sim, &out);
}

#[test]
fn a_pointer_file_inside_the_backup_root_is_refused_up_front() {
    let sim = SimServer::start("dirty");
    for inside in [false, true] {
        let t = testcloud(&sim, "teardown");
        let root = t.home().join("backups").display().to_string();
        let pointer = if inside { format!("{root}/last") } else { root };
        let out = t.args(&["--dry-run"]).set("pointer_file", &pointer).run();
        out.status(4)
            .stderr_has("refused by guard `backup_dir.pointer_file`")
            .stderr_has("the pointer must live outside the backups it points at");
        nothing_changed(&sim, &out);
    }
}
