//! `runbook apply PLAN`: apply a plan saved by `runbook plan`, only if nothing it rests on
//! changed. In order: the file must be whole, unedited (hash), of a format this binary
//! reads and for the site asked for (else exit 2); not expired and not applied before;
//! its settings, sources and facts must be as planned (else exit 4, naming each drift).
//! One typed confirmation (the plan's short id, or `--yes`) covers the whole plan; the id
//! is journaled before anything runs (a plan is single-use); then the same runbook runs
//! with the gate admitting only the planned effects, in order.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

use crate::cli::{ApplyArgs, GlobalArgs};
use crate::commands::{site_lock, Session};
use crate::config::{Config, Env};
use crate::effects::journal::Outcome;
use crate::effects::plan::{Allowlist, Plan};
use crate::effects::{Confirmation, Effect, EffectClass};
use crate::outcome::Ending;
use crate::resolve::Kind;

/// Where applied plan ids are kept (one JSON line each), under the site's state dir.
const APPLIED: &str = "applied-plans.jsonl";

pub fn run(config: &Config, global: &GlobalArgs, args: &ApplyArgs) -> Result<i32> {
    if let Some(first) = global.set.first() {
        bail!(
            "`--set {first}` does not apply to `runbook apply`: the plan carries the settings it was made with; to change a setting, make a new plan with `runbook plan RUNBOOK --site SITE --set {first} -o PLAN`"
        );
    }
    let plan = Plan::load(&args.plan)?;
    if let Some(site) = &global.site {
        if *site != plan.site {
            bail!(
                "the plan `{}` is for site `{}`, not `{site}`; apply it without `--site`, or make a plan for `{site}`",
                args.plan.display(),
                plan.site
            );
        }
    }
    let config = Config {
        root: PathBuf::from(&plan.root),
        site_name: plan.site.clone(),
        site_is_default: false,
        sets: plan.sets.clone(),
        json: config.json,
        env: Env::from_process(),
    };
    let session = Session::start(&config, false, true)?;
    // Held to the end: the single-use check below and the run itself are one at a time.
    let _lock = match site_lock::take(
        &session.ctx,
        &format!("runbook apply {}", args.plan.display()),
    )? {
        Ok(lock) => lock,
        Err(text) => return site_lock::refuse(&session, config.json, &plan.runbook, &text),
    };
    session.announce(&format!(
        "apply plan {} (`{}` made {})",
        plan.short_id(),
        plan.runbook,
        plan.created_at
    ));
    let refusal = |reasons: Vec<String>, what: &str| -> Result<i32> {
        let effect = Effect {
            name: "apply".into(),
            class: EffectClass::Read,
            target: format!("plan {}", plan.id),
            args: json!({ "plan": args.plan.display().to_string() }),
            command: format!("runbook apply {}", args.plan.display()),
            confirm: None,
        };
        let text = reasons.join("; ");
        session
            .ctx
            .gate()
            .journal()
            .record(&effect, Outcome::Refused, Some(&text), 0);
        eprintln!("error: refused: plan {} {what}:", plan.short_id());
        for r in &reasons {
            eprintln!("  - {r}");
        }
        eprintln!(
            "nothing was changed\nhint: review the change, then make a new plan with `runbook plan {} --site {} -o PLAN`",
            plan.runbook, plan.site
        );
        Ok(Ending::Refused.exit_code(None))
    };
    if let Some(reason) = expired(&plan)? {
        return refusal(vec![reason], "has expired");
    }
    let state_dir = session
        .ctx
        .site()
        .state_dir
        .clone()
        .unwrap_or_else(crate::effects::journal::default_state_dir);
    let applied = state_dir.join(APPLIED);
    if let Some(when) = applied_before(&applied, &plan.id)? {
        return refusal(
            vec![format!(
                "it was applied before ({when}); a plan is single-use"
            )],
            "was already applied",
        );
    }
    let mut drift = settings_drift(&plan, &session);
    drift.extend(source_drift(&plan, &config)?);
    let facts = crate::commands::plan_facts::read(&session.ctx)
        .context("cannot read the facts the plan rests on")?;
    drift.extend(crate::commands::plan_facts::drift(&plan.facts, &facts));
    if !drift.is_empty() {
        return refusal(drift, "no longer matches what it was made from");
    }
    session.ctx.report().line(&format!(
        "  facts, settings and {} source(s) are as planned",
        plan.sources.len()
    ));
    if let Err(reason) = confirm(&plan, args.yes) {
        return refusal(vec![reason], "was not confirmed");
    }
    record_applied(&applied, &plan, session.ctx.run_id())?;
    session.ctx.gate().set_plan(Allowlist::new(&plan));
    let file = config.resolver().runbook(&plan.runbook)?;
    let (_, error) = super::plan::execute(&session, &file);
    let report = session.ctx.report();
    if report.ending() == Ending::Error {
        session.score_after_failure();
    }
    report.print_scorecard();
    let not_run = session.ctx.gate().plan_not_run();
    if !not_run.is_empty() && error.is_none() {
        report.line(&format!(
            "{} planned effect(s) were not needed when applied:",
            not_run.len()
        ));
        for e in &not_run {
            report.line(&format!("  - {}", e.command));
        }
    }
    if let Some(text) = &error {
        eprint!("{}", crate::term::escape(text));
    }
    // A plan is single-use: applying it again is refused, so say what does continue.
    report.print_ending_with(
        &session.changes(),
        &format!(
            "this plan is spent (single-use); run `runbook run {r} --site {s}`, which detects where the teardown stands and finishes it, or make a new plan with `runbook plan {r} --site {s} -o PLAN` and apply that",
            r = plan.runbook,
            s = plan.site
        ),
    );
    if config.json {
        let journal = session.ctx.gate().journal().path();
        let extra = error
            .as_ref()
            .map(|e| ("error", Value::String(e.trim_end().to_string())));
        let doc = report.document(&plan.runbook, &plan.site, journal, extra);
        println!("{}", serde_json::to_string_pretty(&doc)?);
    }
    Ok(report.exit_code())
}

