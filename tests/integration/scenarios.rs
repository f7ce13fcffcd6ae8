//! A simulator scenario is one entry of its table: `sim serve --help` and the error for an
//! unknown name list every scenario from it.

use crate::common::Test;

const NAMES: &str = "clean, dirty, partial, destroying, foreign, stuck, missing, large:N, region:N";

#[test]
fn the_help_lists_every_scenario_with_what_it_starts_from() {
    let out = Test::new().args(&["sim", "serve", "--help"]).run();
    out.status(0);
    out.stdout_has("  stuck                   as `dirty`, with a machine that needs `remove-machine --force`\n");
    for name in NAMES.split(", ") {
        out.stdout_has(&format!("\n            {name} "));
    }
    out.stdout_has(
        "  large:N                 as `clean`, in a MAAS of N machines (N from 9 to 10000)\n",
    );
}

#[test]
fn an_unknown_scenario_is_refused_naming_them_all() {
    let out = Test::new()
        .args(&["sim", "serve", "--scenario", "dirty:3"])
        .run();
    out.status(2);
    out.stderr_has(&format!(
        "unknown scenario `dirty:3`; expected one of: {NAMES}"
    ));
}
