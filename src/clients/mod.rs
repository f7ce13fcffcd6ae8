//! The systems in plain Rust, no Rhai types: Juju (a subprocess), MAAS (HTTP), qcow2 (a file).
//!
//! [`Clients`] holds the Juju and MAAS clients of one run, built lazily on first use so a
//! runbook that never talks to MAAS needs no MAAS settings.

pub mod json_skim;
pub mod juju;
pub mod maas;
pub mod maas_snapshot;
pub mod qcow2;

use std::cell::OnceCell;

use anyhow::Result;

/// The clients of one run (a field of `RunContext`), each built on first use.
#[derive(Default)]
pub struct Clients {
    juju: OnceCell<juju::JujuClient>,
    maas: OnceCell<maas::MaasClient>,
}

impl Clients {
    /// The Juju client, built by `make` the first time.
    pub fn juju_or_init(
        &self,
        make: impl FnOnce() -> Result<juju::JujuClient>,
    ) -> Result<&juju::JujuClient> {
        if let Some(c) = self.juju.get() {
            return Ok(c);
        }
        let c = make()?;
        Ok(self.juju.get_or_init(|| c))
    }

    /// The MAAS client, built by `make` the first time (a failure is retried next call).
    pub fn maas_or_init(
        &self,
        make: impl FnOnce() -> Result<maas::MaasClient>,
    ) -> Result<&maas::MaasClient> {
        if let Some(c) = self.maas.get() {
            return Ok(c);
        }
        let c = make()?;
        Ok(self.maas.get_or_init(|| c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn clients_are_built_once() {
        let clients = Clients::default();
        assert!(clients.juju_or_init(|| anyhow::bail!("no juju")).is_err());
        let a = clients
            .juju_or_init(|| Ok(juju::JujuClient::new("juju", Duration::from_secs(1))))
            .unwrap()
            .bin()
            .to_string();
        let b = clients
            .juju_or_init(|| anyhow::bail!("not called again"))
            .unwrap()
            .bin()
            .to_string();
        assert_eq!((a.as_str(), b.as_str()), ("juju", "juju"));
    }
}
