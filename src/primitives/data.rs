//! The `data` family: helpers that keep the runbooks linear in the size of the cloud.
//!
//! Matching a thousand targets against ten thousand machines by scanning the machine list
//! once per target is quadratic (seconds at a thousand targets, a minute at four thousand).
//! `group_by` indexes a list once; every lookup after that is one map access
//! (teardown.md §2 detection, §3.2 Phases C–D, §4 acceptance).

use rhai::plugin::*;
use rhai::{Array, Dynamic, Map};

use crate::effects::EffectClass;
use crate::primitives::support::RhaiResult;

/// The key an item is filed under: its `field` as text, or `None` when the item has no
/// such field (or it is `()`).
fn key_of(item: &Dynamic, field: &str, position: usize) -> RhaiResult<Option<String>> {
    let Some(map) = item.read_lock::<Map>() else {
        return Err(format!(
            "`group_by` takes an array of maps; element {position} is a `{}`",
            item.type_name()
        )
        .into());
    };
    Ok(match map.get(field) {
        None => None,
        Some(v) if v.is_unit() => None,
        Some(v) if v.is_string() => v
            .read_lock::<rhai::ImmutableString>()
            .map(|s| s.to_string()),
        Some(v) => Some(v.to_string()),
    })
}

/// `list` grouped by `field`: a map from each value of `field` (as text) to the array of
/// items that have it, in list order.
pub fn group(list: &Array, field: &str) -> RhaiResult<Map> {
    let mut groups = Map::new();
    for (position, item) in list.iter().enumerate() {
        let Some(key) = key_of(item, field, position)? else {
            continue;
        };
        let slot = groups
            .entry(key.into())
            .or_insert_with(|| Dynamic::from_array(Array::new()));
        if let Some(mut items) = slot.write_lock::<Array>() {
            items.push(item.clone());
        }
    }
    Ok(groups)
}

/// As [`group`], with every key of `keys` present (an empty array when no item has it).
pub fn group_with_keys(list: &Array, field: &str, keys: &Array) -> RhaiResult<Map> {
    let mut groups = group(list, field)?;
    for key in keys {
        if key.is_unit() {
            continue;
        }
        groups
            .entry(key.to_string().into())
            .or_insert_with(|| Dynamic::from_array(Array::new()));
    }
    Ok(groups)
}

/// Each primitive's effect class, declared once: `runbook doc` shows it and the gate is
/// given it (see `primitives::effect_class`).
pub const EFFECTS: &[(&str, EffectClass)] = &[
    ("group_by", EffectClass::Read),
];

#[export_module]
pub mod data_functions {
    /// Index a list of maps by one field, once: returns a map from each value of `field`
    /// (as text) to the array of items with that value, in list order. Items without the
    /// field (or with `()`) are left out. Reading a key the map does not have is an error
    /// (as for every map): give the keys you will look up as a third argument,
    /// `group_by(list, field, keys)`, so each is present (`[]` when no item has it). Look a
    /// key up by indexing, `groups[key]` (not `groups.get(key)` or `key in groups`: a
    /// method call makes Rhai re-measure the whole map against its size limits each time),
    /// so matching N names against M machines is N + M steps, not N × M. Errors if an
    /// element is not a map.
    ///
    /// ```rhai
    /// let by_host = group_by(maas_machines(), "hostname");
    /// print(by_host.keys());
    /// ```
    #[rhai_fn(pure, return_raw)]
    pub fn group_by(list: &mut Array, field: &str) -> RhaiResult<Map> {
        super::group(list, field)
    }

    /// As `group_by(list, field)`, with every key of `keys` present: an empty array when no
    /// item has it. The index to look names up in.
    ///
    /// ```rhai
    /// let by_host = group_by(maas_machines(), "hostname", site.targets);
    /// for h in site.targets {
    ///     let found = by_host[h];
    ///     if found.len() != 1 { warn(`${h}: ${found.len()} machines`); }
    /// }
    /// ```
    #[rhai_fn(name = "group_by", pure, return_raw)]
    pub fn group_by_keys(list: &mut Array, field: &str, keys: Array) -> RhaiResult<Map> {
        super::group_with_keys(list, field, &keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(pairs: &[(&str, Dynamic)]) -> Dynamic {
        let mut m = Map::new();
        for (k, v) in pairs {
            m.insert((*k).into(), v.clone());
        }
        Dynamic::from_map(m)
    }

    fn keys(groups: &Map) -> Vec<String> {
        groups.keys().map(|k| k.to_string()).collect()
    }

    #[test]
    fn the_given_keys_are_always_present() {
        let list: Array = vec![item(&[("hostname", "a".into())])];
        let wanted: Array = vec!["a".into(), "z".into(), Dynamic::UNIT];
        let g = group_with_keys(&list, "hostname", &wanted).unwrap();
        assert_eq!(keys(&g), ["a", "z"]);
        assert_eq!(g["a"].clone().into_array().unwrap().len(), 1);
        assert!(g["z"].clone().into_array().unwrap().is_empty());
    }

    #[test]
    fn groups_in_list_order_and_keeps_duplicates_together() {
        let list: Array = vec![
            item(&[("hostname", "a".into()), ("id", 1_i64.into())]),
            item(&[("hostname", "b".into()), ("id", 2_i64.into())]),
            item(&[("hostname", "a".into()), ("id", 3_i64.into())]),
        ];
        let g = group(&list, "hostname").unwrap();
        assert_eq!(keys(&g), ["a", "b"]);
        let a = g["a"].clone().into_array().unwrap();
        let ids: Vec<i64> = a
            .iter()
            .map(|m| m.read_lock::<Map>().unwrap()["id"].as_int().unwrap())
            .collect();
        assert_eq!(ids, [1, 3]);
        assert_eq!(g["b"].clone().into_array().unwrap().len(), 1);
    }

    #[test]
    fn items_without_the_field_are_left_out_and_numbers_become_text() {
        let list: Array = vec![
            item(&[("status", 4_i64.into())]),
            item(&[("status", Dynamic::UNIT)]),
            item(&[("other", "x".into())]),
        ];
        let g = group(&list, "status").unwrap();
        assert_eq!(keys(&g), ["4"]);
    }

    #[test]
    fn an_element_that_is_not_a_map_is_an_error_naming_it() {
        let list: Array = vec![item(&[("a", 1_i64.into())]), "text".into()];
        let e = group(&list, "a").unwrap_err().to_string();
        assert!(e.contains("element 1 is a `string`"), "{e}");
    }
}
