//! The `flow` family of primitives.

use rhai::plugin::*;

#[export_module]
pub mod flow_functions {}
