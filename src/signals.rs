//! SIGINT, SIGTERM and SIGHUP: each one only raises the run's interrupt flag and remembers
//! which signal it was, so the run stops between steps (the engine's progress callback and
//! the long primitives poll the flag, a running `juju` child's process group is killed) and
//! journals where it stopped; the exit code is 128 + the signal (130 / 143 / 129).
//!
//! A second signal before the first was acted on exits at once: the operator (or the
//! supervisor) means it. Children started by the juju client die with us either way
//! (`PR_SET_PDEATHSIG`, see `clients::juju::runner`).

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, OnceLock};

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};

/// The first signal received (0: none).
static RECEIVED: AtomicI32 = AtomicI32::new(0);

/// The interrupt flag, installed once per process (see the module doc). The REPL clears it
/// before each entry (at its prompt the line editor reads Ctrl-C as a key).
pub fn interrupt_flag() -> Arc<AtomicBool> {
    static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();
    FLAG.get_or_init(|| {
        let flag = Arc::new(AtomicBool::new(false));
        if let Err(e) = watch(flag.clone()) {
            eprintln!("warning: cannot install the signal handlers: {e}");
        }
        flag
    })
    .clone()
}

fn watch(flag: Arc<AtomicBool>) -> std::io::Result<()> {
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])?;
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            for signal in signals.forever() {
                if flag.swap(true, Ordering::SeqCst) {
                    std::process::exit(128 + signal);
                }
                RECEIVED.store(signal, Ordering::SeqCst);
            }
        })?;
    Ok(())
}

/// Whether a stop was asked for (a signal arrived and was not cleared yet).
pub fn pending() -> bool {
    RECEIVED.load(Ordering::SeqCst) != 0
}

/// Forget a received signal (the REPL, before its next entry).
pub fn clear() {
    RECEIVED.store(0, Ordering::SeqCst);
}

/// The signal that stopped the run; SIGINT when the stop came another way (a Ctrl-C read
/// at a confirmation prompt).
pub fn received() -> i32 {
    match RECEIVED.load(Ordering::SeqCst) {
        0 => SIGINT,
        s => s,
    }
}

/// `SIGINT`, `SIGTERM`, `SIGHUP`.
pub fn name(signal: i32) -> &'static str {
    match signal {
        SIGTERM => "SIGTERM",
        SIGHUP => "SIGHUP",
        _ => "SIGINT",
    }
}

/// For the transcript: `Ctrl-C`, `SIGTERM`, `SIGHUP: the terminal closed`.
pub fn describe(signal: i32) -> &'static str {
    match signal {
        SIGTERM => "SIGTERM",
        SIGHUP => "SIGHUP: the terminal closed",
        _ => "Ctrl-C",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_descriptions() {
        assert_eq!(name(SIGTERM), "SIGTERM");
        assert_eq!(name(SIGHUP), "SIGHUP");
        assert_eq!(name(SIGINT), "SIGINT");
        assert!(describe(SIGINT).contains("Ctrl-C"));
    }
}
