//! The gate of one run: guards → dry-run plan → confirmation → run → journal, for one
//! effect ([`Gate::apply_on`]) or a batch ([`Gate::admit_each`]); in `apply` mode only the
//! plan's effects, in order. A change that would come before a confirmation this run cannot
//! give is refused ([`Gate::expect_confirmation`]). The confirmation itself is `confirm.rs`;
//! what is allowed is `guards.rs`. A refusal or a declined confirmation reaches the run's
//! ending as the [`Stop`] its error carries, not as state kept here.

use std::cell::{Cell, RefCell};
use std::path::Path;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::effects::confirm::{
    batch_confirmation, confirm_with, confirmation_for, InterruptibleStdin,
};
use crate::effects::effect::{
    Admission, Applied, Confirmation, Effect, EffectClass, GateError, PlanEntry, Refusal,
    Transcript,
};
use crate::effects::frozen::Frozen;
use crate::effects::guards::{checked_again_when_run, Facts, Scope};
use crate::effects::journal::{Entry, Journal, Outcome};
use crate::effects::plan::Allowlist;
use crate::stop::Stop;

/// The gate of one run. Built by `context.rs`; reached by primitives via `RunContext::gate`.
pub struct Gate {
    dry_run: Cell<bool>,
    yes: bool,
    terminal: bool,
    journal: Journal,
    report: Rc<dyn Transcript>,
    /// The Ctrl-C flag: a confirmation being typed when it is set is declined.
    interrupt: Option<Arc<AtomicBool>>,
    /// What the site allows (targets, models, paths).
    scope: Scope,
    /// What the detection froze; `None` until it ran.
    frozen: RefCell<Option<Frozen>>,
    /// `runbook apply`: only these effects, in this order, are admitted.
    plan: RefCell<Option<Allowlist>>,
    /// The confirmation this run's script can reach (e.g. `` `release` at x.rhai:3:1``), when
    /// it cannot confirm: then no change is admitted (see [`Gate::expect_confirmation`]).
    confirmation_ahead: RefCell<Option<String>>,
}

impl Gate {
    /// `dry_run`: plan instead of execute; `yes`: pre-approve confirmations; `terminal`:
    /// whether stdin is a terminal an operator can answer on.
    pub fn new(
        dry_run: bool,
        yes: bool,
        terminal: bool,
        journal: Journal,
        report: Rc<dyn Transcript>,
    ) -> Gate {
        Gate {
            dry_run: Cell::new(dry_run),
            yes,
            terminal,
            journal,
            report,
            interrupt: None,
            scope: Scope::default(),
            frozen: RefCell::new(None),
            plan: RefCell::new(None),
            confirmation_ahead: RefCell::new(None),
        }
    }

    /// The script about to run can reach a confirmation (`what` names it and where). A run
    /// that cannot confirm is then bound to be refused, so it changes nothing: its first
    /// change is refused, before anything changed, whatever the script asks first.
    pub fn expect_confirmation(&self, what: String) {
        *self.confirmation_ahead.borrow_mut() = Some(what);
    }

    /// The refusal of a change that would come before a confirmation this run cannot give.
    fn unconfirmable(&self, effect: &Effect) -> Option<Refusal> {
        if self.can_confirm() || effect.class != EffectClass::Change {
            return None;
        }
        let ahead = self.confirmation_ahead.borrow();
        let what = ahead.as_ref()?;
        Some(Refusal {
            guard: "confirm.ahead",
            reason: format!(
                "confirmation needed later (by {what}) but stdin is not a terminal; rerun with `--yes` to pre-approve. Nothing changes before it is refused: not even this `{}` of {}",
                effect.name, effect.target
            ),
        })
    }

    /// Admit only the effects of a saved plan, in its order (`runbook apply`).
    pub fn set_plan(&self, plan: Allowlist) {
        *self.plan.borrow_mut() = Some(plan);
    }

