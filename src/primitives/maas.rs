//! The `maas` family of primitives.

use rhai::plugin::*;

#[export_module]
pub mod maas_functions {}
