//! The `flow` family: the transcript (`step`, `ok`, `warn`, `fail`), acceptance (`check`),
//! routing (`set_route`, `halt`), waiting (`wait_until`, `sleep`), `confirm`, `now`, `to_json`.
//!
//! Escalation needs no primitive of its own: `fail(msg)` records the failure (verdict
//! NO-GO, exit 1) and `halt(reason)` stops the run for a human (exit 3).

use std::time::{Duration, Instant};

use rhai::plugin::*;
use rhai::{Dynamic, FnPtr, NativeCallContext};

use crate::context::RunContext;
use crate::effects::{Confirmation, EffectClass};
use crate::primitives::support::RhaiResult;
use crate::stop::Stop;

/// Seconds from an INT or FLOAT argument.
fn seconds(what: &str, v: &Dynamic) -> RhaiResult<f64> {
    let s = if let Ok(i) = v.as_int() {
        i as f64
    } else if let Ok(f) = v.as_float() {
        f
    } else {
        return Err(format!(
            "`{what}` must be a number of seconds, not a `{}`",
            v.type_name()
        )
        .into());
    };
    if !s.is_finite() || s < 0.0 {
        return Err(format!("`{what}` must be zero or more seconds, not {s}").into());
    }
    Ok(s)
}

/// Sleep in small slices so Ctrl-C stops it promptly.
fn pause(ctx: &RunContext, secs: f64) -> RhaiResult<()> {
    let end = Instant::now() + Duration::from_secs_f64(secs);
    while Instant::now() < end {
        if ctx.interrupted() {
            return Err(Stop::Interrupted("interrupted".into()).into_rhai());
        }
        if let Some(why) = ctx.over_time() {
            return Err(EvalAltResult::ErrorTerminated(why.into(), Position::NONE).into());
        }
        std::thread::sleep((end - Instant::now()).min(Duration::from_millis(50)));
    }
    Ok(())
}

/// The shortest pause between two polls of `wait_until`.
const MIN_POLL_S: f64 = 0.05;

/// The pause before the next poll of a wait that has run `elapsed_s`: a tenth of it, so a
/// change is noticed at most 10% after it happened (teardown.md §3.2 Phase D), but no less
/// than [`MIN_POLL_S`] and no more than the script's `poll_s`. Early polls are quick (a
/// model that goes in 1.5 s is seen at ~1.6 s, not at the next whole second); a long wait
/// settles at `poll_s` and does not hammer MAAS or Juju.
pub fn next_pause(elapsed_s: f64, poll_s: f64) -> f64 {
    (elapsed_s / 10.0).max(MIN_POLL_S).min(poll_s)
}

fn show(v: &Dynamic) -> String {
    if v.is_string() {
        v.to_string()
    } else {
        serde_json::to_string(v).unwrap_or_else(|_| v.to_string())
    }
}

/// Each primitive's effect class, declared once: `runbook doc` shows it and the gate is
/// given it (see `primitives::effect_class`).
pub const EFFECTS: &[(&str, EffectClass)] = &[
    ("step", EffectClass::Read),
    ("note", EffectClass::Read),
    ("ok", EffectClass::Read),
    ("warn", EffectClass::Read),
    ("fail", EffectClass::Read),
    ("check", EffectClass::Read),
    ("set_route", EffectClass::Read),
    ("halt", EffectClass::Read),
    ("wait_until", EffectClass::Read),
    ("sleep", EffectClass::Read),
    ("confirm", EffectClass::Read),
    ("can_confirm", EffectClass::Read),
    ("failed_so_far", EffectClass::Read),
    ("now", EffectClass::Read),
    ("to_json", EffectClass::Read),
];

#[export_module]
pub mod flow_functions {
    /// Start a new step of the transcript (a heading in the report).
    ///
    /// ```rhai
    /// step("Phase A — pre-destroy capture");
    /// ```
    #[rhai_fn(return_raw, volatile)]
    pub fn step(ctx: NativeCallContext, title: &str) -> RhaiResult<()> {
        RunContext::from_call(&ctx)?.report().step(title);
        Ok(())
    }

    /// Write one line of the transcript (stderr, in order with the steps and checks) and
    /// record it in the current step. Unlike `print`, it never goes to stdout, so the
    /// transcript stays in one stream.
    ///
    /// ```rhai
    /// note("will release 5 machine(s) owned by `admin`");
    /// ```
    #[rhai_fn(return_raw, volatile)]
    pub fn note(ctx: NativeCallContext, text: &str) -> RhaiResult<()> {
        RunContext::from_call(&ctx)?.report().note(text);
        Ok(())
    }