    /// The planned effects that have not run (none without a plan).
    pub fn plan_not_run(&self) -> Vec<crate::effects::plan::PlannedEffect> {
        self.plan
            .borrow()
            .as_ref()
            .map(|p| p.not_run().into_iter().cloned().collect())
            .unwrap_or_default()
    }

    /// With a plan set: is `effect` the next planned one (or a later one)?
    fn admit_planned(&self, effect: &Effect) -> Result<(), Refusal> {
        match self.plan.borrow_mut().as_mut() {
            None => Ok(()),
            Some(plan) => plan
                .admit(&effect.name, &effect.args, &effect.command)
                .map_err(|reason| Refusal {
                    guard: "plan.effects",
                    reason,
                }),
        }
    }

    /// The site's scope the guards check against (without it, nothing is in scope).
    pub fn with_scope(mut self, scope: Scope) -> Gate {
        self.scope = scope;
        self
    }

    /// Record the identities the detection read (replacing any earlier freeze).
    pub fn freeze(&self, frozen: Frozen) {
        *self.frozen.borrow_mut() = Some(frozen);
    }

    /// What the detection froze, if it ran.
    pub fn frozen(&self) -> Option<Frozen> {
        self.frozen.borrow().clone()
    }

    /// The gate's decision on `facts` (read by the host right before the call).
    pub fn guard(&self, facts: &Facts) -> Result<(), Refusal> {
        crate::effects::guards::decide(&self.scope, self.frozen.borrow().as_ref(), facts)
    }

    /// [`Gate::apply`] with the guard decided here, on `facts`.
    pub fn apply_on<T: Serialize>(
        &self,
        effect: Effect,
        facts: &Facts,
        act: impl FnOnce() -> anyhow::Result<T>,
    ) -> Result<Applied<T>, GateError> {
        let guard = self.guard(facts);
        self.apply(effect, guard, act)
    }

    /// The guard on `facts` for an effect that will not run (e.g. a destroy of a model that
    /// is already gone): a refusal is journaled and stops the call like any other.
    pub fn check(&self, effect: &Effect, facts: &Facts) -> Result<(), GateError> {
        self.guard(facts).map_err(|r| self.refuse(effect, r))
    }

    /// Journal a refusal of one effect and return it; the run goes on, and ends refused
    /// (exit 4) because the journal records a refusal.
    pub fn refuse_one(&self, effect: &Effect, refusal: Refusal) -> Refusal {
        let msg = refusal.to_string();
        self.journal.record(effect, Outcome::Refused, Some(&msg), 0);
        self.report
            .message("fail", &format!("{}: {msg}", effect.target));
        refusal
    }

    /// Write-ahead: the `intent` lines of destroy-class effects, written and synced before
    /// any of them runs. A journal that cannot be written stops the run here.
    pub fn intend(&self, effects: &[&Effect]) -> Result<(), GateError> {
        let entries: Vec<Entry> = effects
            .iter()
            .filter(|e| e.class == EffectClass::Destroy)
            .map(|effect| Entry {
                effect,
                outcome: Outcome::Intent,
                detail: None,
                duration_ms: 0,
            })
            .collect();
        match (self.journal.try_record_all(&entries), effects.first()) {
            (Err(e), Some(first)) => {
                let refusal = journal_refusal(first, &e, self.journal.state_dir());
                Err(self.refuse(first, refusal))
            }
            _ => Ok(()),
        }
    }

    /// The refusal of a change the journal cannot record now (write-ahead: no change
    /// without its record; see `journal`), checked right before it. A dry run writes nothing.
    fn unrecordable(&self, effect: &Effect) -> Option<Refusal> {
        if self.is_dry_run() {
            return None;
        }
        self.journal
            .writable()
            .err()
            .map(|e| journal_refusal(effect, &e, self.journal.state_dir()))
    }

