//! What every family shares, defined once: the result type a primitive returns, the error
//! a script sees, and the conversions between script values and Rust types.
//!
//! It owns no primitive; the families (`flow`, `juju`, ...) use it.

use rhai::{Array, Dynamic, EvalAltResult, Map};

use crate::effects::EffectClass;

/// What a fallible primitive returns: a value (a script `Dynamic` unless said otherwise)
/// or an error message the engine stamps with the script's position.
pub type RhaiResult<T = Dynamic> = Result<T, Box<EvalAltResult>>;

/// An error message for the script (the engine adds the position), with its causes.
pub fn script_error(e: anyhow::Error) -> Box<EvalAltResult> {
    format!("{e:#}").into()
}

/// A Rust value as the script sees it: maps and arrays.
pub fn to_map<T: serde::Serialize>(value: T) -> RhaiResult {
    rhai::serde::to_dynamic(value)
}

/// The strings of a script array, or an error naming `function` and what it takes
/// (`what`, e.g. "system ids").
pub fn strings(function: &str, what: &str, items: Array) -> RhaiResult<Vec<String>> {
    items
        .into_iter()
        .map(|d| {
            d.into_string().map_err(|t| {
                format!("`{function}` takes an array of {what} (strings), not `{t}`").into()
            })
        })
        .collect()
}

/// Options from a script map into a typed struct; unknown keys are an error naming
/// `function`.
pub fn options<T: serde::de::DeserializeOwned>(function: &str, opts: Map) -> RhaiResult<T> {
    rhai::serde::from_dynamic(&Dynamic::from_map(opts))
        .map_err(|e| format!("invalid options for `{function}`: {e}").into())
}

/// The class the gate is given for the effects of primitive `name`: its family's
/// declaration (`EFFECTS`). A name nobody declared is treated as `destroy`, so a slip
/// asks for more confirmation, never less.
pub fn class_of(name: &str) -> EffectClass {
    super::effect_class(name).unwrap_or(EffectClass::Destroy)
}

/// `value` (an object, or each object of an array) with every key of `keys`: the absent
/// ones as `null`, the script's `()`. A result's optional fields are thus always present,
/// whichever way the call ended, and scripts never read a missing key (an error).
pub fn with_keys(mut value: serde_json::Value, keys: &[&str]) -> serde_json::Value {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_come_from_the_declarations_and_fail_closed() {
        assert_eq!(class_of("release"), EffectClass::Destroy);
        assert_eq!(class_of("write_backup"), EffectClass::Change);
        assert_eq!(class_of("glob"), EffectClass::Read);
        assert_eq!(class_of("no_such_primitive"), EffectClass::Destroy);
    }

    #[test]
    fn with_keys_fills_the_absent_keys_of_objects_only() {
        let v = with_keys(serde_json::json!([{ "a": 1 }, { "b": 2 }, 3]), &["a", "b"]);
        assert_eq!(
            v,
            serde_json::json!([{ "a": 1, "b": null }, { "a": null, "b": 2 }, 3])
        );
    }

    #[test]
    fn options_name_the_function_and_refuse_unknown_keys() {
        #[derive(serde::Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        struct Opts {
            #[allow(dead_code)]
            force: bool,
        }
        let mut m = Map::new();
        m.insert("forse".into(), true.into());
        let e = options::<Opts>("juju_destroy_model", m)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("invalid options for `juju_destroy_model`"),
            "{e}"
        );
    }

    #[test]
    fn script_errors_carry_their_causes() {
        let e = anyhow::anyhow!("connection refused").context("cannot read MAAS machines");
        assert_eq!(
            script_error(e).to_string(),
            "Runtime error: cannot read MAAS machines: connection refused"
        );
    }
}
