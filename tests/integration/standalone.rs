//! The product stands alone: a user's clone has only this repository, so no file in it may
//! send a reader to documents that live elsewhere. The procedure's sections are cited from
//! `docs/teardown.md`, the formats from `docs/formats.md`.

use std::path::{Path, PathBuf};

/// What a clone cannot follow. Built from pieces so this file does not match itself.
fn forbidden() -> Vec<String> {
    vec![
        ["..", "/shared"].concat(),
        ["000_a6de088b", "13ef23ff"].concat(),
        ["FORMATS", ".md"].concat(),
        ["DESIGN", ".md"].concat(),
        ["seed", " §"].concat(),
    ]
}

/// Every file of the repository (what a clone has), without build output and git's own data.
fn repository_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).expect("read a repository folder");
    for entry in entries {
        let path = entry.expect("a folder entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_dir() {
            if !matches!(name, "target" | ".git") {
                repository_files(&path, out);
            }
        } else {
            out.push(path);
        }
    }
}

#[test]
fn no_file_points_outside_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    repository_files(root, &mut files);
    assert!(
        files.iter().any(|f| f.ends_with("docs/teardown.md")),
        "the procedure document is missing"
    );
    let mut found = Vec::new();
    for file in &files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue; // not text
        };
        for (n, line) in text.lines().enumerate() {
            for pattern in forbidden() {
                if line.contains(&pattern) {
                    found.push(format!(
                        "{}:{}: `{pattern}`",
                        file.strip_prefix(root).unwrap_or(file).display(),
                        n + 1
                    ));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "cites documents a clone does not have:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_documents_cited_exist() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let teardown =
        std::fs::read_to_string(root.join("docs/teardown.md")).expect("docs/teardown.md");
    for section in ["§1", "§2", "§3.1", "§3.2", "§3.3", "§4", "§5"] {
        assert!(
            teardown.contains(&format!("## {section} ")),
            "docs/teardown.md lacks {section}"
        );
    }
    assert!(root.join("docs/formats.md").is_file());
}