    /// A batch decided machine by machine (e.g. `release_all`): each effect's guard runs on
    /// its own facts; a refused one is journaled and named (the run will end with exit 4)
    /// while the others go on, under one confirmation, with their intents written first.
    pub fn admit_each(
        &self,
        effects: &[Effect],
        facts: &[Facts],
        confirm: Option<Confirmation>,
    ) -> Result<Vec<Result<Admission, Refusal>>, GateError> {
        if effects.len() != facts.len() {
            return Err(GateError::Failed(anyhow::anyhow!(
                "internal error: {} effects but {} sets of facts",
                effects.len(),
                facts.len()
            )));
        }
        let mut out: Vec<Result<Admission, Refusal>> = effects
            .iter()
            .zip(facts)
            .map(
                |(e, f)| match self.guard(f).and_then(|()| self.admit_planned(e)) {
                    Ok(()) => Ok(Admission::Go),
                    Err(r) => Err(self.refuse_one(e, r)),
                },
            )
            .collect();
        let admitted: Vec<&Effect> = effects
            .iter()
            .zip(&out)
            .filter(|(_, a)| a.is_ok())
            .map(|(e, _)| e)
            .collect();
        if admitted.is_empty() {
            return Ok(out);
        }
        if self.is_dry_run() {
            admitted.iter().for_each(|e| self.plan(e));
            for a in out.iter_mut().filter(|a| a.is_ok()) {
                *a = Ok(Admission::Planned);
            }
            return Ok(out);
        }
        if let Some((e, r)) = admitted.iter().find_map(|e| {
            self.unrecordable(e)
                .or_else(|| self.unconfirmable(e))
                .map(|r| (e, r))
        }) {
            return Err(self.refuse(e, r));
        }
        let owned: Vec<Effect> = admitted.iter().map(|e| (*e).clone()).collect();
        if let Some(c) = confirm.or_else(|| batch_confirmation(&owned)) {
            self.confirm(&c, admitted.first().copied())?;
        }
        self.intend(&admitted)?;
        Ok(out)
    }

    /// Watch `flag` (Ctrl-C) while the operator types a confirmation: Ctrl-C at the
    /// prompt declines it and stops the run as interrupted, instead of waiting for a line.
    pub fn with_interrupt(mut self, flag: Arc<AtomicBool>) -> Gate {
        self.interrupt = Some(flag);
        self
    }

    fn interrupted(&self) -> bool {
        self.interrupt
            .as_ref()
            .is_some_and(|f| f.load(Ordering::SeqCst))
    }

    /// Arm (execute effects) or disarm (plan them), e.g. the REPL's `:arm`.
    pub fn set_armed(&self, armed: bool) {
        self.dry_run.set(!armed);
    }

    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    fn refuse(&self, effect: &Effect, refusal: Refusal) -> GateError {
        let msg = refusal.to_string();
        self.journal.record(effect, Outcome::Refused, Some(&msg), 0);
        GateError::Refused(refusal)
    }

    fn plan(&self, effect: &Effect) {
        self.journal.record(effect, Outcome::Planned, None, 0);
        self.report.plan(PlanEntry {
            effect: effect.name.clone(),
            class: effect.class,
            target: effect.target.clone(),
            command: effect.command.clone(),
            args: effect.args.clone(),
        });
    }

    /// Ask for a confirmation: `--yes` approves; no terminal refuses; else the operator types.
    pub fn confirm(
        &self,
        confirmation: &Confirmation,
        effect: Option<&Effect>,
    ) -> Result<(), GateError> {
        let answer = if self.yes {
            Ok(())
        } else if !self.terminal {
            Err(format!(
                "confirmation needed ({}) but stdin is not a terminal; rerun with `--yes` to pre-approve",
                confirmation.question
            ))
        } else {
            let mut stdin = std::io::BufReader::new(InterruptibleStdin {
                flag: self.interrupt.clone(),
            });
            confirm_with(&mut stdin, &mut std::io::stderr(), confirmation)
        };
        answer
            .map_err(|reason| {
                // Ctrl-C at the prompt (even if a line was typed after it) declines.
                let stop = if self.interrupted() {
                    // End the prompt's line: what follows is the run's own ending.
                    eprintln!();
                    Stop::Interrupted(format!(
                        "confirmation interrupted (Ctrl-C) for: {}",
                        confirmation.question
                    ))
                } else {
                    Stop::Refused(reason)
                };
                if let Some(effect) = effect {
                    self.journal
                        .record(effect, Outcome::Refused, Some(&stop.to_string()), 0);
                }
                GateError::Declined(stop)
            })
            .and_then(|()| {
                if self.interrupted() {
                    let reason = format!(
                        "confirmation interrupted (Ctrl-C) for: {}",
                        confirmation.question
                    );
                    if let Some(effect) = effect {
                        self.journal
                            .record(effect, Outcome::Refused, Some(&reason), 0);
                    }
                    return Err(GateError::Declined(Stop::Interrupted(reason)));
                }
                Ok(())
            })
    }

