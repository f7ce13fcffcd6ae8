//! The range of every numeric site setting, checked once when the site is built: a value
//! out of range is a clear error naming the key, where it came from and the range — never
//! a panic or an overflow later (e.g. `--set juju.timeout=18446744073709551615`).

use anyhow::{bail, Result};

use crate::site::Site;

const DAY: u64 = 24 * 3600;

/// `(key, value, min, max, unit)` for every whole-number setting.
fn whole_numbers(site: &Site) -> Vec<(&'static str, u64, u64, u64, &'static str)> {
    vec![
        (
            "maas.concurrency",
            site.maas.concurrency as u64,
            1,
            256,
            "requests",
        ),
        ("maas.timeout", site.maas.timeout, 1, 3600, "seconds"),
        ("juju.timeout", site.juju.timeout, 1, DAY, "seconds"),
        (
            "timeouts.model_gone",
            site.timeouts.model_gone,
            0,
            7 * DAY,
            "seconds",
        ),
        (
            "timeouts.machines_ready",
            site.timeouts.machines_ready,
            0,
            7 * DAY,
            "seconds",
        ),
        ("wipe_threshold", site.wipe_threshold, 0, 1 << 40, "bytes"),
        ("plan_max_age", site.plan_max_age, 0, 365 * DAY, "seconds"),
        (
            "limits.max_seconds",
            site.limits.max_seconds,
            1,
            7 * DAY,
            "seconds",
        ),
    ]
}

/// Check every numeric setting; `origin(key)` says where a key was set (`None`: default).
pub fn check(site: &Site, origin: impl Fn(&str) -> Option<String>) -> Result<()> {
    let from = |key: &str| {
        origin(key)
            .map(|o| format!(" (set in {o})"))
            .unwrap_or_default()
    };
    for (key, value, min, max, unit) in whole_numbers(site) {
        if !(min..=max).contains(&value) {
            bail!(
                "`{key}` = {value} is out of range{}: it must be {min} to {max} {unit}",
                from(key)
            );
        }
    }
    if let Some(sim) = &site.sim {
        if !(sim.speed.is_finite() && sim.speed > 0.0 && sim.speed <= 10_000.0) {
            bail!(
                "`sim.speed` = {} is out of range{}: it must be more than 0 and at most 10000",
                sim.speed,
                from("sim.speed")
            );
        }
        for (key, value) in [
            ("sim.model_removal_s", sim.model_removal_s),
            ("sim.release_s", sim.release_s),
        ] {
            if !(value.is_finite() && (0.0..=3600.0).contains(&value)) {
                bail!(
                    "`{key}` = {value} is out of range{}: it must be 0 to 3600 seconds",
                    from(key)
                );
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_in_range() {
        check(&Site::defaults("t"), |_| None).unwrap();
    }

    #[test]
    fn out_of_range_names_the_key_origin_and_range() {
        let mut site = Site::defaults("t");
        site.juju.timeout = u64::MAX;
        let e = check(&site, |k| (k == "juju.timeout").then(|| "`--set`".into()))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "`juju.timeout` = 18446744073709551615 is out of range (set in `--set`): it must be 1 to 86400 seconds"
        );
        let mut site = Site::defaults("t");
        site.maas.concurrency = 0;
        assert!(check(&site, |_| None)
            .unwrap_err()
            .to_string()
            .contains("maas.concurrency"));
        let mut site = Site::defaults("t");
        site.sim = Some(crate::site::SimSettings {
            scenario: "dirty".into(),
            speed: f64::INFINITY,
            ..Default::default()
        });
        assert!(check(&site, |_| None)
            .unwrap_err()
            .to_string()
            .contains("sim.speed"));
    }
}
