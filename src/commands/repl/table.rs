//! How the REPL shows a value: an array of maps as an aligned table, a string as itself,
//! `()` as nothing, anything else as pretty JSON.
//!
//! Machine maps (`maas_machines()`) get the columns an operator scans for — hostname,
//! system id, status, owner, power — instead of every field; other maps show every key,
//! naming keys first.

use serde_json::{Map, Value};

/// Cells longer than this are cut (with `…`) so one long field cannot wreck a table.
const MAX_CELL: usize = 48;

/// Machine maps: (key, header), in display order.
const MACHINE_COLUMNS: &[(&str, &str)] = &[
    ("hostname", "hostname"),
    ("system_id", "system_id"),
    ("status_name", "status"),
    ("owner", "owner"),
    ("power_state", "power"),
    ("locked", "locked"),
];

/// Keys shown first in a generic table (when present), in this order.
const LEADING_KEYS: &[&str] = &["name", "hostname", "id", "system_id", "uuid"];

/// The text shown for `value` (no trailing newline); empty for `()`.
pub fn render(value: &rhai::Dynamic) -> String {
    if value.is_unit() {
        return String::new();
    }
    if value.is_string() {
        return crate::term::escape(&value.to_string()).into_owned();
    }
    let json = match serde_json::to_value(value) {
        Ok(json) => json,
        Err(_) => return crate::term::escape(&value.to_string()).into_owned(),
    };
    match rows(&json) {
        Some(rows) => table(&rows),
        None => serde_json::to_string_pretty(&json).unwrap_or_else(|_| value.to_string()),
    }
}

/// The rows, if `json` is a non-empty array of maps only.
fn rows(json: &Value) -> Option<Vec<&Map<String, Value>>> {
    let items = json.as_array().filter(|a| !a.is_empty())?;
    items.iter().map(Value::as_object).collect()
}

fn columns(rows: &[&Map<String, Value>]) -> Vec<(String, String)> {
    let has = |key: &str| rows.iter().any(|r| r.contains_key(key));
    if has("hostname") && has("status_name") {
        return MACHINE_COLUMNS
            .iter()
            .filter(|(k, _)| has(k))
            .map(|(k, h)| (k.to_string(), h.to_string()))
            .collect();
    }
    let mut keys: Vec<String> = LEADING_KEYS
        .iter()
        .filter(|k| has(k))
        .map(|k| k.to_string())
        .collect();
    let mut rest: Vec<String> = rows
        .iter()
        .flat_map(|r| r.keys())
        .filter(|k| !keys.contains(k))
        .cloned()
        .collect();
    rest.sort();
    rest.dedup();
    keys.extend(rest);
    keys.into_iter().map(|k| (k.clone(), k)).collect()
}

/// One cell: scalars as text, `()`/null as `-`, an array of scalars comma-joined, other
/// nested values summarised.
fn cell(value: Option<&Value>) -> String {
    let text = match value {
        None | Some(Value::Null) => "-".to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) if items.iter().all(|v| !v.is_array() && !v.is_object()) => items
            .iter()
            .map(|v| cell(Some(v)))
            .collect::<Vec<_>>()
            .join(","),
        Some(Value::Array(items)) => format!("[{} items]", items.len()),
        Some(Value::Object(map)) => format!("{{{} keys}}", map.len()),
        Some(v) => v.to_string(),
    };
    let text = crate::term::escape_line(&text.replace('\n', " ")).into_owned();
    if text.chars().count() > MAX_CELL {
        let cut: String = text.chars().take(MAX_CELL - 1).collect();
        format!("{cut}…")
    } else {
        text
    }
}

fn table(rows: &[&Map<String, Value>]) -> String {
    let columns = columns(rows);
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|r| columns.iter().map(|(k, _)| cell(r.get(k))).collect())
        .collect();
    let widths: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(i, (_, h))| {
            body.iter()
                .map(|row| row[i].chars().count())
                .chain([h.chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<String>| {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let mut out = vec![
        line(columns.iter().map(|(_, h)| h.clone()).collect()),
        line(widths.iter().map(|w| "-".repeat(*w)).collect()),
    ];
    out.extend(body.into_iter().map(line));
    out.push(format!(
        "({} row{})",
        rows.len(),
        if rows.len() == 1 { "" } else { "s" }
    ));
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dynamic(json: Value) -> rhai::Dynamic {
        rhai::serde::to_dynamic(json).unwrap()
    }

    #[test]
    fn machines_show_operator_columns_aligned() {
        let v = dynamic(serde_json::json!([
            {"system_id": "abc123", "hostname": "openstack0", "status_name": "Deployed",
             "status": 6, "owner": "admin", "locked": false, "power_state": "on",
             "pool": "default", "zone": "default", "tags": ["a"]},
            {"system_id": "x", "hostname": "os1", "status_name": "Ready",
             "status": 4, "owner": null, "locked": true, "power_state": "off",
             "pool": "default", "zone": "default", "tags": []},
        ]));
        assert_eq!(
            render(&v),
            "hostname    system_id  status    owner  power  locked\n\
             ----------  ---------  --------  -----  -----  ------\n\
             openstack0  abc123     Deployed  admin  on     false\n\
             os1         x          Ready     -      off    true\n\
             (2 rows)"
        );
    }

    #[test]
    fn generic_maps_lead_with_names_and_summarise_nesting() {
        let v = dynamic(serde_json::json!([
            {"zeta": 1, "name": "a", "sub": {"k": 1}, "list": [1, 2]},
            {"name": "bb", "extra": "long text"},
        ]));
        assert_eq!(
            render(&v),
            "name  extra      list  sub       zeta\n\
             ----  ---------  ----  --------  ----\n\
             a     -          1,2   {1 keys}  1\n\
             bb    long text  -     -         -\n\
             (2 rows)"
        );
    }

    #[test]
    fn other_values_are_json_strings_raw_unit_empty() {
        assert_eq!(render(&rhai::Dynamic::from(5_i64)), "5");
        assert_eq!(render(&rhai::Dynamic::from("a\nb")), "a\nb");
        assert_eq!(render(&rhai::Dynamic::UNIT), "");
        assert_eq!(render(&dynamic(serde_json::json!([]))), "[]");
        assert_eq!(
            render(&dynamic(serde_json::json!({"a": 1}))),
            "{\n  \"a\": 1\n}"
        );
        assert_eq!(
            render(&dynamic(serde_json::json!([1, 2]))),
            "[\n  1,\n  2\n]"
        );
    }

    #[test]
    fn long_cells_are_cut() {
        let long = "x".repeat(100);
        let v = dynamic(serde_json::json!([{ "name": long }]));
        let out = render(&v);
        assert!(
            out.contains(&format!("{}…", "x".repeat(MAX_CELL - 1))),
            "{out}"
        );
    }
}
