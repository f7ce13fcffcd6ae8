//! The `disk` family of primitives.

use rhai::plugin::*;

#[export_module]
pub mod disk_functions {}
