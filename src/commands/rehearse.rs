//! `runbook rehearse RUNBOOK --site S`: a dress rehearsal on a replica of the site's own
//! cloud. Records the cloud read-only (`recorder.rs`), serves the recording in-process
//! (`sim --from`), and runs the runbook against the replica with the site's settings —
//! backups, pointer, journal and disks redirected into a scratch directory — so an edited
//! runbook can be tried on the real cloud's shape while nothing on the real cloud changes.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_json::Value;

use crate::cli::{RehearseArgs, RunArgs};
use crate::commands::record::write_atomically;
use crate::commands::recorder::{self, RecordOptions};
use crate::commands::{build_context, interrupt_flag, ContextMode};
use crate::config::{Config, Env};

pub fn run(config: &Config, args: &RehearseArgs) -> Result<i32> {
    let scratch = std::env::temp_dir().join(format!(
        "runbook-rehearsal-{}-{}",
        chrono::Utc::now().format("%Y%m%dT%H%M%SZ"),
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    ));
    std::fs::create_dir_all(&scratch).with_context(|| {
        format!(
            "cannot create the scratch directory `{}`",
            scratch.display()
        )
    })?;
    // 1. Record the real cloud (read-only), with the site's own endpoints.
    let (capture, recorded_at) = {
        let mode = ContextMode::recording(config.json);
        let (ctx, _services) = build_context(config, &mode, interrupt_flag())?;
        let capture = recorder::record(&ctx, RecordOptions::default())
            .with_context(|| format!("cannot record the cloud of site `{}`", ctx.site().name))?;
        let path = scratch.join("cloud.json");
        write_atomically(&path, &capture.doc)?;
        let at = capture.doc.recorded_at.clone();
        crate::report::say(
            config.json,
            &format!(
                "rehearse: recorded site `{}` ({} model(s), {} machine(s)) at {at} -> {}",
                config.site_name,
                capture.models,
                capture.machines,
                path.display()
            ),
        );
        (path, at)
    };
    // 2. Serve the recording in this process.
    let replica = crate::sim::start(crate::sim::SimOptions {
        from: Some(capture),
        speed: args.speed,
        ..Default::default()
    })
    .context("cannot serve the replica")?;
    crate::report::say(
        config.json,
        &format!(
            "rehearse: replica serving {} (time {}x); scratch directory {}",
            replica.maas_url,
            args.speed,
            scratch.display()
        ),
    );
    // 3. Run the runbook against the replica with the site's settings, local files in scratch.
    let rehearsal = Config {
        env: Env {
            maas_url: Some(replica.maas_url.clone()),
            maas_api_key: Some(replica.api_key.clone()),
            juju_bin: Some(replica.juju_bin.display().to_string()),
            maas_profile: None,
        },
        sets: rehearsal_sets(config, &scratch, &replica.maas_url, &replica.juju_bin),
        ..config.clone()
    };
    let code = super::run::run(
        &rehearsal,
        &RunArgs {
            runbook: args.runbook.clone(),
            dry_run: false,
            // Nothing real is at stake: the replica's confirmations are pre-approved.
            yes: true,
        },
    )?;
    drop(replica);
    crate::report::say(
        config.json,
        &format!(
        "rehearsal on a replica of {} recorded at {recorded_at}: nothing on the real cloud changed",
        config.site_name
    ),
    );
    Ok(code)
}

/// The operator's `--set`s, then the replica's endpoints, no site simulator, and every
/// local path the runbook writes (backups, pointer, journal, disk images) in `scratch`.
fn rehearsal_sets(
    config: &Config,
    scratch: &Path,
    maas_url: &str,
    juju_bin: &Path,
) -> Vec<(String, Value)> {
    let path = |p: PathBuf| Value::String(p.display().to_string());
    let mut sets = config.sets.clone();
    sets.extend([
        ("sim".to_string(), Value::Null),
        // The replica's own key (in the environment), never a real profile or key file.
        ("maas.profile".to_string(), Value::Null),
        ("maas.api_key_file".to_string(), Value::Null),
        ("maas.url".to_string(), Value::String(maas_url.to_string())),
        (
            "juju.bin".to_string(),
            Value::String(juju_bin.display().to_string()),
        ),
        ("backup_root".to_string(), path(scratch.join("backups"))),
        ("pointer_file".to_string(), path(scratch.join("pointer"))),
        ("state_dir".to_string(), path(scratch.join("state"))),
        ("disk_root".to_string(), path(scratch.join("images"))),
        // The replica has no disks: never glob the real host's OSD images.
        ("osd_disks".to_string(), Value::String(String::new())),
    ]);
    sets
}
