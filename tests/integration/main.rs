//! The integration test crate: one module per area, all driving the built binary through
//! the builder in `common`.

mod common;

mod backups;
mod check;
mod cli;
mod defaults;
mod diagnostics;
mod discover;
mod doc;
mod effect_classes;
mod effects;
mod engine;
mod files;
mod first_stop;
mod guide;
mod identity;
mod identity_bad_input;
mod identity_controllers;
mod identity_property;
mod juju_bad_output;
mod maas_deleted;
mod maas_erase;
mod maas_permissions;
mod maas_status;
mod missing_keys;
mod outcomes;
mod plan_apply;
mod primitives_disk;
mod primitives_errors;
mod primitives_fixture;
mod primitives_guards;
mod primitives_juju;
mod primitives_maas;
mod profiles;
mod rehearse;
mod repl;
mod replay;
mod report;
mod rerun;
mod resolve;
mod scenarios;
mod signals;
mod sim_conformance;
mod sim_evidence;
mod sim_juju;
mod sim_maas;
pub mod sim_server;
mod sites;
mod standalone;
mod streams;
mod unattended;

mod demo;
mod region;
mod routing;
mod teardown_sim;
