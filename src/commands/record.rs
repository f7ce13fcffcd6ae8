//! `runbook sim record --site S -o CLOUD.json`: capture the site's cloud read-only (see
//! `recorder.rs`) and write it atomically.

use anyhow::{Context, Result};

use crate::cli::RecordArgs;
use crate::commands::recorder::{self, RecordOptions};
use crate::commands::{build_context, interrupt_flag, ContextMode};
use crate::config::Config;

pub fn run(config: &Config, args: &RecordArgs) -> Result<i32> {
    let mode = ContextMode::recording(config.json);
    let (ctx, _services) = build_context(config, &mode, interrupt_flag())?;
    let started = std::time::Instant::now();
    let capture = recorder::record(&ctx, RecordOptions { all: args.all })
        .with_context(|| format!("cannot record the cloud of site `{}`", ctx.site().name))?;
    write_atomically(&args.output, &capture.doc)?;
    eprintln!(
        "recorded site `{}`: controller `{}`, {} model(s) in detail, {} machine(s){}, in {:.2}s -> {}",
        ctx.site().name,
        capture.controller,
        capture.models,
        capture.machines,
        if args.all { " (--all)" } else { "" },
        started.elapsed().as_secs_f64(),
        args.output.display()
    );
    Ok(crate::outcome::Ending::Completed.exit_code(None))
}

/// Write `doc` next to `path` and rename it into place, so a reader never sees half a file;
/// a failed write removes its temp file.
pub fn write_atomically(path: &std::path::Path, doc: &impl serde::Serialize) -> Result<()> {
    // Compact: a 1,000-machine capture is ~10 MB; `jq .` shows it indented.
    let tmp = path.with_extension("json.partial");
    let written = write_then_rename(&tmp, path, doc);
    if written.is_err() {
        // A failed write leaves no half file behind.
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

fn write_then_rename(
    tmp: &std::path::Path,
    path: &std::path::Path,
    doc: &impl serde::Serialize,
) -> Result<()> {
    let file =
        std::fs::File::create(tmp).with_context(|| format!("cannot write `{}`", tmp.display()))?;
    let mut out = std::io::BufWriter::new(file);
    serde_json::to_writer(&mut out, doc)
        .map_err(anyhow::Error::from)
        .and_then(|()| std::io::Write::flush(&mut out).map_err(anyhow::Error::from))
        .with_context(|| format!("cannot write `{}`", tmp.display()))?;
    drop(out);
    std::fs::rename(tmp, path)
        .with_context(|| format!("cannot move `{}` to `{}`", tmp.display(), path.display()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_failed_write_removes_its_temp_file() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("capture.json");
        std::fs::create_dir_all(path.join("inside")).unwrap();
        assert!(super::write_atomically(&path, &serde_json::json!({"a": 1})).is_err());
        let names: Vec<_> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        assert_eq!(names, ["capture.json"]);
    }
}
