//! `maas login` profiles: `--profile`, `MAAS_PROFILE` and site `maas.profile` read the URL
//! and API key from the maas CLI's `~/.maascli.db` (or the snap's), made here the way the
//! CLI makes it; the key is never printed; every bad database is a clear error, exit 2.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::common::Test;
use crate::sim_server::SimServer;

/// A profiles database in the maas CLI's format.
fn maascli_db(path: &Path, profiles: &[(&str, Value)]) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    let conn = rusqlite::Connection::open(path).expect("open db");
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS profiles (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, data BLOB)",
    )
    .expect("create table");
    for (name, data) in profiles {
        conn.execute(
            "INSERT INTO profiles (name, data) VALUES (?1, ?2)",
            (name, data.to_string()),
        )
        .expect("insert");
    }
}

/// What `maas login NAME URL KEY` stores.
fn profile(name: &str, maas_url: &str, key: &str) -> Value {
    json!({
        "name": name,
        "url": format!("{maas_url}/api/2.0/"),
        "credentials": key.split(':').collect::<Vec<_>>(),
        "cacerts": null,
        "description": {"resources": []},
    })
}

fn db_path(t: &Test) -> PathBuf {
    t.home().join(".maascli.db")
}

/// `maas login` of each (name, MAAS URL, key) into the database at `path`.
fn login(path: &Path, profiles: &[(&str, &str, &str)]) {
    let profiles: Vec<(&str, Value)> = profiles
        .iter()
        .map(|&(name, url, key)| (name, profile(name, url, key)))
        .collect();
    maascli_db(path, &profiles);
}

/// A test whose `~/.maascli.db` holds these profiles (name, MAAS URL, key).
fn logged_in(profiles: &[(&str, &str, &str)]) -> Test {
    let t = Test::new();
    login(&db_path(&t), profiles);
    t
}

/// `maas_whoami()` on site testcloud with `args` and `env`, and no `MAAS_*` variables.
fn whoami(t: Test, args: &[&str]) -> crate::common::Output {
    t.args(&["eval", "--site", "testcloud", "maas_whoami()"])
        .args(args)
        .run()
}

fn whoami_requests(sim: &SimServer) -> usize {
    sim.log()
        .iter()
        .filter(|e| e.to_string().contains("op=whoami"))
        .count()
}

#[test]
fn profile_flag_gives_url_and_key_and_never_prints_the_key() {
    let sim = SimServer::start("dirty");
    let t = logged_in(&[("admin", &sim.maas_url, &sim.api_key)]);
    let out = whoami(t, &["--profile", "admin"]);
    out.status(0).stdout_is("admin\n");
    assert_eq!(whoami_requests(&sim), 1, "the sim answered the call");
    assert!(!out.stdout.contains(&sim.api_key) && !out.stderr.contains(&sim.api_key));
    let show = logged_in(&[("admin", &sim.maas_url, &sim.api_key)]);
    let out = show
        .args(&["sites", "show", "testcloud", "--profile", "admin"])
        .run();
    out.status(0)
        .stdout_has(&format!("\"url\": \"{}/api/2.0/\"", sim.maas_url))
        .stdout_has("\"profile\": \"admin\"")
        .stdout_has("<redacted>");
    assert!(!out.stdout.contains(&sim.api_key));
}

#[test]
fn maas_profile_env_and_site_setting_and_the_snap_location() {
    let sim = SimServer::start("dirty");
    let t = logged_in(&[("ops", &sim.maas_url, &sim.api_key)]);
    whoami(t.env("MAAS_PROFILE", "ops"), &[])
        .status(0)
        .stdout_is("admin\n");

    let t = Test::new();
    login(
        &t.home().join("snap/maas/current/.maascli.db"),
        &[("ops", &sim.maas_url, &sim.api_key)],
    );
    let site = "#{ name: \"mine\", targets: [\"openstack0\"], maas: #{ profile: \"ops\" } }";
    t.file("sites/mine/site.rhai", site)
        .args(&["eval", "--site", "mine", "maas_whoami()"])
        .run()
        .status(0)
        .stdout_is("admin\n");
    assert_eq!(whoami_requests(&sim), 2);
}

