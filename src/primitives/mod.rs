//! The Rhai surface: one plugin module per family. Adding a family is one file and one line.
//!
//! Each primitive's `///` comment says what it does, when it errors, gives a `rhai`
//! example, and ends with a line `Effect: read`, `Effect: change` or `Effect: destroy`
//! (read by `runbook doc` and `runbook check`).

pub mod data;
pub mod detect;
pub mod disk;
pub mod files;
pub mod flow;
pub mod history;
pub mod juju;
pub mod maas;

use rhai::exported_module;
use rhai::Engine;

/// `value` (an object, or each object of an array) with every key of `keys`: the absent
/// ones as `null`, the script's `()`. A result's optional fields are thus always present,
/// whichever way the call ended, and scripts never read a missing key (an error).
pub(crate) fn with_keys(mut value: serde_json::Value, keys: &[&str]) -> serde_json::Value {
    match &mut value {
        serde_json::Value::Object(map) => {
            for key in keys {
                map.entry(key.to_string())
                    .or_insert(serde_json::Value::Null);
            }
        }
        serde_json::Value::Array(items) => {
            for item in items.iter_mut() {
                *item = with_keys(std::mem::take(item), keys);
            }
        }
        _ => {}
    }
    value
}

/// Register every family on the engine.
pub fn register_all(engine: &mut Engine) {
    engine.register_global_module(exported_module!(flow::flow_functions).into());
    engine.register_global_module(exported_module!(files::files_functions).into());
    engine.register_global_module(exported_module!(juju::juju_functions).into());
    engine.register_global_module(exported_module!(maas::maas_functions).into());
    engine.register_global_module(exported_module!(disk::disk_functions).into());
    engine.register_global_module(exported_module!(data::data_functions).into());
    engine.register_global_module(exported_module!(detect::detect_functions).into());
    engine.register_global_module(exported_module!(history::history_functions).into());
}

#[cfg(test)]
mod tests {
    use rhai::{exported_module, Engine, Module};

    #[test]
    fn with_keys_fills_the_absent_keys_of_objects_only() {
        let v = super::with_keys(serde_json::json!([{ "a": 1 }, { "b": 2 }, 3]), &["a", "b"]);
        assert_eq!(
            v,
            serde_json::json!([{ "a": 1, "b": null }, { "a": null, "b": 2 }, 3])
        );
    }

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

    #[test]
    fn every_family_is_designs_table_and_documented() {
        assert_eq!(
            documented_names(exported_module!(super::juju::juju_functions)),
            [
                "juju_controllers",
                "juju_destroy_model",
                "juju_disabled_commands",
                "juju_export_bundle",
                "juju_machines",
                "juju_model",
                "juju_models",
                "juju_remove_machine",
                "juju_require_destroy_allowed",
                "juju_status"
            ]
        );
        assert_eq!(
            documented_names(exported_module!(super::maas::maas_functions)),
            [
                "maas_config",
                "maas_machines",
                "maas_machines_by_id",
                "maas_snapshot",
                "maas_whoami",
                "release",
                "release_all"
            ]
        );
        assert_eq!(
            documented_names(exported_module!(super::data::data_functions)),
            ["group_by"]
        );
        assert_eq!(
            documented_names(exported_module!(super::disk::disk_functions)),
            ["stat_qcow2", "wipe_qcow2"]
        );
        assert_eq!(
            documented_names(exported_module!(super::detect::detect_functions)),
            ["detect_cloud", "frozen"]
        );
        assert_eq!(
            documented_names(exported_module!(super::history::history_functions)),
            ["pre_destroy_backup", "previous_run"]
        );
        assert_eq!(
            documented_names(exported_module!(super::files::files_functions)),
            [
                "backup_dir",
                "backup_ok",
                "glob",
                "read_pointer",
                "seal_backup",
                "set_pointer",
                "write_backup"
            ]
        );
        assert_eq!(
            documented_names(exported_module!(super::flow::flow_functions)),
            [
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
                "warn"
            ]
        );
    }
}
