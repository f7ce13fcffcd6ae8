//! RunContext: the one handle primitives reach — config, site, clients, gate, report, journal.
//!
//! API CONTRACT (shared between issues — keep these signatures; add freely).

use std::future::Future;
use std::rc::Rc;

use rhai::{EvalAltResult, NativeCallContext};

use crate::effects::Gate;
use crate::site::Site;

pub struct RunContext {
    // Implementation detail (issue 2).
    /// The Juju and MAAS clients, built on first use (issue 4; construct with `Default`).
    clients: crate::clients::Clients,
}

impl RunContext {
    /// The context of the running script (stored as the engine's default tag).
    pub fn from_call(call: &NativeCallContext) -> Result<Rc<RunContext>, Box<EvalAltResult>> {
        let _ = call;
        todo!("issue 2")
    }

    pub fn site(&self) -> &Site {
        todo!("issue 2")
    }

    pub fn gate(&self) -> &Gate {
        todo!("issue 2")
    }

    /// This run's id (also in the journal path and in MAAS release comments).
    pub fn run_id(&self) -> &str {
        todo!("issue 2")
    }

    /// A progress line in the transcript (e.g. a line of Juju's stderr while it blocks).
    pub fn note(&self, line: &str) {
        let _ = line;
        todo!("issue 2")
    }

    /// True once Ctrl-C was pressed; long primitives poll it and stop.
    pub fn interrupted(&self) -> bool {
        todo!("issue 2")
    }

    /// Run a future on the host's tokio runtime (scripts stay synchronous).
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        let _ = future;
        todo!("issue 2")
    }

    /// Models this run sealed a backup of with `seal_backup` (read by the destroy guard).
    pub fn sealed_models(&self) -> Vec<String> {
        todo!("issue 2")
    }

    /// Effective MAAS URL (`--set maas.url` > `MAAS_URL` > site), if any.
    pub fn maas_url(&self) -> Option<String> {
        todo!("issue 2")
    }

    /// The MAAS API key (`MAAS_API_KEY` or `maas.api_key_file`); never print it.
    pub fn maas_api_key(&self) -> Option<String> {
        todo!("issue 2")
    }

    /// Effective juju binary (`--set juju.bin` > `JUJU_BIN` > site > `juju`).
    pub fn juju_bin(&self) -> String {
        todo!("issue 2")
    }

    // ---- Clients (issue 4): built lazily from the effective settings. ----

    /// The MAAS client of this run, built on first use from `maas_url()`, `maas_api_key()`
    /// and site `maas.*`.
    pub fn maas(&self) -> anyhow::Result<&crate::clients::maas::MaasClient> {
        use crate::clients::maas::{MaasClient, MaasConfig, DEFAULT_CONCURRENCY};
        self.clients.maas_or_init(|| {
            let url = self.maas_url().ok_or_else(|| {
                anyhow::anyhow!(
                    "no MAAS URL: set `MAAS_URL` or site `maas.url` (e.g. `http://maas:5240/MAAS`)"
                )
            })?;
            let api_key = self.maas_api_key().ok_or_else(|| {
                anyhow::anyhow!("no MAAS API key: set `MAAS_API_KEY` or site `maas.api_key_file`")
            })?;
            let site = &self.site().maas;
            MaasClient::new(MaasConfig {
                url,
                api_key,
                ca_file: site.ca_file.clone(),
                concurrency: if site.concurrency == 0 {
                    DEFAULT_CONCURRENCY
                } else {
                    site.concurrency
                },
                connect_timeout: std::time::Duration::from_secs(10),
                request_timeout: std::time::Duration::from_secs(60),
            })
        })
    }

    /// The Juju client of this run: `juju_bin()` with site `juju.timeout` per command.
    pub fn juju(&self) -> anyhow::Result<&crate::clients::juju::JujuClient> {
        self.clients.juju_or_init(|| {
            let timeout = std::time::Duration::from_secs(self.site().juju.timeout.max(1));
            Ok(crate::clients::juju::JujuClient::new(
                self.juju_bin(),
                timeout,
            ))
        })
    }
}