#[test]
fn precedence_flag_over_env_key_over_site_profile() {
    let sim = SimServer::start("dirty");
    let wrong = "aaaaaaaaaaaaaaaaaa:bbbbbbbbbbbbbbbbbb:cccccccccccccccccccccccccccccccc";
    // `--profile` (the `--set` layer) beats `MAAS_API_KEY` (the environment).
    let t = logged_in(&[
        ("good", &sim.maas_url, &sim.api_key),
        ("stale", &sim.maas_url, wrong),
    ]);
    whoami(t.env("MAAS_API_KEY", wrong), &["--profile", "good"])
        .status(0)
        .stdout_is("admin\n");
    // `MAAS_API_KEY` beats a profile the site file names.
    let t = logged_in(&[("stale", &sim.maas_url, wrong)]);
    let site = "#{ name: \"mine\", maas: #{ profile: \"stale\" } }";
    t.file("sites/mine/site.rhai", site)
        .env("MAAS_API_KEY", &sim.api_key)
        .args(&["eval", "--site", "mine", "maas_whoami()"])
        .run()
        .status(0)
        .stdout_is("admin\n");
    // And a wrong profile key really is used when chosen: MAAS refuses it.
    let t = logged_in(&[("stale", &sim.maas_url, wrong)]);
    whoami(t, &["--profile", "stale"])
        .status(2)
        .stderr_has("401");
    let statuses: Vec<Value> = sim.log().iter().map(|e| e["status"].clone()).collect();
    assert_eq!(statuses.len(), 3, "{statuses:?}");
}

#[test]
fn no_key_lists_the_profiles_or_says_to_log_in() {
    let sim = SimServer::start("dirty");
    let t = logged_in(&[
        ("prod", &sim.maas_url, &sim.api_key),
        ("lab", &sim.maas_url, &sim.api_key),
    ]);
    whoami(t.env("MAAS_URL", &sim.maas_url), &[])
        .status(2)
        .stderr_has("no MAAS API key")
        .stderr_has("the maas CLI has profile(s) `lab`, `prod`")
        .stderr_has("--profile NAME");
    whoami(Test::new().env("MAAS_URL", &sim.maas_url), &[])
        .status(2)
        .stderr_has("no MAAS API key")
        .stderr_has("run `maas login");
    // No URL either: the same list, and how to choose one.
    let t = logged_in(&[("prod", &sim.maas_url, &sim.api_key)]);
    whoami(t, &[])
        .status(2)
        .stderr_has("no MAAS URL")
        .stderr_has("the maas CLI has profile(s) `prod`")
        .stderr_has("--profile NAME");
    assert_eq!(whoami_requests(&sim), 0, "nothing was sent without a key");
}

#[test]
fn bad_databases_and_profiles_are_clear_errors() {
    // Unknown profile: the error lists the ones there are.
    let t = logged_in(&[("prod", "http://127.0.0.1:1/MAAS", "a:b:c")]);
    whoami(t, &["--profile", "nope"])
        .status(2)
        .stderr_has("no maas CLI profile `nope`")
        .stderr_has("profiles found: prod");
    // No database at all.
    whoami(Test::new(), &["--profile", "prod"])
        .status(2)
        .stderr_has("there is no `~/.maascli.db`")
        .stderr_has("maas login prod");
    // A profile without credentials (anonymous login).
    let t = Test::new();
    let mut anon = profile("anon", "http://127.0.0.1:1/MAAS", "a:b:c");
    anon["credentials"] = Value::Null;
    maascli_db(&db_path(&t), &[("anon", anon)]);
    whoami(t, &["--profile", "anon"])
        .status(2)
        .stderr_has("profile `anon`")
        .stderr_has("has no API credentials");
    // A corrupt file.
    let t = Test::new();
    std::fs::write(db_path(&t), vec![0x5a_u8; 8192]).expect("write");
    whoami(t, &["--profile", "prod"])
        .status(2)
        .stderr_has("cannot read the maas CLI profiles")
        .stderr_has("not a readable SQLite database");
}

#[test]
fn a_locked_database_is_a_clear_error() {
    let t = logged_in(&[("prod", "http://127.0.0.1:1/MAAS", "a:b:c")]);
    let path = db_path(&t);
    // Another program (a `maas login` mid-write) holds an exclusive lock.
    let holder = rusqlite::Connection::open(&path).expect("open");
    holder
        .execute_batch("BEGIN EXCLUSIVE; UPDATE profiles SET data = data;")
        .expect("lock");
    whoami(t, &["--profile", "prod"])
        .status(2)
        .stderr_has("is locked by another program");
    holder.execute_batch("ROLLBACK;").expect("unlock");
}

