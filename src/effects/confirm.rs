//! Confirming a destructive effect on the operator's terminal: what to ask (its own
//! confirmation, or one built from the command or the batch), and the read itself, which a
//! Ctrl-C ends at once (stdin is polled, so the flag the signal handler sets is seen).

use std::io::{BufRead, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::effects::effect::{Confirmation, Effect, EffectClass};

/// What an effect must be confirmed with: its own confirmation, or — for a `destroy`
/// effect that brought none — the command shown and its target typed, so no destructive
/// call ever runs unconfirmed.
pub(super) fn confirmation_for(effect: &Effect) -> Option<Confirmation> {
    match (&effect.confirm, effect.class) {
        (Some(c), _) => Some(c.clone()),
        (None, EffectClass::Destroy) => Some(Confirmation {
            summary: format!("about to run: {}", effect.command),
            question: "type the target to confirm".to_string(),
            expected: effect.target.clone(),
        }),
        (None, _) => None,
    }
}

/// A batch with `destroy` effects and no confirmation of its own: list the commands and
/// have the operator type how many there are.
pub(super) fn batch_confirmation(effects: &[Effect]) -> Option<Confirmation> {
    if !effects.iter().any(|e| e.class == EffectClass::Destroy) {
        return None;
    }
    let commands: Vec<String> = effects.iter().map(|e| format!("  {}", e.command)).collect();
    Some(Confirmation {
        summary: format!(
            "about to run {} destructive call(s):\n{}",
            effects.len(),
            commands.join("\n")
        ),
        question: "type the number of calls to confirm".to_string(),
        expected: effects.len().to_string(),
    })
}

/// Standard input for a confirmation, read only once a line is ready, so that Ctrl-C
/// (which the handler turns into a flag; the blocked read itself would just restart) ends
/// the wait at once.
pub(super) struct InterruptibleStdin {
    pub(super) flag: Option<Arc<AtomicBool>>,
}

impl std::io::Read for InterruptibleStdin {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use std::os::fd::AsRawFd;
        let stdin = std::io::stdin();
        let fd = stdin.as_raw_fd();
        loop {
            if self.flag.as_ref().is_some_and(|f| f.load(Ordering::SeqCst)) {
                return Err(std::io::Error::other("interrupted (Ctrl-C)"));
            }
            let mut pfd = libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd for the duration of the call.
            let ready = unsafe { libc::poll(&mut pfd, 1, 100) };
            if ready > 0 {
                return std::io::Read::read(&mut stdin.lock(), buf);
            }
            if ready < 0 {
                let e = std::io::Error::last_os_error();
                if e.kind() != std::io::ErrorKind::Interrupted {
                    return Err(e);
                }
            }
        }
    }
}

/// Show the summary, ask the question, read one line: approved only if it equals
/// `expected` (surrounding whitespace ignored). EOF or any other answer declines.
pub fn confirm_with(
    reader: &mut dyn BufRead,
    writer: &mut dyn Write,
    c: &Confirmation,
) -> Result<(), String> {
    if !c.summary.is_empty() {
        let _ = writeln!(writer, "{}", crate::term::escape(&c.summary));
    }
    let _ = write!(
        writer,
        "{} [{}]: ",
        crate::term::escape_line(&c.question),
        crate::term::escape_line(&c.expected)
    );
    let _ = writer.flush();
    let mut line = String::new();
    match reader.read_line(&mut line) {
        Ok(0) => Err(format!(
            "confirmation declined (no answer) for: {}",
            c.question
        )),
        Ok(_) if line.trim() == c.expected => Ok(()),
        Ok(_) => Err(format!(
            "confirmation declined: typed `{}`, expected `{}`",
            line.trim(),
            c.expected
        )),
        Err(e) => Err(format!(
            "confirmation declined: cannot read the answer: {e}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conf() -> Confirmation {
        Confirmation {
            summary: "model openstack: 12 units".into(),
            question: "type the model name to destroy it".into(),
            expected: "openstack".into(),
        }
    }

    #[test]
    fn confirmation_accepts_exact_answer() {
        let mut out = Vec::new();
        assert_eq!(
            confirm_with(&mut &b"openstack\n"[..], &mut out, &conf()),
            Ok(())
        );
        let shown = String::from_utf8(out).unwrap();
        assert!(shown.contains("model openstack: 12 units"));
        assert!(shown.contains("type the model name to destroy it"));
    }

    #[test]
    fn confirmation_declines_wrong_answer_and_eof() {
        let mut out = Vec::new();
        assert!(confirm_with(&mut &b"yes\n"[..], &mut out, &conf())
            .unwrap_err()
            .contains("typed `yes`"));
        assert!(confirm_with(&mut &b""[..], &mut out, &conf())
            .unwrap_err()
            .contains("no answer"));
    }
}
