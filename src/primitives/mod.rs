//! The Rhai surface: one plugin module per family. Adding a family is one file and one line.
//!
//! Each primitive's `///` comment says what it does, when it errors, gives a `rhai`
//! example, and ends with a line `Effect: read`, `Effect: change` or `Effect: destroy`
//! (read by `runbook doc` and `runbook check`).

pub mod support;

use rhai::exported_module;
use rhai::{Engine, Module};

/// Declares the families, one line each (`file::plugin_module`): the `mod` line, and the
/// plugin module that `register_all` and the tests read.
macro_rules! families {
    ($($family:ident :: $plugin:ident),* $(,)?) => {
        $(pub mod $family;)*

        /// Every family's name and plugin module, in registration order.
        pub fn families() -> Vec<(&'static str, Module)> {
            vec![$((stringify!($family), exported_module!($family::$plugin))),*]
        }
    };
}

families! {
    flow::flow_functions,
    files::files_functions,
    juju::juju_functions,
    maas::maas_functions,
    disk::disk_functions,
    data::data_functions,
    detect::detect_functions,
    history::history_functions,
}

/// Register every family on the engine.
pub fn register_all(engine: &mut Engine) {
    for (_, module) in families() {
        engine.register_global_module(module.into());
    }
}

#[cfg(test)]
mod tests {
    use rhai::{Engine, Module};

    /// One family's function names, sorted, after checking what `runbook doc` reads: each
    /// function says what it does, gives a `rhai` example, and ends with its effect class.
    fn documented_names(family: Module) -> Vec<String> {
        let mut engine = Engine::new_raw();
        engine.register_global_module(family.into());
        let meta: serde_json::Value =
            serde_json::from_str(&engine.gen_fn_metadata_to_json(false).unwrap()).unwrap();
        let mut names = Vec::new();
        for f in meta["functions"].as_array().unwrap() {
            let name = f["name"].as_str().unwrap().to_string();
            let text = f["docComments"]
                .as_array()
                .map(|d| d.iter().map(|l| l.as_str().unwrap()).collect::<Vec<_>>())
                .unwrap_or_default()
                .join("\n");
            assert!(text.contains("```rhai"), "{name}: no rhai example");
            let last = text.lines().last().unwrap_or("");
            assert!(
                [
                    "/// Effect: read",
                    "/// Effect: change",
                    "/// Effect: destroy"
                ]
                .contains(&last),
                "{name}: last doc line is {last:?}"
            );
            names.push(name);
        }
        names.sort();
        names.dedup();
        names
    }

    /// The families' functions as the design lists them. A family not listed here is
    /// still checked for its documentation.
    const TABLE: &[(&str, &[&str])] = &[
        (
            "juju",
            &[
                "juju_controllers",
                "juju_destroy_model",
                "juju_disabled_commands",
                "juju_export_bundle",
                "juju_machines",
                "juju_model",
                "juju_models",
                "juju_remove_machine",
                "juju_require_destroy_allowed",
                "juju_status",
            ],
        ),
        (
            "maas",
            &[
                "maas_config",
                "maas_machines",
                "maas_machines_by_id",
                "maas_snapshot",
                "maas_whoami",
                "release",
                "release_all",
            ],
        ),
        ("data", &["group_by"]),
        ("disk", &["stat_qcow2", "wipe_qcow2"]),
        ("detect", &["detect_cloud", "frozen"]),
        ("history", &["pre_destroy_backup", "previous_run"]),
        (
            "files",
            &[
                "backup_dir",
                "backup_ok",
                "glob",
                "read_pointer",
                "seal_backup",
                "set_pointer",
                "write_backup",
            ],
        ),
        (
            "flow",
            &[
                "can_confirm",
                "check",
                "confirm",
                "fail",
                "halt",
                "note",
                "now",
                "ok",
                "set_route",
                "sleep",
                "step",
                "to_json",
                "wait_until",
                "warn",
            ],
        ),
    ];

    #[test]
    fn every_family_is_designs_table_and_documented() {
        let families = super::families();
        for (family, _) in TABLE {
            assert!(
                families.iter().any(|(f, _)| f == family),
                "family `{family}` is not declared"
            );
        }
        for (family, module) in families {
            let names = documented_names(module);
            if let Some((_, expected)) = TABLE.iter().find(|(f, _)| *f == family) {
                assert_eq!(names, *expected, "family `{family}`");
            }
        }
    }
}
