//! The Rhai surface: one plugin module per family. Adding a family is one file and one line.
//!
//! Each primitive's `///` comment says what it does, when it errors, gives a `rhai`
//! example, and ends with a line `Effect: read`, `Effect: change` or `Effect: destroy`
//! (read by `runbook doc` and `runbook check`).

pub mod disk;
pub mod files;
pub mod flow;
pub mod juju;
pub mod maas;

use rhai::exported_module;
use rhai::Engine;

/// Register every family on the engine.
pub fn register_all(engine: &mut Engine) {
    engine.register_global_module(exported_module!(flow::flow_functions).into());
    engine.register_global_module(exported_module!(files::files_functions).into());
    engine.register_global_module(exported_module!(juju::juju_functions).into());
    engine.register_global_module(exported_module!(maas::maas_functions).into());
    engine.register_global_module(exported_module!(disk::disk_functions).into());
}