fn expired(plan: &Plan) -> Result<Option<String>> {
    let expires = chrono::DateTime::parse_from_rfc3339(&plan.expires_at).with_context(|| {
        format!(
            "the plan's `expires_at` `{}` is not a time",
            plan.expires_at
        )
    })?;
    Ok((chrono::Utc::now() > expires).then(|| {
        format!(
            "it expired at {} (made {}; site `plan_max_age`)",
            plan.expires_at, plan.created_at
        )
    }))
}

/// When `id` was applied, if it was.
fn applied_before(path: &std::path::Path, id: &str) -> Result<Option<String>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot read `{}`", path.display())),
    };
    Ok(text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["id"] == id)
        .map(|v| {
            format!(
                "at {} by run {}, recorded in {}",
                v["at"].as_str().unwrap_or("?"),
                v["run"].as_str().unwrap_or("?"),
                path.display()
            )
        }))
}

/// Journal the plan id before anything runs (synced), so it can never run twice.
fn record_applied(path: &std::path::Path, plan: &Plan, run: &str) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create `{}`", dir.display()))?;
    }
    let line = json!({
        "id": plan.id, "at": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "run": run, "site": plan.site, "runbook": plan.runbook,
    });
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open `{}`", path.display()))?;
    writeln!(file, "{line}")
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot record the plan id in `{}`", path.display()))
}

/// Settings that differ from the plan's. A site with a `sim` section starts its own
/// simulator each run, so its endpoints (`maas.url`, `juju.bin`) differ by design.
fn settings_drift(plan: &Plan, session: &Session) -> Vec<String> {
    let site = session.ctx.site();
    let per_run = |k: &str| site.sim.is_some() && matches!(k, "maas.url" | "juju.bin");
    let now: std::collections::BTreeMap<String, Value> = site.flatten().into_iter().collect();
    let mut keys: Vec<&String> = plan.settings.keys().chain(now.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| !per_run(k))
        .filter_map(|k| {
            let old = plan.settings.get(k).unwrap_or(&Value::Null);
            let new = now.get(k).unwrap_or(&Value::Null);
            (old != new).then(|| format!("setting `{k}`: {old} → {new}"))
        })
        .collect()
}

/// Sources that would resolve differently now (another file, or other contents).
fn source_drift(plan: &Plan, config: &Config) -> Result<Vec<String>> {
    let resolver = config.resolver();
    let mut out = Vec::new();
    for s in &plan.sources {
        let now = if s.kind == "runbook" {
            resolver.runbook(&s.name).ok()
        } else {
            resolver.find(Kind::Module, &s.name)?
        };
        match now {
            None => out.push(format!("source `{}` is gone", s.display)),
            Some(f) if f.display != s.display => out.push(format!(
                "source of `{}` is now `{}` (was `{}`)",
                s.name, f.display, s.display
            )),
            Some(f) => {
                let sha = crate::effects::plan::sha256_hex(f.text.as_bytes());
                if sha != s.sha256 {
                    out.push(format!(
                        "source `{}` changed: sha256 {} → {}",
                        s.display,
                        &s.sha256[..12],
                        &sha[..12]
                    ));
                }
            }
        }
    }
    Ok(out)
}

/// One confirmation for the whole plan: its short id typed, or `--yes`.
fn confirm(plan: &Plan, yes: bool) -> std::result::Result<(), String> {
    let mut summary = format!(
        "plan {} will make {} change(s) on site `{}`:",
        plan.short_id(),
        plan.effects.len(),
        plan.site
    );
    for (i, e) in plan.effects.iter().enumerate() {
        summary.push_str(&format!(
            "\n  {}. [{}] {}",
            i + 1,
            e.class.word(),
            e.command
        ));
    }
    eprintln!("{summary}");
    if yes {
        eprintln!("approved by `--yes`");
        return Ok(());
    }
    let c = Confirmation {
        summary: String::new(),
        question: format!("type the plan id `{}` to apply it", plan.short_id()),
        expected: plan.short_id().to_string(),
    };
    if !std::io::stdin().is_terminal() {
        return Err(format!(
            "confirmation needed ({}) but stdin is not a terminal; rerun with `--yes` to pre-approve",
            c.question
        ));
    }
    let stdin = std::io::stdin();
    crate::effects::confirm_with(&mut stdin.lock(), &mut std::io::stderr(), &c)
}
