//! The integration test crate: drives the built `runbook` binary like an operator would.

mod sim_conformance;
mod sim_juju;
mod sim_maas;
pub mod sim_server;
