//! Diagnostics: `error: …`, `file:line:col`, the source line, a caret, the call chain.

use crate::common::Test;

#[test]
fn parse_error_shows_file_line_col_and_caret() {
    let out = Test::new()
        .file("runbooks/bad.rhai", "let a = 1;\nlet b = a +;\n")
        .args(&["run", "bad"])
        .run();
    out.status(2);
    let file = out.root().join("runbooks/bad.rhai").display().to_string();
    out.stderr_has(&format!(
        "  --> {file}:2:12\n  |\n2 | let b = a +;\n  |            ^\n"
    ));
}

#[test]
fn runtime_error_in_imported_module_shows_chain() {
    let out = Test::new()
        .file("stdlib/m.rhai", "fn boom(x) {\n    throw `bad ${x}`;\n}\n")
        .file("runbooks/r.rhai", "import \"m\" as m;\n\nm::boom(7);\n")
        .args(&["run", "r"])
        .run();
    out.status(2);
    let m = out.root().join("stdlib/m.rhai").display().to_string();
    let r = out.root().join("runbooks/r.rhai").display().to_string();
    out.stderr_has(&format!("error: bad 7\n  --> {m}:2:5\n"));
    out.stderr_has(&format!("   = in call to `boom` at {r}:3:"));
}

#[test]
fn error_in_script_function_names_call_site() {
    let out = Test::script("fn f() {\n  1 / 0\n}\nf();\n").run();
    out.status(2);
    let r = out.root().join("runbooks/r.rhai").display().to_string();
    out.stderr_has(&format!("--> {r}:2:"));
    out.stderr_has(&format!("   = in call to `f` at {r}:4:1"));
}
