//! runbook: a Rust host that embeds Rhai and runs operational runbooks against Juju on MAAS.

pub mod clients;
pub mod commands;
pub mod context;
pub mod effects;
pub mod primitives;
pub mod sim;
pub mod site;
