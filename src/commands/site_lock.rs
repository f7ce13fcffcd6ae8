//! One run that may change a site at a time. Two teardowns of the same cloud at once would
//! each seal a backup, each destroy the model and move each other's pointer; so every run
//! that can change something (`run` without `--dry-run`, `apply`, an armed REPL) holds the
//! site's lock for as long as it runs, and a second one is refused before it changes
//! anything, naming the run that holds it.
//!
//! The lock is `flock(2)` on `<state dir>/locks/<site>.lock`: the kernel drops it when the
//! holder's file closes, on any exit, SIGKILL included, so a lock is never stale. The file
//! holds who has it (run id, pid, start time, command, journal) for the refusal to name;
//! it is opened close-on-exec, so a `juju` child never inherits the lock.
//! Dry runs and reads take no lock.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

/// Who holds a site's lock, as written in the lock file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Holder {
    pub run_id: String,
    pub pid: u32,
    pub started: String,
    /// What it runs, e.g. `runbook run teardown`.
    pub command: String,
    pub journal: Option<String>,
}

/// A held lock: released when dropped, or by the kernel when the process ends.
#[derive(Debug)]
pub struct SiteLock {
    _file: File,
}

/// The outcome of [`acquire`]: the lock, or the run that holds it.
pub enum Acquired {
    Held(SiteLock),
    /// The lock file, and its holder as far as it could be read (`None`: the holder has
    /// locked but not yet written its name, or the file is unreadable).
    Busy(PathBuf, Option<Holder>),
}

/// The lock file of `site` under `state_dir`.
pub fn path(state_dir: &Path, site: &str) -> PathBuf {
    state_dir.join("locks").join(format!("{site}.lock"))
}

/// Take the lock of `site` under `state_dir` for `me`, without waiting.
pub fn acquire(state_dir: &Path, site: &str, me: &Holder) -> Result<Acquired> {
    let path = path(state_dir, site);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create `{}`", dir.display()))?;
    }
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .with_context(|| format!("cannot open the site lock `{}`", path.display()))?;
    // SAFETY: flock(2) on a descriptor this function owns; no memory is shared.
    let locked = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if locked != 0 {
        let err = std::io::Error::last_os_error();
        if err.raw_os_error() != Some(libc::EWOULDBLOCK) {
            return Err(err)
                .with_context(|| format!("cannot lock the site lock `{}`", path.display()));
        }
        let mut text = String::new();
        let holder = file
            .read_to_string(&mut text)
            .ok()
            .and_then(|_| serde_json::from_str(&text).ok());
        return Ok(Acquired::Busy(path, holder));
    }
    let text = serde_json::to_string(me).context("cannot describe this run for the lock")?;
    file.set_len(0)
        .and_then(|()| file.rewind())
        .and_then(|()| file.write_all(format!("{text}\n").as_bytes()))
        .and_then(|()| file.sync_data())
        .with_context(|| format!("cannot write the site lock `{}`", path.display()))?;
    Ok(Acquired::Held(SiteLock { _file: file }))
}

/// Take the lock of the run's site for `command` (e.g. `runbook run teardown`): the lock,
/// or the refusal text to print after `error: `.
pub fn take(
    ctx: &crate::context::RunContext,
    command: &str,
) -> Result<std::result::Result<SiteLock, String>> {
    let site = ctx.site();
    let state_dir = site
        .state_dir
        .clone()
        .unwrap_or_else(crate::effects::journal::default_state_dir);
    let me = Holder {
        run_id: ctx.run_id().to_string(),
        pid: std::process::id(),
        started: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        command: command.to_string(),
        journal: ctx.gate().journal().path().map(|p| p.display().to_string()),
    };
    Ok(match acquire(&state_dir, &site.name, &me)? {
        Acquired::Held(lock) => Ok(lock),
        Acquired::Busy(path, holder) => Err(refusal(&site.name, &path, holder.as_ref())),
    })
}

/// Print the refusal `text` from [`take`] (stderr, and the `--json` document with
/// `"outcome": "refused"`); the exit code (4).
pub fn refuse(session: &super::Session, json: bool, runbook: &str, text: &str) -> Result<i32> {
    eprintln!("{} {}", super::error_tag(), crate::term::escape(text));
    let report = session.ctx.report();
    report.set_ending(crate::outcome::Ending::Refused);
    if json {
        let extra = ("error", serde_json::Value::String(format!("error: {text}")));
        let site = &session.ctx.site().name;
        let doc = report.document(runbook, site, None, Some(extra));
        println!("{}", serde_json::to_string_pretty(&doc)?);
    }
    Ok(report.exit_code())
}

/// The refusal a second run prints (stderr), after `error: `: who holds the lock and
/// what to do.
pub fn refusal(site: &str, path: &Path, holder: Option<&Holder>) -> String {
    let who = match holder {
        Some(h) => format!(
            "run {} (pid {}, `{}`, started {})",
            h.run_id, h.pid, h.command, h.started
        ),
        None => "another run (it has not written its name yet)".to_string(),
    };
    let journal = holder
        .and_then(|h| h.journal.as_deref())
        .map(|j| format!("; its journal: {j}"))
        .unwrap_or_default();
    format!(
        "refused: {who} is already changing site `{site}`; one run at a time may change a site\n\
         nothing was changed\n\
         hint: wait for that run to end{journal}, then run this command again \
         (the lock `{}` is released when its process ends, killed or not)",
        path.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn me(id: &str) -> Holder {
        Holder {
            run_id: id.into(),
            pid: std::process::id(),
            started: "2026-01-01T00:00:00Z".into(),
            command: "runbook run teardown".into(),
            journal: None,
        }
    }

    #[test]
    fn a_second_taker_is_told_who_holds_it_until_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let first = match acquire(dir.path(), "s", &me("r1")).unwrap() {
            Acquired::Held(l) => l,
            Acquired::Busy(..) => panic!("the first taker gets the lock"),
        };
        match acquire(dir.path(), "s", &me("r2")).unwrap() {
            Acquired::Busy(p, Some(h)) => {
                assert_eq!(h.run_id, "r1");
                assert_eq!(p, path(dir.path(), "s"));
            }
            _ => panic!("the second taker is refused, naming r1"),
        }
        // Another site is another lock.
        assert!(matches!(
            acquire(dir.path(), "other", &me("r3")).unwrap(),
            Acquired::Held(_)
        ));
        drop(first);
        // Another test's child, forked in the instant before its exec, may still share the
        // lock's open file for a moment (close-on-exec closes it at the exec): wait for that.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            match acquire(dir.path(), "s", &me("r4")).unwrap() {
                Acquired::Held(_) => break,
                Acquired::Busy(..) if std::time::Instant::now() < deadline => {
                    std::thread::yield_now()
                }
                Acquired::Busy(..) => panic!("the lock is free once its holder let go"),
            }
        }
    }
}
