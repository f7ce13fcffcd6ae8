//! What a stop (SIGINT, SIGTERM, SIGHUP) does to a MAAS request in flight, so that a signal
//! acts at once instead of after the request returns or `maas.timeout` passes.
//!
//! - A **read** is abandoned the moment the interrupt flag rises: nothing depends on its
//!   answer once the run stops, and dropping it changes nothing.
//! - A **change already sent** (a release POST) is waited for, visibly and briefly
//!   ([`RELEASE_GRACE`], at most `maas.timeout`): a healthy MAAS answers a release within a
//!   second, so the journal usually gets its real outcome. One that does not answer by then
//!   is abandoned and journaled `unknown` ([`OutcomeUnknown`]): MAAS may or may not have
//!   acted on it, and the account says what to check. Waiting the whole `maas.timeout` would
//!   keep a hung MAAS from being interrupted at all; abandoning at once would lose the
//!   outcome of requests that were about to be answered.
//! - A **change not sent yet** (a release queued behind the batch's concurrency bound) is
//!   never sent after the stop; journaled `cancelled` ([`NotSent`]).
//!
//! The gate reads these error types to choose the journal outcome (`effects::journal`).

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How often a wait looks at the interrupt flag: the signal thread only sets an atomic.
const POLL: Duration = Duration::from_millis(20);

/// How long a release already sent is waited for after a stop (capped by `maas.timeout`).
pub const RELEASE_GRACE: Duration = Duration::from_secs(5);

/// Resolves once `flag` is up.
async fn raised(flag: &AtomicBool) {
    while !flag.load(Ordering::SeqCst) {
        tokio::time::sleep(POLL).await;
    }
}

/// `fut` (a read), or `None` once `flag` is up: the read is dropped, its request abandoned.
/// A flag already up sends nothing.
pub async fn read<F: Future>(flag: &AtomicBool, fut: F) -> Option<F::Output> {
    tokio::select! {
        biased;
        () = raised(flag) => None,
        out = fut => Some(out),
    }
}

/// `fut` (a change already sent); once `flag` is up it has `grace` more to end, `waiting`
/// being called when that wait starts; `None` if it did not end in time (abandoned).
pub async fn change<F: Future>(
    flag: &AtomicBool,
    grace: Duration,
    waiting: impl FnOnce(),
    fut: F,
) -> Option<F::Output> {
    tokio::pin!(fut);
    tokio::select! {
        biased;
        out = &mut fut => return Some(out),
        () = raised(flag) => {}
    }
    waiting();
    tokio::time::timeout(grace, fut).await.ok()
}

/// A change whose request was sent but not answered when the run stopped: its outcome is
/// unknown (journaled `unknown`); `detail` says what to check.
#[derive(Debug)]
pub struct OutcomeUnknown {
    pub detail: String,
}

/// A change admitted (its intent written) that the stop came before: it was never sent
/// (journaled `cancelled`).
#[derive(Debug)]
pub struct NotSent {
    pub detail: String,
}

impl std::fmt::Display for OutcomeUnknown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.detail)
    }
}

impl std::fmt::Display for NotSent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.detail)
    }
}

impl std::error::Error for OutcomeUnknown {}
impl std::error::Error for NotSent {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Instant;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    /// Raises `flag` from another thread once `after` has passed.
    fn raise_later(flag: &Arc<AtomicBool>, after: Duration) {
        let flag = flag.clone();
        std::thread::spawn(move || {
            std::thread::sleep(after);
            flag.store(true, Ordering::SeqCst);
        });
    }

    #[test]
    fn a_read_is_abandoned_when_the_flag_rises_and_not_started_after() {
        let rt = runtime();
        let flag = Arc::new(AtomicBool::new(false));
        raise_later(&flag, Duration::from_millis(50));
        let started = Instant::now();
        let out = rt.block_on(read(&flag, std::future::pending::<()>()));
        assert_eq!(out, None);
        assert!(started.elapsed() < Duration::from_secs(2));
        // Already up: the read is not even polled.
        let mut polled = false;
        let out = rt.block_on(read(&flag, async { polled = true }));
        assert_eq!(out, None);
        assert!(!polled);
        let down = AtomicBool::new(false);
        assert_eq!(rt.block_on(read(&down, async { 7 })), Some(7));
    }

    #[test]
    fn a_change_gets_its_grace_then_is_abandoned() {
        let rt = runtime();
        // Up before the change answers (it sleeps): the wait starts at once.
        let flag = AtomicBool::new(true);
        let mut waited = false;
        // Ends within its grace: its outcome is kept.
        let out = rt.block_on(change(
            &flag,
            Duration::from_secs(10),
            || waited = true,
            async {
                tokio::time::sleep(Duration::from_millis(200)).await;
                3
            },
        ));
        assert_eq!(out, Some(3));
        assert!(waited);
        // Never ends: abandoned once the grace has passed.
        let started = Instant::now();
        let out = rt.block_on(change(
            &flag,
            Duration::from_millis(100),
            || {},
            std::future::pending::<()>(),
        ));
        assert_eq!(out, None);
        assert!(started.elapsed() < Duration::from_secs(2));
    }
}
