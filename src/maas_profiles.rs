//! The `maas` CLI's profiles: what `maas login NAME URL KEY` saved, so an operator who
//! already logged in needs no `MAAS_API_KEY`.
//!
//! The CLI keeps them in an SQLite file, `~/.maascli.db` (the snap's CLI in
//! `~/snap/maas/current/.maascli.db`), table `profiles(id, name UNIQUE, data)`, where
//! `data` is JSON: `name`, `url` (ending `/api/2.0/`), `credentials`
//! (`[consumer_key, token_key, token_secret]`, or null for an anonymous login), `cacerts`
//! (PEM text, or null), `description`. This module only reads that file.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use rusqlite::{Connection, OpenFlags};

/// One profile, with its secret; `Debug` never shows the key.
#[derive(Clone, PartialEq)]
pub struct Profile {
    pub name: String,
    pub url: String,
    /// `consumer_key:token_key:token_secret`, the form `MAAS_API_KEY` takes.
    pub api_key: String,
    /// PEM text of the CA certificates `maas login --cacerts` saved.
    pub cacerts: Option<String>,
    /// The database it came from.
    pub db: PathBuf,
}

impl fmt::Debug for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Profile")
            .field("name", &self.name)
            .field("url", &self.url)
            .field("api_key", &"<redacted>")
            .field("cacerts", &self.cacerts.as_ref().map(|_| "<pem>"))
            .field("db", &self.db)
            .finish()
    }
}

/// Where the `maas` CLI keeps its profiles under `home`, in the order they are searched:
/// the deb/pip CLI's file, then the snap's.
pub fn db_paths(home: &Path) -> Vec<PathBuf> {
    vec![
        home.join(".maascli.db"),
        home.join("snap/maas/current/.maascli.db"),
    ]
}

/// The profile databases that exist for the current user.
pub fn existing_dbs() -> Vec<PathBuf> {
    dirs::home_dir()
        .map(|home| db_paths(&home))
        .unwrap_or_default()
        .into_iter()
        .filter(|p| p.is_file())
        .collect()
}

/// Open `db` read-only; a writer holding a lock makes this wait a moment, then fail.
fn open(db: &Path) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        db,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .with_context(|| format!("cannot open the maas CLI profiles `{}`", db.display()))?;
    conn.busy_timeout(Duration::from_secs(2))
        .with_context(|| format!("cannot open the maas CLI profiles `{}`", db.display()))?;
    Ok(conn)
}

/// A database error, said so an operator knows what to do.
fn db_error(db: &Path, e: rusqlite::Error) -> anyhow::Error {
    let what = match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseBusy) | Some(rusqlite::ErrorCode::DatabaseLocked) => {
            "it is locked by another program (a `maas login` still running?); try again when it is done".to_string()
        }
        Some(rusqlite::ErrorCode::NotADatabase) | Some(rusqlite::ErrorCode::DatabaseCorrupt) => {
            "it is not a readable SQLite database (corrupt?); `maas login` again to rewrite it, or choose a key with `MAAS_API_KEY`".to_string()
        }
        _ => e.to_string(),
    };
    anyhow!(
        "cannot read the maas CLI profiles `{}`: {what}",
        db.display()
    )
}

/// The profile names in `db`, sorted.
pub fn names(db: &Path) -> Result<Vec<String>> {
    let conn = open(db)?;
    let mut stmt = conn
        .prepare("SELECT name FROM profiles ORDER BY name")
        .map_err(|e| db_error(db, e))?;
    let rows = stmt
        .query_map([], |row| row.get::<_, String>(0))
        .map_err(|e| db_error(db, e))?;
    rows.collect::<rusqlite::Result<Vec<_>>>()
        .map_err(|e| db_error(db, e))
}

/// The `data` column: the CLI writes a JSON string, but accept bytes too.
fn data_text(row: &rusqlite::Row<'_>) -> rusqlite::Result<String> {
    use rusqlite::types::ValueRef;
    Ok(match row.get_ref(0)? {
        ValueRef::Text(t) | ValueRef::Blob(t) => String::from_utf8_lossy(t).into_owned(),
        _ => String::new(),
    })
}

/// Profile `name` from `db`, if it is there.
pub fn read(db: &Path, name: &str) -> Result<Option<Profile>> {
    let conn = open(db)?;
    let data = conn
        .query_row(
            "SELECT data FROM profiles WHERE name = ?1",
            [name],
            data_text,
        )
        .map(Some)
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            e => Err(db_error(db, e)),
        })?;
    data.map(|text| parse(db, name, &text)).transpose()
}

