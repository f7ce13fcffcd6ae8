//! runbook: a Rust host that embeds Rhai and runs operational runbooks against Juju on MAAS.
