//! The Rhai surface: one plugin module per family. Adding a family is one file and one line.
//!
//! Each primitive's `///` comment says what it does, when it errors and gives a `rhai`
//! example. Its effect class (read / change / destroy) is declared once, in its family's
//! `EFFECTS` table: `runbook doc` and `runbook check` read it, and so does the gate (the
//! primitive builds its effect with `support::class_of`).

pub mod support;

use rhai::exported_module;
use rhai::{Engine, Module};

use crate::effects::EffectClass;

/// Declares the families, one line each (`file::plugin_module`): the `mod` line, the
/// plugin module that `register_all` and the tests read, and the family's `EFFECTS`.
macro_rules! families {
    ($($family:ident :: $plugin:ident),* $(,)?) => {
        $(pub mod $family;)*

        /// Every family's name and plugin module, in registration order.
        pub fn families() -> Vec<(&'static str, Module)> {
            vec![$((stringify!($family), exported_module!($family::$plugin))),*]
        }

        /// Every primitive's declared effect class, family by family.
        pub fn declared_effects() -> impl Iterator<Item = &'static (&'static str, EffectClass)> {
            [$($family::EFFECTS),*].into_iter().flatten()
        }
    };
}

families! {
    flow::flow_functions,
    files::files_functions,
    juju::juju_functions,
    maas::maas_functions,
    maas_status::maas_status_functions,
    disk::disk_functions,
    data::data_functions,
    target_match::target_match_functions,
    detect::detect_functions,
    history::history_functions,
}

/// The declared effect class of primitive `name` (`None`: not declared).
pub fn effect_class(name: &str) -> Option<EffectClass> {
    declared_effects()
        .find(|(n, _)| *n == name)
        .map(|(_, class)| *class)
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

    use crate::effects::EffectClass;

    /// One family's function names, sorted, after checking what `runbook doc` reads: each
    /// function says what it does and gives a `rhai` example.
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
            assert!(
                !text.contains("Effect:"),
                "{name}: the effect class is declared in `EFFECTS`, not in the doc comment"
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
                "juju_destroy_command",
                "juju_destroy_model",
                "juju_disabled_commands",
                "juju_export_bundle",
                "juju_machines",
                "juju_model",
                "juju_model_config",
                "juju_models",
                "juju_remove_command",
                "juju_remove_machine",
                "juju_require_destroy_allowed",
                "juju_show_model",
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
        ("target_match", &["match_targets"]),
        ("maas_status", &["maas_status", "maas_status_name"]),
        ("disk", &["stat_qcow2", "wipe_qcow2"]),
        ("detect", &["detect_cloud", "frozen"]),
        (
            "history",
            &[
                "journaled_destroy",
                "journaled_pre_destroy_backup",
                "pre_destroy_backup",
                "previous_run",
            ],
        ),
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
                "failed_so_far",
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

    /// The declarations and the functions agree: every registered function has exactly
    /// one declared class, and every declaration names a registered function.
    #[test]
    fn every_primitive_has_one_declared_effect_class() {
        let mut registered = Vec::new();
        for (_, module) in super::families() {
            registered.extend(documented_names(module));
        }
        let mut declared: Vec<&str> = super::declared_effects().map(|(n, _)| *n).collect();
        declared.sort();
        let before = declared.len();
        declared.dedup();
        assert_eq!(declared.len(), before, "a primitive is declared twice");
        registered.sort();
        assert_eq!(declared, registered);
    }

    /// The changing primitives and their classes, as the design lists them: a slip in a
    /// declaration (a destroy declared `change` would skip its confirmation) shows here.
    #[test]
    fn the_changing_primitives_are_the_designs() {
        let changing: Vec<(&str, EffectClass)> = super::declared_effects()
            .filter(|(_, c)| *c != EffectClass::Read)
            .copied()
            .collect();
        assert_eq!(
            changing,
            [
                ("backup_dir", EffectClass::Change),
                ("write_backup", EffectClass::Change),
                ("seal_backup", EffectClass::Change),
                ("set_pointer", EffectClass::Change),
                ("juju_destroy_model", EffectClass::Destroy),
                ("juju_remove_machine", EffectClass::Destroy),
                ("release", EffectClass::Destroy),
                ("release_all", EffectClass::Destroy),
                ("wipe_qcow2", EffectClass::Destroy),
            ]
        );
    }
}
