//! `runbook doc`: the catalogue from Rhai metadata.

use crate::common::Test;

#[test]
fn json_lists_primitives_with_effect_and_doc() {
    let out = Test::new().args(&["doc", "--json"]).run();
    out.status(0);
    let doc = out.json();
    let docs = &doc["primitives"];
    let find = |name: &str| {
        docs.as_array()
            .unwrap()
            .iter()
            .find(|d| d["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} missing"))
    };
    let wb = find("write_backup");
    assert_eq!(wb["effect"], "change");
    assert!(
        wb["signature"]
            .as_str()
            .unwrap()
            .starts_with("write_backup(dir: String, file: String, text: String)"),
        "{wb}"
    );
    assert!(wb["doc"].as_str().unwrap().contains("```rhai"));
    assert_eq!(find("glob")["effect"], "read");
    assert!(docs
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["effect"].is_string()));
}

#[test]
fn human_catalogue() {
    Test::new()
        .args(&["doc"])
        .run()
        .status(0)
        .stdout_has("wait_until(")
        .stdout_has("[read]")
        .stdout_has("[change]");
}

#[test]
fn definitions_are_written() {
    let t = Test::new().args(&["doc", "--definitions", "defs"]);
    let out = t.run();
    out.status(0);
    let files = out.files_under(&out.root().join("defs"));
    assert!(files.iter().any(|f| f.ends_with(".d.rhai")), "{files:?}");
}
