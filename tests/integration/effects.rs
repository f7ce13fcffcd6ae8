//! The confirmation on a real terminal (a pty): the operator types the fact; a wrong
//! answer declines with exit 4.

use std::time::Duration;

use expectrl::WaitStatus;

use crate::common::{journal_lines, Test};

/// A runbook that asks for the site's name, then says it was approved.
const CONFIRM: &str =
    "confirm(\"type the site name to continue\", site.name);\nprint(\"approved\");";

/// `CONFIRM` run on a pseudo-terminal, waiting at its question.
fn asked(t: &Test) -> expectrl::Session {
    let mut session = expectrl::Session::spawn(t.command()).expect("spawn in a pty");
    session.set_expect_timeout(Some(Duration::from_secs(20)));
    session
        .expect("type the site name to continue [demo]: ")
        .expect("the question");
    session
}

fn run_in_pty(answer: &str) -> i32 {
    let mut session = asked(&Test::script(CONFIRM));
    session.send_line(answer).expect("answer");
    if answer == "demo" {
        session.expect("approved").expect("approved");
    }
    session.expect(expectrl::Eof).expect("end of output");
    match session.get_process().wait().expect("wait") {
        WaitStatus::Exited(_, code) => code,
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn typed_fact_approves() {
    assert_eq!(run_in_pty("demo"), 0);
}

#[test]
fn wrong_answer_declines_with_exit_4() {
    assert_eq!(run_in_pty("yes"), 4);
}

#[test]
fn ctrl_c_at_the_prompt_declines_and_exits_130_with_a_journal_line() {
    let t = Test::script(CONFIRM);
    let mut session = asked(&t);
    // One Ctrl-C ends the wait at once (it used to be ignored until a line came).
    session
        .send(expectrl::ControlCode::EndOfText)
        .expect("Ctrl-C");
    let ending = session
        .expect("interrupted (Ctrl-C); the journal records")
        .expect("the run ends as interrupted");
    let before = String::from_utf8_lossy(ending.before()).to_string();
    assert!(!before.contains("approved"), "{before}");
    session.expect(expectrl::Eof).expect("end of output");
    match session.get_process().wait().expect("wait") {
        WaitStatus::Exited(_, code) => assert_eq!(code, 130),
        other => panic!("unexpected {other:?}"),
    }
    let journal = journal_lines(t.path());
    assert!(
        journal.iter().any(|l| l["outcome"] == "interrupted"),
        "{journal:#?}"
    );
}
