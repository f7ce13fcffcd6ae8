//! MAAS status codes reach scripts by name, from the client's one table.

use crate::common::Test;

#[test]
fn a_status_name_gives_its_code_and_back() {
    let out = Test::new()
        .args(&[
            "eval",
            r#"[maas_status("Ready"), maas_status("Releasing"), maas_status_name(14)]"#,
        ])
        .run();
    out.status(0);
    out.stdout_is("[4, 12, \"Disk erasing\"]\n");
}

#[test]
fn a_misspelt_status_name_is_an_error_not_a_number() {
    let out = Test::new().args(&["eval", r#"maas_status("Redy")"#]).run();
    out.status(2);
    out.stderr_has("`Redy` is not a MAAS status; the statuses are: New, Commissioning,");
}