    /// Record a success message in the current step.
    ///
    /// ```rhai
    /// ok("no `openstack` model on the controller");
    /// ```
    #[rhai_fn(return_raw, volatile)]
    pub fn ok(ctx: NativeCallContext, msg: &str) -> RhaiResult<()> {
        RunContext::from_call(&ctx)?.report().message("ok", msg);
        Ok(())
    }

    /// Record a warning in the current step (does not change the verdict).
    ///
    /// ```rhai
    /// warn("OSD qcow2 files not visible to the current user");
    /// ```
    #[rhai_fn(return_raw, volatile)]
    pub fn warn(ctx: NativeCallContext, msg: &str) -> RhaiResult<()> {
        RunContext::from_call(&ctx)?.report().message("warn", msg);
        Ok(())
    }

    /// Record a failure: the run continues, but its verdict is NO-GO (exit 1). Use it to
    /// escalate; use `halt` to stop at once.
    ///
    /// ```rhai
    /// fail("model `openstack` still listed after remediation; escalate");
    /// ```
    #[rhai_fn(return_raw, volatile)]
    pub fn fail(ctx: NativeCallContext, msg: &str) -> RhaiResult<()> {
        RunContext::from_call(&ctx)?.report().message("fail", msg);
        Ok(())
    }

    /// One acceptance criterion: a row of the scorecard. Returns `cond`. The verdict is GO
    /// only if every check passed.
    ///
    /// ```rhai
    /// check("targets Ready", ready == 5, `${ready}/5 Ready`);
    /// ```
    #[rhai_fn(return_raw, volatile)]
    pub fn check(
        ctx: NativeCallContext,
        name: &str,
        cond: bool,
        detail: Dynamic,
    ) -> RhaiResult<bool> {
        let detail = if detail.is_unit() {
            String::new()
        } else {
            show(&detail)
        };
        RunContext::from_call(&ctx)?
            .report()
            .check(name, cond, &detail);
        Ok(cond)
    }

    /// Set the route this run took (the `route` field of `--json`), e.g. `DIRTY`.
    ///
    /// ```rhai
    /// set_route("DIRTY");
    /// ```
    #[rhai_fn(return_raw, volatile)]
    pub fn set_route(ctx: NativeCallContext, name: &str) -> RhaiResult<()> {
        RunContext::from_call(&ctx)?.report().set_route(name);
        Ok(())
    }

    /// Stop the run now (exit 3): routing found a state a human must investigate. `reason`
    /// says what to look at. No further effect runs; scripts cannot catch it.
    ///
    /// ```rhai
    /// halt("ANOMALY: no model but machines still Deployed; check MAAS owners");
    /// ```
    #[rhai_fn(return_raw, volatile)]
    pub fn halt(ctx: NativeCallContext, reason: &str) -> RhaiResult<()> {
        RunContext::from_call(&ctx)?;
        Err(Stop::Halted(reason.to_string()).into_rhai())
    }

    /// Call `f` until it returns `true`; any other value means "not yet" and is shown as
    /// progress (return a string or map describing what is still there). Polls often at
    /// first and less as the wait goes on: the pause is a tenth of the time waited so far
    /// (at least 0.05 s, at most `poll_s`), so noticing late adds at most 10% to a wait.
    /// Errors after `timeout_s`, naming what it waited for and the last value seen.
    /// Returns `true`.
    ///
    /// ```rhai
    /// wait_until("model `openstack` gone", site.timeouts.model_gone, 5, || {
    ///     let m = juju_model("openstack");
    ///     if m == () { true } else { `life: ${m.life}` }
    /// });
    /// ```
    #[rhai_fn(return_raw, volatile)]
    pub fn wait_until(
        ctx: NativeCallContext,
        what: &str,
        timeout_s: Dynamic,
        poll_s: Dynamic,
        f: FnPtr,
    ) -> RhaiResult<bool> {
        let run = RunContext::from_call(&ctx)?;
        let timeout = seconds("timeout_s", &timeout_s)?;
        let poll = seconds("poll_s", &poll_s)?.max(0.01);
        let started = Instant::now();
        let progress = crate::report::Progress::new(what);
        loop {
            let value: Dynamic = f.call_within_context(&ctx, ())?;
            if value.as_bool() == Ok(true) {
                progress.done(started.elapsed(), true);
                return Ok(true);
            }
            let last = show(&value);
            let elapsed = started.elapsed();
            progress.tick(elapsed, &last);
            if elapsed.as_secs_f64() >= timeout {
                progress.done(elapsed, false);
                return Err(format!(
                    "timed out after {timeout}s waiting for {what}; last value seen: {last}"
                )
                .into());
            }
            let left = timeout - elapsed.as_secs_f64();
            let next = super::next_pause(elapsed.as_secs_f64(), poll);
            pause(&run, next.min(left.max(0.0)))?;
        }
    }