/// A profile's `data` JSON.
fn parse(db: &Path, name: &str, text: &str) -> Result<Profile> {
    let at = || format!("profile `{name}` in `{}`", db.display());
    let data: serde_json::Value =
        serde_json::from_str(text).map_err(|e| anyhow!("{}: its data is not JSON: {e}", at()))?;
    let url = data
        .get("url")
        .and_then(|u| u.as_str())
        .filter(|u| !u.is_empty())
        .ok_or_else(|| anyhow!("{} has no `url`; `maas login {name} URL KEY` again", at()))?;
    let parts: Vec<&str> = match data.get("credentials") {
        Some(serde_json::Value::Array(items)) => items.iter().filter_map(|v| v.as_str()).collect(),
        Some(serde_json::Value::String(s)) => s.split(':').collect(),
        _ => Vec::new(),
    };
    if parts.len() != 3 || parts.iter().any(|p| p.is_empty()) {
        bail!(
            "{} has no API credentials (an anonymous login?); `maas login {name} {url} KEY` with your API key, or set `MAAS_API_KEY`",
            at()
        );
    }
    let cacerts = data
        .get("cacerts")
        .and_then(|c| c.as_str())
        .filter(|c| !c.trim().is_empty())
        .map(str::to_string);
    Ok(Profile {
        name: name.to_string(),
        url: url.to_string(),
        api_key: parts.join(":"),
        cacerts,
        db: db.to_path_buf(),
    })
}

/// Profile `name` from the first database that has it; an error lists what exists.
pub fn find(dbs: &[PathBuf], name: &str) -> Result<Profile> {
    for db in dbs {
        if let Some(profile) = read(db, name)? {
            return Ok(profile);
        }
    }
    let found = all_names(dbs)?;
    if dbs.is_empty() {
        bail!(
            "no maas CLI profile `{name}`: there is no `~/.maascli.db` (nor the snap's `~/snap/maas/current/.maascli.db`)\nhint: run `maas login {name} http://MAAS:5240/MAAS/ API_KEY` first, or set `MAAS_API_KEY`"
        );
    }
    bail!(
        "no maas CLI profile `{name}` in {}\nhint: profiles found: {}",
        dbs.iter()
            .map(|d| format!("`{}`", d.display()))
            .collect::<Vec<_>>()
            .join(", "),
        if found.is_empty() {
            "none (run `maas login`)".to_string()
        } else {
            found.join(", ")
        }
    )
}

/// Every profile name in `dbs`, sorted, without repeats.
pub fn all_names(dbs: &[PathBuf]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for db in dbs {
        out.extend(names(db)?);
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// What to tell an operator who configured no MAAS API key.
pub fn no_key_hint() -> String {
    let dbs = existing_dbs();
    match all_names(&dbs) {
        Ok(names) if !names.is_empty() => format!(
            "hint: the maas CLI has profile(s) {}; choose one with `--profile NAME`, `MAAS_PROFILE=NAME` or site `maas.profile`",
            names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
        ),
        Ok(_) => "hint: or run `maas login NAME URL KEY` and choose the profile with `--profile NAME`".to_string(),
        Err(e) => format!("hint: the maas CLI profiles cannot be listed: {e:#}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database made the way the maas CLI makes it.
    fn db_with(rows: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".maascli.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE profiles (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, data BLOB)",
        )
        .unwrap();
        for (name, data) in rows {
            conn.execute(
                "INSERT INTO profiles (name, data) VALUES (?1, ?2)",
                [name, data],
            )
            .unwrap();
        }
        (dir, path)
    }

    #[test]
    fn reads_url_key_and_cacerts() {
        let (_d, db) = db_with(&[(
            "admin",
            r#"{"name": "admin", "url": "http://m:5240/MAAS/api/2.0/", "credentials": ["ck", "tk", "ts"], "cacerts": "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n", "description": {}}"#,
        )]);
        let p = read(&db, "admin").unwrap().unwrap();
        assert_eq!(p.url, "http://m:5240/MAAS/api/2.0/");
        assert_eq!(p.api_key, "ck:tk:ts");
        assert!(p.cacerts.unwrap().starts_with("-----BEGIN"));
        assert!(!format!("{:?}", read(&db, "admin").unwrap()).contains("ck:tk:ts"));
        assert_eq!(read(&db, "other").unwrap(), None);
        assert_eq!(names(&db).unwrap(), vec!["admin"]);
    }

    #[test]
    fn anonymous_profile_is_an_error() {
        let (_d, db) = db_with(&[(
            "anon",
            r#"{"name": "anon", "url": "http://m/MAAS/api/2.0/", "credentials": null, "cacerts": null}"#,
        )]);
        let e = read(&db, "anon").unwrap_err().to_string();
        assert!(e.contains("has no API credentials"), "{e}");
    }

    #[test]
    fn unknown_profile_lists_the_others() {
        let (_d, db) = db_with(&[
            ("b", r#"{"url": "u", "credentials": ["1", "2", "3"]}"#),
            ("a", r#"{"url": "u", "credentials": ["1", "2", "3"]}"#),
        ]);
        let e = find(&[db], "c").unwrap_err().to_string();
        assert!(e.contains("profiles found: a, b"), "{e}");
    }

    #[test]
    fn corrupt_file_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join(".maascli.db");
        std::fs::write(&db, vec![7u8; 4096]).unwrap();
        let e = format!("{:#}", names(&db).unwrap_err());
        assert!(e.contains("not a readable SQLite database"), "{e}");
    }
}