    /// Guards → dry-run plan → confirmation → run `act` → journal. On `Refused`/`Declined`
    /// nothing runs and the run will exit 4. Private: a primitive reaches it only through
    /// [`Gate::apply_on`], so the guard is always the gate's own decision on fresh facts,
    /// never a verdict the primitive hands in.
    fn apply<T: Serialize>(
        &self,
        effect: Effect,
        guard: Result<(), Refusal>,
        act: impl FnOnce() -> anyhow::Result<T>,
    ) -> Result<Applied<T>, GateError> {
        match guard {
            Err(r) if self.is_dry_run() && checked_again_when_run(&r) => {
                self.report.message(
                    "note",
                    &format!(
                        "{}: guard `{}` is checked again when it runs; now: {}",
                        effect.target, r.guard, r.reason
                    ),
                );
            }
            Err(refusal) => return Err(self.refuse(&effect, refusal)),
            Ok(()) => {}
        }
        if let Err(refusal) = self.admit_planned(&effect) {
            return Err(self.refuse(&effect, refusal));
        }
        if self.is_dry_run() {
            self.plan(&effect);
            return Ok(Applied::Planned);
        }
        if let Some(refusal) = self
            .unrecordable(&effect)
            .or_else(|| self.unconfirmable(&effect))
        {
            return Err(self.refuse(&effect, refusal));
        }
        if let Some(c) = confirmation_for(&effect) {
            self.confirm(&c, Some(&effect))?;
        }
        self.intend(&[&effect])?;
        let started = Instant::now();
        match act() {
            Ok(value) => {
                let json = serde_json::to_value(&value).unwrap_or(serde_json::Value::Null);
                self.finish(&effect, Ok(&json), started.elapsed());
                Ok(Applied::Executed(value))
            }
            Err(e) => {
                self.finish(&effect, Err(&e), started.elapsed());
                Err(GateError::Failed(e))
            }
        }
    }

    /// Journal the outcome of an admitted effect (`executed`, `failed`, or `unknown` /
    /// `cancelled` when a stop cut it short) with its duration.
    pub fn finish(
        &self,
        effect: &Effect,
        outcome: Result<&serde_json::Value, &anyhow::Error>,
        took: Duration,
    ) {
        let ms = took.as_millis() as u64;
        match outcome {
            Ok(_) => self.journal.record(effect, Outcome::Executed, None, ms),
            Err(e) => {
                self.journal
                    .record(effect, Outcome::of_error(e), Some(&format!("{e:#}")), ms)
            }
        }
    }

    /// [`Gate::finish`] for a batch: the outcomes are journaled together (one write and
    /// one sync), in order.
    pub fn finish_all(
        &self,
        outcomes: &[(&Effect, Result<&serde_json::Value, &anyhow::Error>)],
        took: Duration,
    ) {
        let ms = took.as_millis() as u64;
        let details: Vec<Option<String>> = outcomes
            .iter()
            .map(|(_, o)| o.as_ref().err().map(|e| format!("{e:#}")))
            .collect();
        let entries: Vec<Entry> = outcomes
            .iter()
            .zip(&details)
            .map(|((effect, outcome), detail)| Entry {
                effect,
                outcome: match outcome {
                    Ok(_) => Outcome::Executed,
                    Err(e) => Outcome::of_error(e),
                },
                detail: detail.as_deref(),
                duration_ms: ms,
            })
            .collect();
        self.journal.record_all(&entries);
    }