    /// Sleep `s` seconds (INT or FLOAT); Ctrl-C interrupts it.
    ///
    /// ```rhai
    /// sleep(0.5);
    /// ```
    #[rhai_fn(return_raw, volatile)]
    pub fn sleep(ctx: NativeCallContext, s: Dynamic) -> RhaiResult<()> {
        let run = RunContext::from_call(&ctx)?;
        pause(&run, seconds("s", &s)?)
    }

    /// Sleep `s` whole seconds; a signal or the run's time limit stops it. (Rhai's core
    /// has its own `sleep(INT)` and `sleep(FLOAT)`, which an exact type match would pick:
    /// these shadow them, as a later global module wins.)
    ///
    /// ```rhai
    /// sleep(2);
    /// ```
    #[rhai_fn(name = "sleep", return_raw, volatile)]
    pub fn sleep_int(ctx: NativeCallContext, s: rhai::INT) -> RhaiResult<()> {
        sleep(ctx, Dynamic::from(s))
    }

    /// Sleep `s` seconds (FLOAT); a signal or the run's time limit stops it.
    ///
    /// ```rhai
    /// sleep(0.5);
    /// ```
    #[rhai_fn(name = "sleep", return_raw, volatile)]
    pub fn sleep_float(ctx: NativeCallContext, s: rhai::FLOAT) -> RhaiResult<()> {
        sleep(ctx, Dynamic::from(s))
    }

    /// Ask the operator to type `expected` to go on. `--yes` approves; without a terminal
    /// and without `--yes` the run stops (exit 4), as does a wrong answer. In dry-run it
    /// returns `true` without asking. Returns `true` when approved.
    ///
    /// ```rhai
    /// confirm("type the site name to continue", site.name);
    /// ```
    #[rhai_fn(return_raw, volatile)]
    pub fn confirm(ctx: NativeCallContext, question: &str, expected: &str) -> RhaiResult<bool> {
        let run = RunContext::from_call(&ctx)?;
        if run.gate().is_dry_run() {
            run.note(&format!("dry-run: would ask `{question}`"));
            return Ok(true);
        }
        let c = Confirmation {
            summary: String::new(),
            question: question.to_string(),
            expected: expected.to_string(),
        };
        run.gate().confirm(&c, None).map_err(|e| e.into_rhai())?;
        Ok(true)
    }

    /// Whether a confirmation could be approved in this run: `--yes` was given, stdin is a
    /// terminal, or it is a dry run. Lets a runbook refuse before its first change when a
    /// later confirmation is bound to be refused.
    ///
    /// ```rhai
    /// if !can_confirm() { confirm("type the model name to destroy it", "openstack"); }
    /// ```
    #[rhai_fn(volatile)]
    pub fn can_confirm(ctx: NativeCallContext) -> bool {
        RunContext::from_call(&ctx).is_ok_and(|run| run.gate().can_confirm())
    }

    /// Whether `fail()` was called earlier in this run (an escalation): its verdict is NO-GO
    /// whatever the acceptance checks say, so a script must not announce GO.
    ///
    /// ```rhai
    /// if failed_so_far() { warn("an earlier step failed: do not deploy"); }
    /// ```
    #[rhai_fn(volatile, return_raw)]
    pub fn failed_so_far(ctx: NativeCallContext) -> RhaiResult<bool> {
        Ok(RunContext::from_call(&ctx)?.report().has_failed())
    }

    /// The current UTC time, RFC 3339 (`2026-05-27T10:00:00Z`).
    ///
    /// ```rhai
    /// let started = now();
    /// ```
    #[rhai_fn(volatile)]
    pub fn now() -> String {
        chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }

    /// Any value as compact JSON (maps, arrays, strings, numbers, `()` → `null`).
    ///
    /// ```rhai
    /// print(to_json(#{a: [1, 2]}));   // {"a":[1,2]}
    /// ```
    #[rhai_fn(return_raw)]
    pub fn to_json(v: Dynamic) -> RhaiResult<String> {
        serde_json::to_string(&v)
            .map_err(|e| format!("cannot convert a `{}` to JSON: {e}", v.type_name()).into())
    }
}

#[cfg(test)]
mod tests {
    use super::next_pause;

    #[test]
    fn polls_quickly_at_first_then_a_tenth_of_the_wait_up_to_poll_s() {
        assert_eq!(next_pause(0.0, 1.0), 0.05);
        assert_eq!(next_pause(0.3, 1.0), 0.05);
        assert!((next_pause(1.5, 1.0) - 0.15).abs() < 1e-9);
        assert_eq!(next_pause(60.0, 3.0), 3.0);
        // A script's poll_s below the floor still wins.
        assert_eq!(next_pause(0.0, 0.01), 0.01);
    }
}
