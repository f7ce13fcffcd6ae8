//! The backup format on disk: a backup dir holds its capture files and `manifest.json`
//! (`{"files": {"NAME": {"size": N, "sha256": "…"}}}`), the required captures
//! ([`captures`]) and, once sealed, `seal.json` ([`seal`]); the pointer file naming the last
//! one ([`pointer`]). Plain files and no Rhai: the
//! `files` primitives write backups through the effects gate, and the gate's guards, the run
//! context and a re-run read them back from here.

pub mod captures;
pub mod pointer;
pub mod seal;

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::Path;

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The manifest file each backup dir keeps (size + sha256 per file).
pub const MANIFEST: &str = "manifest.json";

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Manifest {
    pub files: BTreeMap<String, FileEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileEntry {
    pub size: u64,
    pub sha256: String,
}

pub fn read_manifest(dir: &Path) -> anyhow::Result<Manifest> {
    let path = dir.join(MANIFEST);
    let text =
        fs::read_to_string(&path).with_context(|| format!("cannot read `{}`", path.display()))?;
    serde_json::from_str(&text)
        .with_context(|| format!("`{}` is not a valid manifest", path.display()))
}

/// Write `bytes` to `path` atomically: temp file in the same dir, fsync, rename, fsync dir.
/// A failed write removes its temp file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let written = write_then_rename(&tmp, path, bytes);
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
        return written;
    }
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

fn write_then_rename(tmp: &Path, path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let mut f =
        fs::File::create(tmp).with_context(|| format!("cannot create `{}`", tmp.display()))?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .with_context(|| format!("cannot write `{}`", tmp.display()))?;
    fs::rename(tmp, path)
        .with_context(|| format!("cannot rename `{}` to `{}`", tmp.display(), path.display()))
}

/// Verify a backup dir: every file its manifest lists exists with its recorded size and
/// sha256 and is not empty, and every required capture (`captures::REQUIRED`) is listed and
/// parses. The bundle capture may be replaced by its failure record (why Juju could not
/// export) only when `failed_export_ok`.
pub fn verify_backup(dir: &Path, failed_export_ok: bool) -> anyhow::Result<()> {
    let manifest = read_manifest(dir)?;
    for (name, want) in &manifest.files {
        let path = dir.join(name);
        let bytes = fs::read(&path).with_context(|| {
            format!("backup file `{}` is missing or unreadable", path.display())
        })?;
        if bytes.is_empty() {
            bail!("backup file `{}` is empty", path.display());
        }
        let got = FileEntry {
            size: bytes.len() as u64,
            sha256: hex::encode(Sha256::digest(&bytes)),
        };
        if &got != want {
            bail!(
                "backup file `{}` does not match the manifest (size {} vs {}, or sha256 differs)",
                path.display(),
                got.size,
                want.size
            );
        }
    }
    /// A capture the manifest lists: read it and check its content.
    fn check_listed(path: &Path, capture: &captures::Capture) -> anyhow::Result<()> {
        let bytes = fs::read(path)
            .with_context(|| format!("cannot read backup file `{}`", path.display()))?;
        captures::check_content(path, capture.format, &bytes)
    }
    for capture in captures::REQUIRED {
        let path = dir.join(capture.file);
        if manifest.files.contains_key(capture.file) {
            check_listed(&path, capture)?;
            continue;
        }
        match capture
            .failure_record()
            .filter(|r| manifest.files.contains_key(r))
        {
            Some(record) if failed_export_ok => {
                for fallback in captures::BUNDLE_FALLBACK {
                    let path = dir.join(fallback.file);
                    if !manifest.files.contains_key(fallback.file) {
                        bail!(
                            "backup `{}` holds `{record}` in place of `{}` but not `{}`: without the bundle it needs {}",
                            dir.display(),
                            capture.file,
                            fallback.file,
                            captures::BUNDLE_FALLBACK
                                .iter()
                                .map(|c| format!("`{}`", c.file))
                                .collect::<Vec<_>>()
                                .join(" and ")
                        );
                    }
                    check_listed(&path, fallback)?;
                }
            }
            Some(record) => bail!(
                "backup `{}` holds `{record}` in place of `{}`, but Juju's export of the model did not fail in this run",
                dir.display(),
                capture.file
            ),
            None => bail!(
                "backup `{}` is incomplete: its manifest does not list `{}` (required: {})",
                dir.display(),
                capture.file,
                captures::REQUIRED
                    .iter()
                    .map(|c| c.file)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names in `dir`, sorted.
    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_write_replaces_the_file_whole() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("a.json");
        write_atomic(&path, b"{}").unwrap();
        write_atomic(&path, b"{\"b\": 1}").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "{\"b\": 1}");
        assert_eq!(names(tmp.path()), ["a.json"]);
    }

    #[test]
    fn a_failed_write_removes_its_temp_file() {
        let tmp = tempfile::tempdir().unwrap();
        // The rename fails: the name is a directory that is not empty.
        let path = tmp.path().join("taken");
        fs::create_dir_all(path.join("inside")).unwrap();
        let err = write_atomic(&path, b"text").unwrap_err();
        assert!(format!("{err:#}").contains("cannot rename"), "{err:#}");
        assert_eq!(names(tmp.path()), ["taken"]);
    }
}
