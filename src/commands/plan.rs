//! `runbook plan RUNBOOK -o PLAN`: run the runbook in dry-run, print the plan as `--dry-run`
//! does, and save it (`effects/plan.rs`) with the facts it rests on (`plan_facts.rs`), the
//! site's effective settings and a hash of every source used, for `runbook apply` later.

use std::path::Path;

use anyhow::{Context, Result};

use crate::cli::PlanArgs;
use crate::commands::{plan_facts, Session};
use crate::config::Config;
use crate::effects::plan::{self, Plan, PlannedEffect, SourceHash};
use crate::outcome::exit;
use crate::outcome::Ending;
use crate::resolve::SourceFile;

/// Compile and run `file` in `session`, recording how it ended on the report; the exit code
/// and the rendered error, if any.
pub fn execute(session: &Session, file: &SourceFile) -> (i32, Option<String>) {
    let (ending, error) = match session.compile(&file.display, &file.text) {
        Err(text) => (Ending::Error, Some(text)),
        Ok(ast) => {
            let mut scope = session.constants.clone();
            match session.engine.run_ast_with_scope(&mut scope, &ast) {
                Ok(()) => (session.completed_ending(), None),
                Err(err) => {
                    let (ending, text) = session.ending(&err, &file.display);
                    (ending, Some(text))
                }
            }
        }
    };
    session.ctx.report().set_ending(ending);
    (session.ctx.report().exit_code(), error)
}

/// Every source the session loaded: the runbook, then its modules by name.
pub fn source_hashes(session: &Session, runbook: &SourceFile, name: &str) -> Vec<SourceHash> {
    let mut out = vec![SourceHash {
        name: name.to_string(),
        kind: "runbook".into(),
        display: runbook.display.clone(),
        sha256: plan::sha256_hex(runbook.text.as_bytes()),
    }];
    let sources = session.sources.borrow();
    let mut modules: Vec<(&String, &String)> = sources
        .iter()
        .filter(|(display, _)| **display != runbook.display)
        .collect();
    modules.sort();
    for (display, text) in modules {
        let stem = Path::new(display.as_str())
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        out.push(SourceHash {
            name: stem,
            kind: "module".into(),
            display: display.clone(),
            sha256: plan::sha256_hex(text.as_bytes()),
        });
    }
    out
}

pub fn run(config: &Config, args: &PlanArgs) -> Result<i32> {
    let session = Session::start(config, true, false)?;
    let file = config.resolver().runbook(&args.runbook)?;
    session.announce(&format!("plan `{}` ({})", args.runbook, file.display));
    let (code, error) = execute(&session, &file);
    let report = session.ctx.report();
    report.print_plan_summary();
    report.print_scorecard();
    if let Some(text) = &error {
        eprint!("{}", crate::term::escape(text));
    }
    if code != exit::GO || error.is_some() {
        eprintln!("no plan saved: the dry run did not complete");
        return Ok(code);
    }
    // The facts are what the route and the effects were decided on: the detection's read.
    // A cloud that moved since then makes a plan that `apply` would run on a state nobody
    // reviewed: refused, naming each change.
    let now = plan_facts::read(&session.ctx).context("cannot read the facts the plan rests on")?;
    let facts = plan_facts::detected(&session.ctx).unwrap_or_else(|| now.clone());
    let moved = plan_facts::drift(&facts, &now);
    if !moved.is_empty() {
        eprintln!("error: refused: the cloud changed while the plan was made (detection → now):");
        for m in &moved {
            eprintln!("  - {}", crate::term::escape(m));
        }
        eprintln!(
            "no plan saved: the route and its effects rest on the state at the detection\nhint: find out what is changing the cloud, then run `runbook plan {}` again",
            args.runbook
        );
        return Ok(exit::REFUSED);
    }
    let site = session.ctx.site();
    let created = chrono::Utc::now();
    let expires =
        created + chrono::Duration::seconds(site.plan_max_age.min(i64::MAX as u64) as i64);
    let stamp =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let plan = Plan {
        format: plan::FORMAT.into(),
        version: plan::VERSION,
        id: uuid::Uuid::new_v4().simple().to_string(),
        created_at: stamp(created),
        expires_at: stamp(expires),
        site: site.name.clone(),
        runbook: args.runbook.clone(),
        root: config.root.display().to_string(),
        sets: config.sets.clone(),
        settings: site.flatten().into_iter().collect(),
        sources: source_hashes(&session, &file, &args.runbook),
        facts,
        effects: report.planned().iter().map(PlannedEffect::from).collect(),
    };
    plan.save(&args.output)?;
    report.line(&format!(
        "plan {} saved to {}: {} effect(s), {} fact(s), {} source(s); expires at {}",
        plan.short_id(),
        args.output.display(),
        plan.effects.len(),
        plan.facts.len(),
        plan.sources.len(),
        plan.expires_at
    ));
    report.line(&format!(
        "apply it with: runbook apply {}",
        args.output.display()
    ));
    if config.json {
        let journal = session.ctx.gate().journal().path();
        let extra = ("plan_id", serde_json::Value::String(plan.id.clone()));
        let doc = report.document(&args.runbook, &site.name, journal, Some(extra));
        println!("{}", serde_json::to_string_pretty(&doc)?);
    }
    Ok(code)
}