    /// True when state-changing calls are planned, not executed.
    pub fn is_dry_run(&self) -> bool {
        self.dry_run.get()
    }

    /// Whether a confirmation can be approved at all: `--yes`, a terminal, or a dry run.
    pub fn can_confirm(&self) -> bool {
        self.yes || self.terminal || self.is_dry_run()
    }
}

/// Why `effect` is not made: the journal could not record it (`error` names the file and
/// the OS error), and what to do.
fn journal_refusal(effect: &Effect, error: &anyhow::Error, state_dir: &Path) -> Refusal {
    Refusal {
        guard: "journal.writable",
        reason: format!(
            "{error:#}; a change the journal cannot record is not made: not this `{}` of {}, nor any after it\n{}",
            effect.name,
            effect.target,
            journal_hint(state_dir)
        ),
    }
}

/// What to do about a journal that cannot be written under `state_dir`.
pub fn journal_hint(state_dir: &Path) -> String {
    format!(
        "hint: make `{}` a directory this user can write (or free space on its disk), or choose another with `--set state_dir=DIR`; then run the same command again",
        state_dir.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::effects::effect::PlanEntry;

    /// The gate's tests read the journal, not the transcript.
    struct Silent;

    impl Transcript for Silent {
        fn plan(&self, _: PlanEntry) {}
        fn message(&self, _: &'static str, _: &str) {}
    }

    fn conf() -> Confirmation {
        Confirmation {
            summary: "model openstack: 12 units".into(),
            question: "type the model name to destroy it".into(),
            expected: "openstack".into(),
        }
    }

    fn gate(dry: bool, yes: bool, terminal: bool) -> (tempfile::TempDir, Gate) {
        let tmp = tempfile::tempdir().unwrap();
        let journal = Journal::new(tmp.path(), "run-1", dry);
        (tmp, Gate::new(dry, yes, terminal, journal, Rc::new(Silent)))
    }

    fn effect(confirm: bool) -> Effect {
        Effect {
            name: "thing".into(),
            class: if confirm {
                EffectClass::Destroy
            } else {
                EffectClass::Change
            },
            target: "t".into(),
            args: serde_json::json!({}),
            command: "do thing".into(),
            confirm: confirm.then(conf),
        }
    }

    /// Whether the gate lets `e` run now (and it ran).
    fn executes(g: &Gate, e: Effect) -> bool {
        matches!(g.apply(e, Ok(()), || Ok(1)), Ok(Applied::Executed(1)))
    }

    #[test]
    fn gate_without_terminal_or_yes_declines_destroy() {
        let (_t, g) = gate(false, false, false);
        let mut ran = false;
        let r = g.apply(effect(true), Ok(()), || {
            ran = true;
            Ok(1)
        });
        assert!(matches!(r, Err(GateError::Declined(Stop::Refused(_)))));
        assert!(!ran);
    }

    #[test]
    fn gate_yes_runs_and_journals() {
        let (_t, g) = gate(false, true, false);
        assert!(executes(&g, effect(true)));
        // Write-ahead: the intent of the destroy-class effect, then its outcome.
        let lines = g.journal().lines();
        assert!(lines[0].contains("\"outcome\":\"intent\""), "{lines:?}");
        assert!(lines[1].contains("\"outcome\":\"executed\""), "{lines:?}");
        assert!(g.journal().path().unwrap().exists());
    }

    #[test]
    fn gate_dry_run_plans_and_writes_nothing() {
        let (t, g) = gate(true, true, false);
        let mut ran = false;
        assert!(matches!(
            g.apply(effect(false), Ok(()), || {
                ran = true;
                Ok(1)
            }),
            Ok(Applied::Planned)
        ));
        assert!(!ran);
        assert!(g.journal().path().is_none());
        assert_eq!(std::fs::read_dir(t.path()).unwrap().count(), 0);
    }

    #[test]
    fn gate_refusal_beats_yes_in_a_batch() {
        let (_t, g) = gate(false, true, true);
        // Nothing is in scope for a gate without a site: the gate's own guard refuses.
        let facts = Facts::BackupDir {
            dir: "/elsewhere/b".into(),
            pointer: crate::backup::pointer::Existing::Missing,
        };
        let r = g
            .admit_each(&[effect(true)], std::slice::from_ref(&facts), None)
            .unwrap();
        assert_eq!(r[0].as_ref().unwrap_err().guard, "backup_dir.scope");
        assert_eq!(g.journal().lines().len(), 1);
        assert!(g.journal().lines()[0].contains("\"outcome\":\"refused\""));
    }

    #[test]
    fn destroy_without_confirmation_still_needs_one() {
        let (_t, g) = gate(false, false, false);
        let mut e = effect(true);
        e.confirm = None;
        assert!(matches!(
            g.apply(e.clone(), Ok(()), || Ok(1)),
            Err(GateError::Declined(_))
        ));
        assert_eq!(confirmation_for(&e).unwrap().expected, "t");
        let b = batch_confirmation(&[e.clone(), e]).unwrap();
        assert_eq!(b.expected, "2");
        assert!(batch_confirmation(&[effect(false)]).is_none());
    }

    #[test]
    fn a_change_before_a_confirmation_that_cannot_be_given_is_refused() {
        // Without a confirmation ahead, a change runs unattended.
        let (_t, g) = gate(false, false, false);
        assert!(executes(&g, effect(false)));
        // With one ahead, nothing runs: the first change is refused, and journaled so.
        let (_t, g) = gate(false, false, false);
        g.expect_confirmation("`release` at x.rhai:3:1".into());
        let mut ran = false;
        let r = g.apply(effect(false), Ok(()), || {
            ran = true;
            Ok(1)
        });
        match r {
            Err(GateError::Refused(r)) => {
                assert_eq!(r.guard, "confirm.ahead");
                assert!(
                    r.reason.starts_with(
                        "confirmation needed later (by `release` at x.rhai:3:1) but stdin is not a terminal; rerun with `--yes`"
                    ),
                    "{}",
                    r.reason
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(!ran);
        assert!(g.journal().lines()[0].contains("\"outcome\":\"refused\""));
        // `--yes`, or a dry run: the confirmation can be given (or is not asked).
        for (dry, yes) in [(false, true), (true, false)] {
            let (_t, g) = gate(dry, yes, false);
            g.expect_confirmation("`release` at x.rhai:3:1".into());
            assert!(g.apply(effect(false), Ok(()), || Ok(1)).is_ok());
        }
    }

    #[test]
    fn no_change_is_made_that_the_journal_cannot_record() {
        let tmp = tempfile::tempdir().unwrap();
        let state = tmp.path().join("state");
        std::fs::write(&state, "").unwrap();
        for e in [effect(false), effect(true)] {
            let g = Gate::new(
                false,
                true,
                false,
                Journal::new(&state, "r", false),
                Rc::new(Silent),
            );
            let mut ran = false;
            match g.apply(e, Ok(()), || {
                ran = true;
                Ok(1)
            }) {
                Err(GateError::Refused(r)) => {
                    assert_eq!(r.guard, "journal.writable");
                    assert!(r.reason.contains("Not a directory"), "{}", r.reason);
                }
                other => panic!("{other:?}"),
            }
            assert!(!ran);
            // The refusal is kept in memory for the run's account.
            assert!(g.journal().lines()[0].contains("\"outcome\":\"refused\""));
        }
    }

    #[test]
    fn failed_action_is_journaled() {
        let (_t, g) = gate(false, false, false);
        let r = g.apply(effect(false), Ok(()), || -> anyhow::Result<i32> {
            anyhow::bail!("boom")
        });
        assert!(matches!(r, Err(GateError::Failed(_))));
        assert!(g.journal().lines()[0].contains("\"outcome\":\"failed\""));
    }
}
