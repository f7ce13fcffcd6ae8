//! How a juju command that went wrong reads (ripgrep's `CommandError`): the argv as a shell
//! line an operator can paste, then what happened — could not start, exit status or the
//! signal that killed it, or the deadline — then the tail of what it printed on stderr.

use std::time::Duration;

use anyhow::anyhow;

/// An argv as an operator would type it (words with spaces or quotes are quoted).
pub fn shell_line(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c))
            {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

pub(super) fn spawn_error(argv: &[String], e: std::io::Error) -> anyhow::Error {
    if e.kind() == std::io::ErrorKind::NotFound {
        anyhow!(
            "cannot run `{}`: `{}` not found; install Juju (3.6 or 4.0) or set `JUJU_BIN` (or site `juju.bin`)",
            shell_line(argv),
            argv[0]
        )
    } else {
        anyhow!("cannot run `{}`: {e}", shell_line(argv))
    }
}

pub(super) fn timeout_error(argv: &[String], timeout: Duration, stderr: &str) -> anyhow::Error {
    anyhow!(
        "`{}` did not finish within {}s and was killed; raise site `juju.timeout` if Juju is just slow{}",
        shell_line(argv),
        timeout.as_secs(),
        stderr_tail(stderr)
    )
}

fn stderr_tail(stderr: &str) -> String {
    let s = stderr.trim();
    if s.is_empty() {
        String::new()
    } else {
        format!("\nstderr:\n{s}")
    }
}

pub(super) fn exit_error(
    argv: &[String],
    status: std::process::ExitStatus,
    stderr: &str,
) -> anyhow::Error {
    use std::os::unix::process::ExitStatusExt;
    let code = match (status.code(), status.signal()) {
        (Some(c), _) => format!("exit status {c}"),
        (None, Some(n)) => format!("killed by signal {n}{}", signal_name(n)),
        (None, None) => "killed by a signal".to_string(),
    };
    anyhow!(
        "`{}` failed ({code}){}",
        shell_line(argv),
        stderr_tail(stderr)
    )
}

/// ` (SIGKILL)` for the signals a dying CLI usually meets; empty for others.
fn signal_name(n: i32) -> &'static str {
    match n {
        libc::SIGKILL => " (SIGKILL)",
        libc::SIGTERM => " (SIGTERM)",
        libc::SIGINT => " (SIGINT)",
        libc::SIGHUP => " (SIGHUP)",
        libc::SIGSEGV => " (SIGSEGV)",
        libc::SIGABRT => " (SIGABRT)",
        libc::SIGPIPE => " (SIGPIPE)",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_line_quotes() {
        assert_eq!(
            shell_line(&["a b".into(), "it's".into(), "".into()]),
            r"'a b' 'it'\''s' ''"
        );
    }
}
