//! Simulated time: real time scaled by `--speed`. The cloud never runs a background timer;
//! each state transition carries a due `Instant` and is applied lazily on the next request.

use std::time::{Duration, Instant};

/// Base delays at speed 1.0, chosen so a whole `dirty` teardown takes about 4 seconds.
pub const MODEL_REMOVAL_SECS: f64 = 1.5;
pub const MACHINE_REMOVAL_SECS: f64 = 0.5;
pub const RELEASE_SECS: f64 = 2.0;
/// A disk erase before the release proper (MAAS: Disk erasing, then Releasing, then Ready).
pub const ERASE_SECS: f64 = 1.0;

// At the default speed a whole `dirty` teardown (model gone, then nodes Ready) fits in 5 s.
const _: () = assert!(MODEL_REMOVAL_SECS + RELEASE_SECS <= 5.0);

/// How long each change of the simulated cloud takes, in seconds at speed 1.0: the
/// constants above unless a site chooses its own (the demo's are shorter).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Delays {
    pub model_removal: f64,
    pub machine_removal: f64,
    pub release: f64,
    pub erase: f64,
}

impl Default for Delays {
    fn default() -> Delays {
        Delays {
            model_removal: MODEL_REMOVAL_SECS,
            machine_removal: MACHINE_REMOVAL_SECS,
            release: RELEASE_SECS,
            erase: ERASE_SECS,
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Clock {
    speed: f64,
    pub delays: Delays,
}

impl Clock {
    pub fn new(speed: f64) -> Clock {
        let speed = if speed.is_finite() && speed > 0.0 {
            speed
        } else {
            1.0
        };
        Clock {
            speed,
            delays: Delays::default(),
        }
    }

    /// The same speed with other base delays.
    pub fn with_delays(self, delays: Delays) -> Clock {
        Clock { delays, ..self }
    }

    /// The instant `secs` simulated seconds from now.
    pub fn after(&self, secs: f64) -> Instant {
        Instant::now() + self.scaled(secs)
    }

    /// Real duration of `secs` simulated seconds.
    pub fn scaled(&self, secs: f64) -> Duration {
        Duration::from_secs_f64((secs / self.speed).max(0.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_site_without_delays_gets_the_simulators_own() {
        let site = crate::site::SimSettings::default();
        let d = Delays::default();
        assert_eq!(
            (site.model_removal_s, site.release_s),
            (d.model_removal, d.release)
        );
    }

    #[test]
    fn speed_divides_delays() {
        assert_eq!(Clock::new(10.0).scaled(2.0), Duration::from_millis(200));
        assert_eq!(Clock::new(0.0).scaled(1.0), Duration::from_secs(1));
    }
}
