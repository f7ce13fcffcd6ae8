//! The `files` family of primitives.

use rhai::plugin::*;

#[export_module]
pub mod files_functions {}
