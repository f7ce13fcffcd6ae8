//! The engine: limits, strict variables, Ctrl-C.

use std::time::{Duration, Instant};

use crate::common::{journal_lines, Test};

#[test]
fn runaway_loop_ends_with_clear_error() {
    Test::new()
        .file("runbooks/spin.rhai", "let x = 0;\nloop { x += 1; }\n")
        .args(&["run", "spin"])
        .run()
        .status(2)
        .stderr_has("error: the script exceeded the limit of 20000000 operations (a runaway loop?)")
        .stderr_has("spin.rhai:2:");
}

#[test]
fn runaway_growth_ends_with_clear_error() {
    for (script, message) in [
        (
            "let s = \"x\";\nloop { s += s; }\n",
            "error: a string grew past the limit of 67108864 bytes (a runaway loop?)",
        ),
        (
            "let a = [1];\nloop { a += a; }\n",
            "error: an array grew past the limit of 1000000 elements (a runaway loop?)",
        ),
    ] {
        Test::new()
            .file("runbooks/grow.rhai", script)
            .args(&["run", "grow"])
            .run()
            .status(2)
            .stderr_has(message)
            .stderr_has("grow.rhai:2:");
    }
}

#[test]
fn runaway_recursion_ends_with_clear_error() {
    Test::new()
        .args(&["eval", "fn f(x) { f(x + 1) } f(0)"])
        .run()
        .status(2)
        .stderr_has("error: call depth exceeded the limit of 64");
}

#[test]
fn strict_variables_reject_undefined() {
    Test::new()
        .args(&["eval", "let a = 1; a + b"])
        .run()
        .status(2)
        .stderr_has("error: Undefined variable: b")
        .stderr_has("--> <eval>:1:16");
}

#[test]
fn ctrl_c_exits_130_with_journal_line() {
    let t = Test::script("backup_dir(\"started\");\nloop { sleep(0.05); }\n");
    let home = t.home();
    let mut child = t
        .command()
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = home.join(".local/state/runbook/demo/backups");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::fs::read_dir(&started)
        .map(|mut d| d.next().is_none())
        .unwrap_or(true)
    {
        assert!(Instant::now() < deadline, "the run never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    let journal = journal_lines(&home);
    assert!(
        journal.iter().any(|l| l["outcome"] == "interrupted"),
        "{journal:#?}"
    );
}
