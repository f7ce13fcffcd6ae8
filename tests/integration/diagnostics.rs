//! Diagnostics: `error: …`, `file:line:col`, the source line, a caret, the call chain.

use crate::common::Test;

/// A runbook, a module under `stdlib/` it may import, and stderr exactly.
const CASES: [(&str, (&str, &str), &str); 4] = [
    // A parse error: the file, line and column, the line, a caret under the column.
    (
        "let a = 1;\nlet b = a +;\n",
        ("", ""),
        "error: Unexpected ';'
  --> <tmp>/root/runbooks/r.rhai:2:12
  |
2 | let b = a +;
  |            ^
",
    ),
    // A runtime error in an imported module: its own position, then the call chain.
    (
        "import \"m\" as m;\n\nm::boom(7);\n",
        ("m", "fn boom(x) {\n    throw `bad ${x}`;\n}\n"),
        "error: bad 7
  --> <tmp>/root/stdlib/m.rhai:2:5
  |
2 |     throw `bad ${x}`;
  |     ^
   = in call to `boom` at <tmp>/root/runbooks/r.rhai:3:4
",
    ),
    // An error in a script function names the call site.
    (
        "fn f() {\n  1 / 0\n}\nf();\n",
        ("", ""),
        "error: Division by zero: 1 / 0
  --> <tmp>/root/runbooks/r.rhai:2:5
  |
2 |   1 / 0
  |     ^
   = in call to `f` at <tmp>/root/runbooks/r.rhai:4:1
",
    ),
    // A broken module stops with its own error, naming where it was imported.
    (
        "import \"broken\" as b;\n",
        ("broken", "fn f() {\n  let = 1;\n}\n"),
        "error: Expecting name of a variable
  --> <tmp>/root/stdlib/broken.rhai:2:7
  |
2 |   let = 1;
  |       ^
   = in module `<tmp>/root/stdlib/broken.rhai` imported at <tmp>/root/runbooks/r.rhai:1:8
",
    ),
];

#[test]
fn script_errors_show_the_position_the_line_a_caret_and_the_call_chain() {
    for (runbook, (module, text), stderr) in CASES {
        let mut t = Test::script(runbook);
        if !module.is_empty() {
            t = t.file(&format!("stdlib/{module}.rhai"), text);
        }
        t.run().status(2).stderr_is(stderr);
    }
}
