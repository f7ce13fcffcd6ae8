//! The start-of-session header: which MAAS (and as whom) and which Juju controller (and its
//! uuid) this run talks to, and where each came from (site, environment, `--set`, the
//! built-in simulator). An operator reads it before anything happens (teardown.md §2).

use crate::config::Config;
use crate::context::RunContext;

/// Where the MAAS URL and the Juju controller came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origins {
    pub maas: &'static str,
    pub juju: &'static str,
}

/// Work out the origins from the configuration layers (site file, environment, `--set`).
/// `simulated`: the site's services (the demo's built-in simulator) set the environment.
pub fn origins(config: &Config, simulated: bool) -> Origins {
    // A `--set KEY=` (null) unsets the key: it is not where the value came from.
    let set = |key: &str| config.sets.iter().any(|(k, v)| k == key && !v.is_null());
    let in_site = config.site_file_keys().unwrap_or_default();
    let unset = |key: &str| config.sets.iter().any(|(k, v)| k == key && v.is_null());
    let in_site = |key: &str| in_site.iter().any(|k| k == key) && !unset(key);
    // The same order `config` resolves the URL in; a pinned site's `maas.url` comes before the
    // environment because an environment that disagrees with it is refused.
    let maas = if set("maas.url") {
        "`--set maas.url`"
    } else if set("maas.profile") {
        "the `maas login` profile of `--profile`"
    } else if simulated {
        "the built-in simulator"
    } else if in_site("maas.url") {
        "the site's `maas.url`"
    } else if config.env.maas_url.is_some() {
        "the environment (`MAAS_URL`)"
    } else if config.env.maas_profile.is_some() {
        "the `maas login` profile of `MAAS_PROFILE`"
    } else if in_site("maas.profile") {
        "the `maas login` profile of the site's `maas.profile`"
    } else {
        "nowhere"
    };
    let juju = if set("juju.controller") {
        "`--set juju.controller`"
    } else if in_site("juju.controller") {
        "the site's `juju.controller`"
    } else if simulated {
        "the built-in simulator (its current controller)"
    } else {
        "juju's current controller (`juju switch`)"
    };
    Origins { maas, juju }
}

fn first_line(e: &anyhow::Error) -> String {
    format!("{e:#}").lines().next().unwrap_or("").to_string()
}

/// The two header lines: `MAAS: URL as USER (from ...)` and `Juju: controller NAME (uuid
/// UUID) (from ...)`. Reads `maas_whoami()` (cached for the run) and `juju controllers`;
/// a read that fails is shown, not fatal (the run's own reads will stop it).
pub fn header(ctx: &RunContext, origins: &Origins) -> Vec<String> {
    let maas = match ctx.maas_url() {
        None => "MAAS: not configured (site `maas.url` or `maas.profile`, `MAAS_URL`, `MAAS_PROFILE` or `--profile`)".to_string(),
        Some(url) => {
            let who = match ctx.whoami() {
                Ok(w) => format!("as `{w}`"),
                Err(e) => format!("(whoami failed: {})", first_line(&e)),
            };
            format!("MAAS: {url} {who} (from {})", origins.maas)
        }
    };
    let juju = match ctx.juju().and_then(|j| {
        let controllers = j.controllers()?;
        crate::primitives::detect::pick_controller(&controllers, j.controller())
    }) {
        Ok(c) => format!(
            "Juju: controller `{}` (uuid {}) as `{}` (from {})",
            c.name, c.uuid, c.user, origins.juju
        ),
        Err(e) => format!(
            "Juju: controller unknown: {} (from {})",
            first_line(&e),
            origins.juju
        ),
    };
    // The URL may come from a `~/.maascli.db` profile, names from Juju: never raw.
    [maas, juju]
        .iter()
        .map(|l| crate::term::escape_line(l).into_owned())
        .collect()
}