/// A site that pins its MAAS (`maas.url`, or a `maas.profile`) refuses an environment naming
/// another one — an exported `MAAS_PROFILE` as much as an exported `MAAS_URL` — before any
/// request; the header says where the MAAS it does talk to came from.
#[test]
fn a_pinned_site_refuses_an_exported_profile_of_another_maas() {
    let sim = SimServer::start("dirty");
    let elsewhere = "http://127.0.0.1:9/MAAS";
    let profiles = [
        ("ops", sim.maas_url.as_str(), sim.api_key.as_str()),
        ("lab", elsewhere, sim.api_key.as_str()),
    ];
    let pinned_url = format!(
        "#{{ name: \"mine\", targets: [\"openstack0\"], maas: #{{ url: \"{}\" }} }}",
        sim.maas_url
    );
    let pinned_profile =
        "#{ name: \"mine\", targets: [\"openstack0\"], maas: #{ profile: \"ops\" } }";
    let run = |site: &str, env: (&str, &str), args: &[&str]| {
        let t = logged_in(&profiles);
        let root = format!("{}/", t.root().display());
        let mut out = t
            .file("sites/mine/site.rhai", site)
            .env(env.0, env.1)
            .env("MAAS_API_KEY", &sim.api_key)
            .args(&["eval", "--site", "mine", "maas_whoami()"])
            .args(args)
            .run();
        out.stderr = out.stderr.replace(&root, "");
        out
    };
    let out = run(&pinned_url, ("MAAS_PROFILE", "lab"), &[]);
    out.status(2);
    assert_eq!(
        out.stderr.lines().next(),
        Some(format!(
            "error: `MAAS_PROFILE` is `lab` (MAAS `{elsewhere}/api/2.0/`) but site `mine` pins `maas.url` to `{}` (in `sites/mine/site.rhai`): refusing to guess which one you mean",
            sim.maas_url
        )
        .as_str())
    );
    assert!(out.stderr.contains("hint: unset `MAAS_PROFILE` to use the site's, or override it explicitly with `--profile lab`"), "{}", out.stderr);
    let out = run(pinned_profile, ("MAAS_URL", elsewhere), &[]);
    out.status(2);
    assert_eq!(
        out.stderr.lines().next(),
        Some(format!(
            "error: `MAAS_URL` is `{elsewhere}` but site `mine` pins `maas.profile` to `ops` (MAAS `{}/api/2.0/`) (in `sites/mine/site.rhai`): refusing to guess which one you mean",
            sim.maas_url
        )
        .as_str())
    );
    assert_eq!(whoami_requests(&sim), 0, "refused before any request");

    // The same MAAS by either name is no disagreement; the header names the source.
    for (site, env, source) in [
        (
            pinned_url.as_str(),
            ("MAAS_PROFILE", "ops"),
            "the site's `maas.url`",
        ),
        (
            pinned_profile,
            ("MAAS_PROFILE", "ops"),
            "the `maas login` profile of `MAAS_PROFILE`",
        ),
        (
            pinned_profile,
            ("NO_COLOR", "1"),
            "the `maas login` profile of the site's `maas.profile`",
        ),
    ] {
        let out = run(site, env, &[]);
        out.status(0).stdout_is("admin\n").says(&format!(
            "MAAS: http://127.0.0.1:<port>/MAAS/api/2.0/ as `admin` (from {source})"
        ));
    }
    assert_eq!(whoami_requests(&sim), 3);
}

/// A profile's key goes to the profile's MAAS only: `MAAS_PROFILE` of MAAS A with an
/// exported `MAAS_URL` of MAAS B is refused before any request, naming both — B never sees
/// the key, A is not asked either.
#[test]
fn a_profiles_key_is_never_sent_to_another_maas() {
    let a = SimServer::start("dirty");
    let b = SimServer::start("dirty");
    let t = logged_in(&[("admin", &a.maas_url, &a.api_key)]);
    let out = whoami(
        t.env("MAAS_PROFILE", "admin").env("MAAS_URL", &b.maas_url),
        &[],
    );
    out.status(2)
        .stderr_has(&format!(
            "the MAAS API key would come from maas CLI profile `admin`, whose MAAS is `{}/api/2.0/`, but the MAAS URL in use is `{}`: refusing to send the profile's key to another MAAS",
            a.maas_url, b.maas_url
        ))
        .stderr_has("hint: unset `MAAS_URL`");
    assert_eq!(whoami_requests(&a), 0, "{:#?}", a.log());
    assert!(b.log().is_empty(), "MAAS B was contacted: {:#?}", b.log());
}
