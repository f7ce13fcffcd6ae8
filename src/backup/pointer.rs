//! The pointer file (site `pointer_file`): one line, the absolute path of the last backup
//! dir under `backup_root`. `set_pointer` replaces the whole file, so before a backup starts
//! (and before the pointer moves) the host looks at what is there: a file that is not such a
//! pointer — a typo'd `pointer_file` naming someone's notes or `~/.bashrc` — is never
//! overwritten. A pointer whose backup dir is gone is still a pointer.

use std::io::Read;
use std::path::{Path, PathBuf};

/// More than a pointer ever holds: a bigger file is not one, whatever it says.
const MAX_POINTER_BYTES: u64 = 4096;

/// What the pointer file holds now, read right before a backup starts or the pointer moves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Existing {
    Missing,
    Directory,
    /// Larger than any pointer (bytes).
    TooLarge(u64),
    /// Its text, and whether the path on its only line (if it has one) is a directory now
    /// (`None`: nothing there).
    Text {
        text: String,
        target_is_dir: Option<bool>,
    },
    Unreadable(String),
}

/// Read what `pointer_file` holds now.
pub fn read_existing(pointer_file: &Path) -> Existing {
    let meta = match std::fs::metadata(pointer_file) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Existing::Missing,
        Err(e) => return Existing::Unreadable(e.to_string()),
    };
    if meta.is_dir() {
        return Existing::Directory;
    }
    if meta.len() > MAX_POINTER_BYTES {
        return Existing::TooLarge(meta.len());
    }
    let mut bytes = Vec::new();
    let read = std::fs::File::open(pointer_file)
        .and_then(|f| f.take(MAX_POINTER_BYTES).read_to_end(&mut bytes));
    if let Err(e) = read {
        return Existing::Unreadable(e.to_string());
    }
    let Ok(text) = String::from_utf8(bytes) else {
        return Existing::Unreadable("it is not text (not UTF-8)".into());
    };
    let line = text.trim();
    let target_is_dir = (!line.is_empty() && !line.contains('\n'))
        .then(|| std::fs::metadata(line).ok().map(|m| m.is_dir()))
        .flatten();
    Existing::Text {
        text,
        target_is_dir,
    }
}

/// Whether the site's `pointer_file` may be (over)written with a backup's path: it is not
/// `backup_root` nor inside it, and what it holds now is nothing, an empty file, or one line
/// naming an absolute path under `backup_root` that is a directory or is gone. `Err` says why
/// not, in a sentence.
pub fn judge(pointer_file: &Path, backup_root: &Path, existing: &Existing) -> Result<(), String> {
    let file = pointer_file.display();
    let root = backup_root.display();
    if pointer_file.starts_with(backup_root) {
        return Err(format!(
            "the site's `pointer_file` (`{file}`) is {} `backup_root` (`{root}`): the pointer must live outside the backups it points at",
            if pointer_file == backup_root { "the same path as" } else { "inside" }
        ));
    }
    let not_a_pointer = |why: String| {
        Err(format!(
            "the site's `pointer_file` (`{file}`) exists and is not a pointer file ({why}); setting the pointer would overwrite it"
        ))
    };
    let (text, target_is_dir) = match existing {
        Existing::Missing => return Ok(()),
        Existing::Directory => return not_a_pointer("it is a directory".into()),
        Existing::TooLarge(n) => return not_a_pointer(format!("it holds {n} bytes")),
        Existing::Unreadable(e) => return not_a_pointer(format!("it cannot be read: {e}")),
        Existing::Text {
            text,
            target_is_dir,
        } => (text, target_is_dir),
    };
    let line = text.trim();
    if line.is_empty() {
        return Ok(());
    }
    let lines = line.lines().count();
    if lines > 1 {
        return not_a_pointer(format!("it has {lines} lines, a pointer has one"));
    }
    let shown = line.escape_debug().to_string();
    let target = PathBuf::from(line);
    if !target.is_absolute() {
        return not_a_pointer(format!("it holds `{shown}`, which is not an absolute path"));
    }
    if target == backup_root || !target.starts_with(backup_root) {
        return not_a_pointer(format!(
            "it names `{shown}`, which is not a backup dir under `backup_root` (`{root}`)"
        ));
    }
    if *target_is_dir == Some(false) {
        return not_a_pointer(format!("it names `{shown}`, which is not a directory"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judged(text: Option<&str>, root: &Path, file: &Path) -> Result<(), String> {
        if let Some(text) = text {
            std::fs::write(file, text).unwrap();
        }
        judge(file, root, &read_existing(file))
    }

    #[test]
    fn only_a_pointer_or_nothing_may_be_overwritten() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("backups");
        std::fs::create_dir(&root).unwrap();
        let backup = root.join("pre-1");
        std::fs::create_dir(&backup).unwrap();
        let file = tmp.path().join("ptr");
        assert!(judged(None, &root, &file).is_ok(), "no file yet");
        assert!(judged(Some(""), &root, &file).is_ok(), "empty");
        let pointing = format!("{}\n", backup.display());
        assert!(judged(Some(&pointing), &root, &file).is_ok());
        let gone = format!("{}\n", root.join("pre-0").display());
        assert!(
            judged(Some(&gone), &root, &file).is_ok(),
            "its backup is gone"
        );

        let notes = "export PATH=/usr/bin\nalias ll='ls -l'\n";
        let e = judged(Some(notes), &root, &file).unwrap_err();
        assert!(e.contains("2 lines"), "{e}");
        let e = judged(Some("backups/pre-1\n"), &root, &file).unwrap_err();
        assert!(e.contains("not an absolute path"), "{e}");
        let e = judged(Some("/etc\n"), &root, &file).unwrap_err();
        assert!(e.contains("not a backup dir under `backup_root`"), "{e}");
        let e = judged(Some(&format!("{}\n", root.display())), &root, &file).unwrap_err();
        assert!(e.contains("not a backup dir"), "{e}");
        std::fs::write(root.join("file"), "x").unwrap();
        let e = judged(
            Some(&format!("{}\n", root.join("file").display())),
            &root,
            &file,
        )
        .unwrap_err();
        assert!(e.contains("not a directory"), "{e}");
        let e = judge(&root, tmp.path(), &read_existing(&root)).unwrap_err();
        assert!(e.contains("inside"), "{e}");
        let e = judge(&tmp.path().join("d"), &root, &Existing::Directory).unwrap_err();
        assert!(e.contains("is a directory"), "{e}");
    }

    #[test]
    fn the_pointer_may_not_be_the_backup_root_or_inside_it() {
        let root = Path::new("/home/u/backups");
        let e = judge(root, root, &Existing::Missing).unwrap_err();
        assert!(e.contains("the same path as"), "{e}");
        let e = judge(&root.join("last"), root, &Existing::Missing).unwrap_err();
        assert!(e.contains("inside"), "{e}");
    }
}
