//! Text from a `juju` process or a `maas login` profile reaches the terminal escaped: a
//! `destroy-model` that prints a screen-clearing sequence in its progress, and a profile whose
//! URL carries one, show `\x1b` as text and never the raw byte.

use crate::juju_bad_output::teardown_with_juju;
use crate::primitives_fixture::{eval_in, site};
use crate::sim_server::SimServer;

const ESC: char = '\u{1b}';

#[test]
fn destroy_model_progress_is_escaped() {
    let sim = SimServer::start("dirty");
    // Its progress clears the screen, then Juju goes on as usual.
    let hostile = "destroy-model) printf '\\033[2Jhostile progress\\n' >&2;;";
    let out = teardown_with_juju(&sim, hostile);
    out.status(0).stderr_has("  ... \\x1b[2Jhostile progress");
    assert!(
        !out.stderr.contains(ESC) && !out.stdout.contains(ESC),
        "a raw escape reached the terminal:\n{}",
        out.stderr
    );
}

/// A `maas login` profile (the maas CLI's `~/.maascli.db`) whose URL has an escape in it.
#[test]
fn a_profile_url_with_an_escape_is_shown_escaped_in_the_header() {
    let t = site();
    let db = t.home().join(".maascli.db");
    let conn = rusqlite::Connection::open(&db).expect("open db");
    conn.execute_batch(
        "CREATE TABLE profiles (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, data BLOB)",
    )
    .expect("create table");
    let data = serde_json::json!({
        "name": "evil", "url": "http://127.0.0.1:9/\u{1b}[2J/MAAS/api/2.0/",
        "credentials": ["a", "b", "c"], "cacerts": null, "description": {"resources": []},
    });
    conn.execute(
        "INSERT INTO profiles (name, data) VALUES (?1, ?2)",
        ("evil", data.to_string()),
    )
    .expect("insert");
    drop(conn);
    let out = eval_in(t, &["--profile", "evil"], "1");
    out.stderr_has("MAAS: http://127.0.0.1:9/\\x1b[2J/MAAS");
    assert!(
        !out.stderr.contains(ESC) && !out.stdout.contains(ESC),
        "a raw escape reached the terminal:\n{}",
        out.stderr
    );
}
