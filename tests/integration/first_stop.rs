//! How a run ends when more than one thing stopped it: a refusal on record comes first. A
//! batch that refused a machine lets the run go on; whatever stops it afterwards (here
//! `halt()`), it ends refused (exit 4), as it always has. Without that refusal, `halt()`
//! ends it halted (exit 3).

use crate::primitives_fixture::{eval, RELEASE_TARGETS};
use crate::sim_server::SimServer;

#[test]
fn a_batch_refusal_before_a_halt_ends_the_run_refused() {
    // foreign: every target is owned by alice; the owner guard refuses each release.
    let sim = SimServer::start("foreign");
    let out = eval(
        &sim,
        &["--yes"],
        &format!("{RELEASE_TARGETS}; halt(\"a human must look\")"),
    );
    out.status(4)
        .stderr_has("refused by guard `release.owner`")
        .stderr_has("error: stopped: a human must look");
    assert!(!sim.changed(), "{:#?}", sim.log());
    let out = eval(&sim, &["--yes"], "halt(\"a human must look\")");
    out.status(3)
        .stderr_has("stopped: a human must look\nhint: routing stopped for a human to investigate");
}
