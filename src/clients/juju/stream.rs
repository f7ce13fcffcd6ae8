//! Runs a juju command whose output an operator watches (`destroy-model`): stdout and stderr
//! merged and handed over line by line as they come (a line still waiting for its newline
//! is shown after a while: Juju prints a dot per poll), under a deadline that stops the
//! command and is reported rather than an error, and cancellable (Ctrl-C).

use std::io::Read;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use super::command_error::{exit_error, shell_line};
use super::runner::{expression, kill_group, start_retrying, CANCEL_POLL};

/// How long a line without its newline waits before it is shown anyway (Juju prints
/// `Waiting for model to be removed...` and then a dot per poll, on one line).
const PARTIAL_AFTER: Duration = Duration::from_secs(5);

/// Splits a command's output into progress lines (on `\n` or `\r`) and keeps a transcript.
#[derive(Default)]
struct Lines {
    pending: Vec<u8>,
    /// How much of `pending` was last shown, and when.
    shown: usize,
    since: Option<Instant>,
    transcript: String,
}

impl Lines {
    fn push(&mut self, bytes: &[u8], progress: &mut dyn FnMut(&str)) {
        for &b in bytes {
            if b == b'\n' || b == b'\r' {
                self.end_line(progress);
            } else {
                if self.pending.is_empty() {
                    self.since = Some(Instant::now());
                }
                self.pending.push(b);
            }
        }
    }

    fn end_line(&mut self, progress: &mut dyn FnMut(&str)) {
        let line = String::from_utf8_lossy(&self.pending)
            .trim_end()
            .to_string();
        if !line.is_empty() {
            if self.pending.len() != self.shown {
                progress(&line);
            }
            self.transcript.push_str(&line);
            self.transcript.push('\n');
        }
        self.pending.clear();
        self.shown = 0;
        self.since = None;
    }

    /// Show a line still waiting for its newline, if it grew and has waited long enough.
    fn show_partial(&mut self, progress: &mut dyn FnMut(&str)) {
        let waited = self.since.is_some_and(|t| t.elapsed() >= PARTIAL_AFTER);
        if waited && self.pending.len() > self.shown {
            let line = String::from_utf8_lossy(&self.pending)
                .trim_end()
                .to_string();
            if !line.is_empty() {
                progress(&line);
            }
            self.shown = self.pending.len();
            self.since = Some(Instant::now());
        }
    }

    fn finish(&mut self, progress: &mut dyn FnMut(&str)) {
        if !self.pending.is_empty() {
            self.end_line(progress);
        }
    }
}

/// How a streamed command ended (other endings are errors).
pub(super) enum Streamed {
    /// It exited 0.
    Finished,
    /// The deadline passed first and the command (its process group) was stopped.
    DeadlinePassed(String),
}

/// Run `argv` with stdout and stderr merged, handing each line to `progress` as it comes.
/// Reaching `deadline` stops the command and is reported, not an error: the caller decides.
pub(super) fn run_streaming(
    argv: &[String],
    deadline: Duration,
    progress: &mut dyn FnMut(&str),
    cancelled: &dyn Fn() -> bool,
) -> Result<Streamed> {
    let timeout = deadline;
    let reader = start_retrying(argv, || expression(argv).stderr_to_stdout().reader())?;
    let reader = Arc::new(reader);
    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    let thread_reader = Arc::clone(&reader);
    let pump = std::thread::spawn(move || {
        let mut chunk = [0u8; 4096];
        loop {
            match (&*thread_reader).read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if tx.send(chunk[..n].to_vec()).is_err() {
                        break;
                    }
                }
            }
        }
    });
    let deadline = Instant::now() + timeout;
    let mut lines = Lines::default();
    let mut timed_out = false;
    let mut interrupted = false;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left.min(CANCEL_POLL)) {
            Ok(bytes) => lines.push(&bytes, progress),
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => lines.show_partial(progress),
        }
        interrupted = cancelled();
        timed_out = Instant::now() >= deadline;
        if interrupted || timed_out {
            for pid in reader.pids() {
                kill_group(pid);
            }
            let _ = reader.kill();
            break;
        }
    }
    lines.finish(progress);
    let transcript = lines.transcript;
    let _ = pump.join();
    if interrupted {
        bail!(
            "interrupted: stopped waiting for `{}`; Juju may carry on with it on the controller — check with `juju models`",
            shell_line(argv)
        );
    }
    if timed_out {
        return Ok(Streamed::DeadlinePassed(transcript));
    }
    let status = reader
        .try_wait()
        .with_context(|| format!("cannot wait for `{}`", shell_line(argv)))?
        .map(|o| o.status);
    match status {
        Some(s) if s.success() => Ok(Streamed::Finished),
        Some(s) => Err(exit_error(argv, s, &transcript)),
        None => bail!("`{}` closed its output but did not exit", shell_line(argv)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_lines_split_on_newline_and_carriage_return() {
        let mut seen = Vec::new();
        let mut lines = Lines::default();
        lines.push(
            b"Destroying model\nWaiting for model to be removed, 2 machine(s)",
            &mut |l| seen.push(l.to_string()),
        );
        lines.push(b"...\r\nModel destroyed.", &mut |l| {
            seen.push(l.to_string())
        });
        lines.finish(&mut |l| seen.push(l.to_string()));
        assert_eq!(
            seen,
            [
                "Destroying model",
                "Waiting for model to be removed, 2 machine(s)...",
                "Model destroyed."
            ]
        );
        assert_eq!(lines.transcript.lines().count(), 3);
    }
}
