//! Runs one juju command to completion: stdin closed, stdout and stderr captured, in its
//! own process group so a timeout or Ctrl-C kills the command and everything it started
//! (no orphans), killed with runbook even if runbook is killed (`PR_SET_PDEATHSIG`), and
//! retried briefly when its file is still being written (`ETXTBSY`). Commands whose output
//! is shown as it comes (`destroy-model`) run through `stream` instead.

use std::os::unix::process::CommandExt;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use super::command_error::{exit_error, shell_line, spawn_error, timeout_error};

/// How often a streaming command checks whether it was cancelled.
pub(super) const CANCEL_POLL: Duration = Duration::from_millis(100);

/// Start `argv` in its own process group, stdin closed.
pub(super) fn expression(argv: &[String]) -> duct::Expression {
    duct::cmd(&argv[0], &argv[1..])
        .stdin_null()
        .unchecked()
        .before_spawn(|c| {
            // Own process group, so a timeout or a signal can kill the child's children too.
            c.process_group(0);
            die_with_parent(c);
            Ok(())
        })
}

/// The child gets SIGKILL when runbook dies, even by SIGKILL (Linux `PR_SET_PDEATHSIG`), so
/// no `juju destroy-model` outlives the run that started it.
#[cfg(target_os = "linux")]
fn die_with_parent(c: &mut std::process::Command) {
    let parent = std::process::id();
    // SAFETY: between fork and exec only async-signal-safe calls (prctl, getppid, raise).
    unsafe {
        c.pre_exec(move || {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            // The parent may have died before prctl took effect.
            if libc::getppid() as u32 != parent {
                libc::raise(libc::SIGKILL);
            }
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn die_with_parent(_: &mut std::process::Command) {}

/// Start a child, retrying briefly while its file is busy (`ETXTBSY`): Linux refuses to exec
/// a file that some process still holds open for writing — a `juju` being installed or
/// refreshed, or a wrapper script another process has just written.
pub(super) fn start_retrying<T>(
    argv: &[String],
    start: impl Fn() -> std::io::Result<T>,
) -> Result<T> {
    let mut delay = Duration::from_millis(5);
    for _ in 0..8 {
        match start() {
            Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) => {
                std::thread::sleep(delay);
                delay *= 2;
            }
            other => return other.map_err(|e| spawn_error(argv, e)),
        }
    }
    start().map_err(|e| spawn_error(argv, e))
}

/// Kill the whole process group led by `pid`.
pub(super) fn kill_group(pid: u32) {
    if let Ok(pid) = i32::try_from(pid) {
        // SAFETY: kill(2) with a negative pid signals that process group; no memory involved.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
}

/// Run `argv` to completion (or its timeout), returning its exit status and both outputs.
pub(super) fn run_output(argv: &[String], timeout: Duration) -> Result<std::process::Output> {
    let handle = start_retrying(argv, || {
        expression(argv).stdout_capture().stderr_capture().start()
    })?;
    // Wait in slices, so a signal (SIGINT/SIGTERM/SIGHUP) kills the child's group promptly.
    let started = Instant::now();
    let waited = loop {
        let slice = CANCEL_POLL.min(timeout.saturating_sub(started.elapsed()));
        let waited = handle
            .wait_timeout(slice)
            .with_context(|| format!("cannot wait for `{}`", shell_line(argv)))?;
        if waited.is_some() || started.elapsed() >= timeout || crate::signals::pending() {
            break waited;
        }
    };
    let output = match waited {
        Some(out) => out,
        None if crate::signals::pending() => {
            for pid in handle.pids() {
                kill_group(pid);
            }
            let _ = handle.kill();
            let _ = handle.wait();
            bail!(
                "interrupted ({}): `{}` was stopped",
                crate::signals::name(crate::signals::received()),
                shell_line(argv)
            );
        }
        None => {
            for pid in handle.pids() {
                kill_group(pid);
            }
            let _ = handle.kill();
            let out = handle.wait().ok();
            let stderr = out
                .map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
                .unwrap_or_default();
            return Err(timeout_error(argv, timeout, &stderr));
        }
    };
    Ok(output.clone())
}

pub(super) fn run_captured(argv: &[String], timeout: Duration) -> Result<String> {
    let output = run_output(argv, timeout)?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        return Err(exit_error(argv, output.status, &stderr));
    }
    String::from_utf8(output.stdout)
        .with_context(|| format!("`{}` printed output that is not UTF-8", shell_line(argv)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clients::juju::test_support::{fake_juju, out, wait_gone};
    use crate::clients::juju::JujuClient;

    #[test]
    fn subprocess_timeout_kills_the_child_and_its_children() {
        let dir = tempfile::tempdir().unwrap();
        let bin = fake_juju(&dir, "sleep 30 &\necho $! > \"$OUT\"\nwait");
        let c = JujuClient::new(bin, Duration::from_millis(300));
        let started = Instant::now();
        let e = format!("{:#}", c.models().unwrap_err());
        assert!(started.elapsed() < Duration::from_secs(10));
        assert!(
            e.contains("did not finish within") && e.contains("killed"),
            "{e}"
        );
        // The grandchild `sleep` is gone: no process, or a zombie waiting for its reaper.
        wait_gone(&out(&dir), "the grandchild `sleep`");
    }

    #[test]
    fn subprocess_missing_binary() {
        let c = JujuClient::new("/nonexistent/juju", Duration::from_secs(5));
        let e = format!("{:#}", c.models().unwrap_err());
        assert!(e.contains("not found") && e.contains("JUJU_BIN"), "{e}");
    }
}
