//! The `juju` family of primitives.

use rhai::plugin::*;

#[export_module]
pub mod juju_functions {}
