//! What a site needs running before a run: for a site with a `sim` section (`demo`), the
//! built-in simulated cloud. Only commands start it; the rest of the program only ever sees
//! the environment it points at (the same a user would set for a real cloud).

use anyhow::{anyhow, Context, Result};

use crate::config::Env;
use crate::sim;
use crate::site::Site;

/// Keeps site services (the demo's in-process simulator) alive for the run.
pub type ServiceGuard = Box<dyn std::any::Any>;

/// Start what a site needs before a run and point `env` at it: for a site with a `sim`
/// section (`demo`), the built-in simulated cloud. Its MAAS URL, API key and juju wrapper
/// replace whatever the environment says, so a demo run can never reach a real cloud.
/// The returned guard keeps the simulator alive for the run.
pub fn start_site_services(site: &Site, env: &mut Env) -> Result<Option<ServiceGuard>> {
    let Some(settings) = &site.sim else {
        return Ok(None);
    };
    let juju = sim::juju_formats::JujuMajor::parse(&settings.juju)
        .map_err(|e| anyhow!("site `{}` `sim.juju`: {e}", site.name))?;
    let handle = sim::start(sim::SimOptions {
        scenario: settings.scenario.clone(),
        speed: settings.speed,
        juju,
        delays: sim::clock::Delays {
            model_removal: settings.model_removal_s,
            release: settings.release_s,
            ..Default::default()
        },
        ..Default::default()
    })
    .with_context(|| {
        format!(
            "cannot start the simulated cloud of site `{}` (scenario `{}`)",
            site.name, settings.scenario
        )
    })?;
    env.maas_url = Some(handle.maas_url.clone());
    env.maas_api_key = Some(handle.api_key.clone());
    env.juju_bin = Some(handle.juju_bin.display().to_string());
    Ok(Some(Box::new(handle)))
}
