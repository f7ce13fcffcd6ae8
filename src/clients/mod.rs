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
    /// The Juju client, built by `make` the first time (a failure is retried next call).
    pub fn juju_or_init(
        &self,
        make: impl FnOnce() -> Result<juju::JujuClient>,
    ) -> Result<&juju::JujuClient> {
        get_or_try_init(&self.juju, make)
    }

    /// The MAAS client, built by `make` the first time (a failure is retried next call).
    pub fn maas_or_init(
        &self,
        make: impl FnOnce() -> Result<maas::MaasClient>,
    ) -> Result<&maas::MaasClient> {
        get_or_try_init(&self.maas, make)
    }
}

/// The value in `cell`, built by `make` if it has none yet; a failed `make` leaves the cell
/// empty (std's `OnceCell::get_or_try_init` is not stable).
fn get_or_try_init<T>(cell: &OnceCell<T>, make: impl FnOnce() -> Result<T>) -> Result<&T> {
    if let Some(c) = cell.get() {
        return Ok(c);
    }
    let c = make()?;
    Ok(cell.get_or_init(|| c))
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
