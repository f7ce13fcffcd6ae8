//! The effects gate: the one place that decides whether a state-changing call happens.
//!
//! Every state-changing primitive describes its call as an [`Effect`], evaluates the
//! matching guard (pure functions below, always enforced, even with `--yes`), and hands
//! its facts to [`Gate::apply_on`] (or [`Gate::admit_each`] for a batch), which decides the
//! guard itself (`guards::decide`). The gate then:
//! refuses (guard failed) → plans (dry-run / unarmed REPL) → confirms (class `destroy`)
//! → runs the action → journals the outcome. Primitives never prompt, plan or journal
//! themselves.
//!
//! API CONTRACT (shared between issues — keep these signatures; add freely).

pub mod frozen;
pub mod guards;
pub mod journal;
pub mod plan;
pub mod predestroy;

use std::cell::{Cell, RefCell};
use std::io::{BufRead, Write};
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::backup::MANIFEST;
use crate::effects::frozen::Frozen;
use crate::effects::guards::{Facts, Scope};
use crate::effects::journal::{Entry, Journal, Outcome};

/// What kind of change an effect is; also printed by `runbook doc`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EffectClass {
    Read,
    Change,
    Destroy,
}

/// A state-changing call, described before it is made.
#[derive(Debug, Clone, Serialize)]
pub struct Effect {
    /// The primitive's name: `release`, `juju_destroy_model`, `write_backup`, ...
    pub name: String,
    pub class: EffectClass,
    /// What it acts on, for humans: `machine 4y3h7n (openstack0)`, `model openstack`, a path.
    pub target: String,
    /// Arguments as given (secrets never included), for the journal and the plan.
    pub args: serde_json::Value,
    /// The exact command or request it makes, e.g.
    /// `juju destroy-model openstack --force --no-wait --destroy-storage --no-prompt`.
    pub command: String,
    /// For class `destroy`: what the operator is shown and must type. `None` for `change`.
    pub confirm: Option<Confirmation>,
}

/// The fact an operator types to approve a destructive effect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Confirmation {
    /// Shown before the question: what will be lost (unit and machine counts, controller, ...).
    pub summary: String,
    /// The question, e.g. `type the model name to destroy it`.
    pub question: String,
    /// The answer that approves, e.g. `openstack`.
    pub expected: String,
}

/// A guard's "no": which guard, and why, in words an operator can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    pub guard: &'static str,
    pub reason: String,
}

/// What the gate decided for one effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// Run it now (then call [`Gate::finish`]).
    Go,
    /// Dry-run: recorded in the plan, nothing executed.
    Planned,
}

/// The outcome of [`Gate::apply`].
#[derive(Debug)]
pub enum Applied<T> {
    Executed(T),
    Planned,
}

/// Why the gate stopped a call. `Refused` and `Declined` end the run with exit 4.
#[derive(Debug)]
pub enum GateError {
    Refused(Refusal),
    /// Confirmation declined, or needed without a terminal and without `--yes`.
    Declined(String),
    /// The action ran and failed (journaled as `failed`).
    Failed(anyhow::Error),
    /// The write-ahead `intent` line could not be written: nothing ran; the run ends.
    Journal(String),
}

/// Facts about a MAAS machine the release guard needs (read fresh by the primitive).
#[derive(Debug, Clone)]
pub struct MachineFacts {
    pub system_id: String,
    pub hostname: String,
    pub owner: Option<String>,
    pub locked: bool,
    pub status_name: String,
    pub power_state: String,
    /// `owner_data["juju-model-uuid"]`: the Juju model that deployed it, when MAAS says.
    pub juju_model_uuid: Option<String>,
    /// `owner_data["juju-controller-uuid"]`.
    pub juju_controller_uuid: Option<String>,
}

/// Facts about a Juju model the destroy guard needs.
#[derive(Debug, Clone)]
pub struct ModelFacts {
    pub name: String,
    /// `owner/name`, for a site that names its model qualified.
    pub qualified: String,
    pub is_controller: bool,
    pub uuid: String,
    /// The uuid of the controller the fresh read came from.
    pub controller_uuid: String,
    /// `alive`, `dying` or `dead`, as the fresh read shows it.
    pub life: String,
}

/// Why a run stopped before completing; decides the exit code (see `outcome::exit`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// A guard refused or a confirmation was declined: exit 4.
    Refused(String),
    /// `halt(reason)`: routing stopped, a human must investigate: exit 3.
    Halted(String),
    /// Ctrl-C: exit 130.
    Interrupted,
}

/// A planned effect as the run's report shows it (dry run) and `plan` saves it.
#[derive(Debug, Clone, Serialize)]
pub struct PlanEntry {
    pub effect: String,
    pub class: EffectClass,
    pub target: String,
    pub command: String,
    pub args: serde_json::Value,
}

/// Where the gate tells the run what it planned and what it refused: the run's report
/// (`report.rs` implements it). A trait, so the gate knows nothing of the layers above it.
pub trait Transcript {
    /// A dry run's planned effect: one transcript line, and an entry of the plan.
    fn plan(&self, entry: PlanEntry);
    /// A message under the current step (`fail` for a refused effect).
    fn message(&self, level: &'static str, text: &str);
}

/// The gate of one run. Built by `context.rs`; reached by primitives via `RunContext::gate`.
pub struct Gate {
    dry_run: Cell<bool>,
    yes: bool,
    terminal: bool,
    journal: Journal,
    report: Rc<dyn Transcript>,
    stop: RefCell<Option<Stop>>,
    /// The Ctrl-C flag: a confirmation being typed when it is set is declined.
    interrupt: Option<Arc<AtomicBool>>,
    /// What the site allows (targets, models, paths).
    scope: Scope,
    /// What the detection froze; `None` until it ran.
    frozen: RefCell<Option<Frozen>>,
    /// `runbook apply`: only these effects, in this order, are admitted.
    plan: RefCell<Option<crate::effects::plan::Allowlist>>,
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
            stop: RefCell::new(None),
            interrupt: None,
            scope: Scope::default(),
            frozen: RefCell::new(None),
            plan: RefCell::new(None),
        }
    }

    /// Admit only the effects of a saved plan, in its order (`runbook apply`).
    pub fn set_plan(&self, plan: crate::effects::plan::Allowlist) {
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

    /// Journal a refusal of one effect (the run will end with exit 4) and return it.
    pub fn refuse_one(&self, effect: &Effect, refusal: Refusal) -> Refusal {
        let msg = refusal.to_string();
        self.journal.record(effect, Outcome::Refused, Some(&msg), 0);
        self.report
            .message("fail", &format!("{}: {msg}", effect.target));
        self.record_stop(Stop::Refused(msg));
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
        self.journal
            .try_record_all(&entries)
            .map_err(|e| GateError::Journal(format!("{e:#}; nothing was changed")))
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

    /// Why the run stopped, if it did.
    pub fn stop(&self) -> Option<Stop> {
        self.stop.borrow().clone()
    }

    /// Record why the run stops (the first reason wins).
    pub fn record_stop(&self, stop: Stop) {
        let mut slot = self.stop.borrow_mut();
        if slot.is_none() {
            *slot = Some(stop);
        }
    }

    fn refuse(&self, effect: &Effect, refusal: Refusal) -> GateError {
        let msg = refusal.to_string();
        self.journal.record(effect, Outcome::Refused, Some(&msg), 0);
        self.record_stop(Stop::Refused(msg));
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
                let (reason, stop) = if self.interrupted() {
                    // End the prompt's line: what follows is the run's own ending.
                    eprintln!();
                    let reason = format!(
                        "confirmation interrupted (Ctrl-C) for: {}",
                        confirmation.question
                    );
                    (reason, Stop::Interrupted)
                } else {
                    (reason.clone(), Stop::Refused(reason))
                };
                if let Some(effect) = effect {
                    self.journal
                        .record(effect, Outcome::Refused, Some(&reason), 0);
                }
                self.record_stop(stop);
                GateError::Declined(reason)
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
                    self.record_stop(Stop::Interrupted);
                    return Err(GateError::Declined(reason));
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
        if let Err(refusal) = guard.and_then(|()| self.admit_planned(&effect)) {
            return Err(self.refuse(&effect, refusal));
        }
        if self.is_dry_run() {
            self.plan(&effect);
            return Ok(Applied::Planned);
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

    /// Journal the outcome of an admitted effect (`executed` or `failed`) with its duration.
    pub fn finish(
        &self,
        effect: &Effect,
        outcome: Result<&serde_json::Value, &anyhow::Error>,
        took: Duration,
    ) {
        let ms = took.as_millis() as u64;
        match outcome {
            Ok(_) => self.journal.record(effect, Outcome::Executed, None, ms),
            Err(e) => self
                .journal
                .record(effect, Outcome::Failed, Some(&format!("{e:#}")), ms),
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
                outcome: if outcome.is_ok() {
                    Outcome::Executed
                } else {
                    Outcome::Failed
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

/// What an effect must be confirmed with: its own confirmation, or — for a `destroy`
/// effect that brought none — the command shown and its target typed, so no destructive
/// call ever runs unconfirmed.
fn confirmation_for(effect: &Effect) -> Option<Confirmation> {
    match (&effect.confirm, effect.class) {
        (Some(c), _) => Some(c.clone()),
        (None, EffectClass::Destroy) => Some(Confirmation {
            summary: format!("about to run: {}", effect.command),
            question: "type the target to confirm".to_string(),
            expected: effect.target.clone(),
        }),
        (None, _) => None,
    }
}

/// A batch with `destroy` effects and no confirmation of its own: list the commands and
/// have the operator type how many there are.
fn batch_confirmation(effects: &[Effect]) -> Option<Confirmation> {
    if !effects.iter().any(|e| e.class == EffectClass::Destroy) {
        return None;
    }
    let commands: Vec<String> = effects.iter().map(|e| format!("  {}", e.command)).collect();
    Some(Confirmation {
        summary: format!(
            "about to run {} destructive call(s):\n{}",
            effects.len(),
            commands.join("\n")
        ),
        question: "type the number of calls to confirm".to_string(),
        expected: effects.len().to_string(),
    })
}

/// Show the summary, ask the question, read one line: approved only if it equals
/// `expected` (surrounding whitespace ignored). EOF or any other answer declines.
/// Standard input for a confirmation, read only once a line is ready, so that Ctrl-C
/// (which the handler turns into a flag; the blocked read itself would just restart) ends
/// the wait at once.
struct InterruptibleStdin {
    flag: Option<Arc<AtomicBool>>,
}

impl std::io::Read for InterruptibleStdin {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use std::os::fd::AsRawFd;
        let stdin = std::io::stdin();
        let fd = stdin.as_raw_fd();
        loop {
            if self.flag.as_ref().is_some_and(|f| f.load(Ordering::SeqCst)) {
                return Err(std::io::Error::other("interrupted (Ctrl-C)"));
            }
            let mut pfd = libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd for the duration of the call.
            let ready = unsafe { libc::poll(&mut pfd, 1, 100) };
            if ready > 0 {
                return std::io::Read::read(&mut stdin.lock(), buf);
            }
            if ready < 0 {
                let e = std::io::Error::last_os_error();
                if e.kind() != std::io::ErrorKind::Interrupted {
                    return Err(e);
                }
            }
        }
    }
}

pub fn confirm_with(
    reader: &mut dyn BufRead,
    writer: &mut dyn Write,
    c: &Confirmation,
) -> Result<(), String> {
    if !c.summary.is_empty() {
        let _ = writeln!(writer, "{}", crate::term::escape(&c.summary));
    }
    let _ = write!(
        writer,
        "{} [{}]: ",
        crate::term::escape_line(&c.question),
        crate::term::escape_line(&c.expected)
    );
    let _ = writer.flush();
    let mut line = String::new();
    match reader.read_line(&mut line) {
        Ok(0) => Err(format!(
            "confirmation declined (no answer) for: {}",
            c.question
        )),
        Ok(_) if line.trim() == c.expected => Ok(()),
        Ok(_) => Err(format!(
            "confirmation declined: typed `{}`, expected `{}`",
            line.trim(),
            c.expected
        )),
        Err(e) => Err(format!(
            "confirmation declined: cannot read the answer: {e}"
        )),
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "refused by guard `{}`: {}", self.guard, self.reason)
    }
}

impl GateError {
    /// The Rhai error a primitive returns; the engine adds the script position.
    /// Refusals and declines end the run (scripts cannot catch them); failures can be caught.
    pub fn into_rhai(self) -> Box<rhai::EvalAltResult> {
        match self {
            GateError::Refused(r) => {
                rhai::EvalAltResult::ErrorTerminated(r.to_string().into(), rhai::Position::NONE)
                    .into()
            }
            GateError::Declined(reason) => {
                rhai::EvalAltResult::ErrorTerminated(reason.into(), rhai::Position::NONE).into()
            }
            GateError::Failed(e) => format!("{e:#}").into(),
            GateError::Journal(reason) => {
                rhai::EvalAltResult::ErrorTerminated(reason.into(), rhai::Position::NONE).into()
            }
        }
    }
}

/// `release`: the machine's hostname is in `site.targets`, it is not locked, and (unless it
/// is already Ready/Releasing, which is a no-op) its owner is `whoami`.
pub fn guard_release(targets: &[String], whoami: &str, m: &MachineFacts) -> Result<(), Refusal> {
    let refuse = |reason: String| {
        Err(Refusal {
            guard: "release.target",
            reason,
        })
    };
    if !targets.iter().any(|t| t == &m.hostname) {
        return refuse(format!(
            "machine `{}` ({}) is not in `site.targets` ({})",
            m.system_id,
            m.hostname,
            targets.join(", ")
        ));
    }
    if m.locked {
        return Err(Refusal {
            guard: "release.locked",
            reason: format!(
                "machine `{}` ({}) is locked in MAAS; unlock it first if it really must go",
                m.system_id, m.hostname
            ),
        });
    }
    if matches!(m.status_name.as_str(), "Ready" | "Releasing") {
        return Ok(());
    }
    match &m.owner {
        Some(owner) if owner == whoami => Ok(()),
        owner => Err(Refusal {
            guard: "release.owner",
            reason: format!(
                "machine `{}` ({}) is owned by `{}`, not `{whoami}`",
                m.system_id,
                m.hostname,
                owner.as_deref().unwrap_or("(none)")
            ),
        }),
    }
}

/// `juju_destroy_model`: in `site.models`, not a controller model, and sealed by this run's
/// `seal_backup` unless `require_backup` is false.
pub fn guard_destroy_model(
    models: &[String],
    require_backup: bool,
    sealed: &[String],
    model: &ModelFacts,
) -> Result<(), Refusal> {
    guard_model("destroy_model", models, model)?;
    if require_backup && !sealed.iter().any(|s| s == &model.name) {
        return Err(Refusal {
            guard: "destroy_model.backup",
            reason: format!(
                "no backup of model `{}` sealed in this run verifies now (none was sealed, or a capture changed after the seal); run Phase A (`seal_backup(dir, \"{}\")`) first",
                model.name, model.name
            ),
        });
    }
    Ok(())
}

fn guard_model(prefix: &'static str, models: &[String], model: &ModelFacts) -> Result<(), Refusal> {
    let (scope, controller) = match prefix {
        "destroy_model" => ("destroy_model.scope", "destroy_model.controller"),
        _ => ("remove_machine.scope", "remove_machine.controller"),
    };
    if model.is_controller {
        return Err(Refusal {
            guard: controller,
            reason: format!("model `{}` is a controller model", model.name),
        });
    }
    // A bare entry names the short name, a qualified one `owner/name`; which model of that
    // name it is, the frozen uuid decides (`*.identity`).
    if !models
        .iter()
        .any(|m| m == &model.name || m == &model.qualified)
    {
        return Err(Refusal {
            guard: scope,
            reason: format!(
                "model `{}` is not in `site.models` ({})",
                model.name,
                models.join(", ")
            ),
        });
    }
    Ok(())
}

/// `juju_remove_machine`: the model is in `site.models` and is not a controller model.
pub fn guard_remove_machine(models: &[String], model: &ModelFacts) -> Result<(), Refusal> {
    guard_model("remove_machine", models, model)
}

/// `wipe_qcow2`: the path resolves (symlinks followed) to a file under `disk_root`.
pub fn guard_wipe(disk_root: &Path, path: &Path) -> Result<(), Refusal> {
    let refuse = |reason: String| {
        Err(Refusal {
            guard: "wipe.disk_root",
            reason,
        })
    };
    let root = match disk_root.canonicalize() {
        Ok(r) => r,
        Err(e) => {
            return refuse(format!(
                "`site.disk_root` `{}` cannot be resolved: {e}",
                disk_root.display()
            ))
        }
    };
    let real = match path.canonicalize() {
        Ok(r) => r,
        Err(e) => return refuse(format!("`{}` cannot be resolved: {e}", path.display())),
    };
    if !real.starts_with(&root) || real == root {
        return refuse(format!(
            "`{}` resolves to `{}`, outside `{}`",
            path.display(),
            real.display(),
            root.display()
        ));
    }
    if !real.is_file() {
        return refuse(format!("`{}` is not a regular file", real.display()));
    }
    Ok(())
}

/// `write_backup`: `dir` is one of this run's backup dirs, `file` is a relative name without
/// `..`, and nothing on the way (an existing file or folder) is a symlink.
pub fn guard_write_backup(run_dirs: &[PathBuf], dir: &Path, file: &str) -> Result<(), Refusal> {
    let refuse = |reason: String| {
        Err(Refusal {
            guard: "write_backup.scope",
            reason,
        })
    };
    if !run_dirs.iter().any(|d| d == dir) {
        return refuse(format!(
            "`{}` is not a backup dir made by this run (`backup_dir`)",
            dir.display()
        ));
    }
    let rel = Path::new(file);
    if file.is_empty() || rel.is_absolute() {
        return refuse(format!(
            "file name `{file}` must be relative to the backup dir"
        ));
    }
    if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
        return refuse(format!("file name `{file}` may not contain `..` or `.`"));
    }
    if file == MANIFEST {
        return refuse(format!("`{MANIFEST}` is kept by the host"));
    }
    let mut at = dir.to_path_buf();
    if is_symlink(&at) {
        return refuse(format!("backup dir `{}` is a symlink", dir.display()));
    }
    for part in rel.components() {
        at.push(part);
        if is_symlink(&at) {
            return refuse(format!(
                "`{}` is a symlink; backups never follow symlinks",
                at.display()
            ));
        }
    }
    Ok(())
}

fn is_symlink(p: &Path) -> bool {
    std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The gate's tests read the journal, not the transcript.
    struct Silent;

    impl Transcript for Silent {
        fn plan(&self, _: PlanEntry) {}
        fn message(&self, _: &'static str, _: &str) {}
    }

    fn machine(host: &str, owner: Option<&str>, locked: bool, status: &str) -> MachineFacts {
        MachineFacts {
            system_id: "4y3h7n".into(),
            hostname: host.into(),
            owner: owner.map(str::to_string),
            locked,
            status_name: status.into(),
            power_state: "on".into(),
            juju_model_uuid: None,
            juju_controller_uuid: None,
        }
    }

    fn targets() -> Vec<String> {
        vec!["openstack0".into(), "capi-mgmt".into()]
    }

    #[test]
    fn release_allows_owned_target() {
        assert_eq!(
            guard_release(
                &targets(),
                "admin",
                &machine("openstack0", Some("admin"), false, "Deployed")
            ),
            Ok(())
        );
    }

    #[test]
    fn release_refuses_non_target() {
        let r = guard_release(
            &targets(),
            "admin",
            &machine("db1", Some("admin"), false, "Deployed"),
        )
        .unwrap_err();
        assert_eq!(r.guard, "release.target");
    }

    #[test]
    fn release_refuses_locked() {
        let r = guard_release(
            &targets(),
            "admin",
            &machine("openstack0", Some("admin"), true, "Deployed"),
        )
        .unwrap_err();
        assert_eq!(r.guard, "release.locked");
    }

    #[test]
    fn release_refuses_other_owner() {
        let r = guard_release(
            &targets(),
            "admin",
            &machine("openstack0", Some("bob"), false, "Deployed"),
        )
        .unwrap_err();
        assert_eq!(r.to_string(), "refused by guard `release.owner`: machine `4y3h7n` (openstack0) is owned by `bob`, not `admin`");
        let r = guard_release(
            &targets(),
            "admin",
            &machine("openstack0", None, false, "Deployed"),
        )
        .unwrap_err();
        assert_eq!(r.guard, "release.owner");
    }

    #[test]
    fn release_of_ready_or_releasing_is_noop_ok() {
        assert_eq!(
            guard_release(
                &targets(),
                "admin",
                &machine("openstack0", None, false, "Ready")
            ),
            Ok(())
        );
        assert_eq!(
            guard_release(
                &targets(),
                "admin",
                &machine("openstack0", Some("bob"), false, "Releasing")
            ),
            Ok(())
        );
    }

    fn model(name: &str, ctl: bool) -> ModelFacts {
        ModelFacts {
            name: name.into(),
            qualified: format!("admin/{name}"),
            is_controller: ctl,
            uuid: String::new(),
            controller_uuid: String::new(),
            life: "alive".into(),
        }
    }

    #[test]
    fn destroy_model_branches() {
        let models = vec!["openstack".to_string()];
        let sealed = vec!["openstack".to_string()];
        assert_eq!(
            guard_destroy_model(&models, true, &sealed, &model("openstack", false)),
            Ok(())
        );
        assert_eq!(
            guard_destroy_model(&models, false, &[], &model("openstack", false)),
            Ok(())
        );
        assert_eq!(
            guard_destroy_model(&models, true, &[], &model("openstack", false))
                .unwrap_err()
                .guard,
            "destroy_model.backup"
        );
        assert_eq!(
            guard_destroy_model(&models, true, &sealed, &model("other", false))
                .unwrap_err()
                .guard,
            "destroy_model.scope"
        );
        assert_eq!(
            guard_destroy_model(&models, false, &sealed, &model("openstack", true))
                .unwrap_err()
                .guard,
            "destroy_model.controller"
        );
    }

    #[test]
    fn remove_machine_branches() {
        let models = vec!["openstack".to_string()];
        assert_eq!(
            guard_remove_machine(&models, &model("openstack", false)),
            Ok(())
        );
        assert_eq!(
            guard_remove_machine(&models, &model("controller", true))
                .unwrap_err()
                .guard,
            "remove_machine.controller"
        );
        assert_eq!(
            guard_remove_machine(&models, &model("x", false))
                .unwrap_err()
                .guard,
            "remove_machine.scope"
        );
    }

    #[test]
    fn wipe_branches() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("images");
        std::fs::create_dir(&root).unwrap();
        let disk = root.join("a.qcow2");
        std::fs::write(&disk, b"x").unwrap();
        let outside = tmp.path().join("b.qcow2");
        std::fs::write(&outside, b"x").unwrap();
        assert_eq!(guard_wipe(&root, &disk), Ok(()));
        assert!(guard_wipe(&root, &outside).is_err());
        assert!(guard_wipe(&root, &root.join("../b.qcow2")).is_err());
        assert!(guard_wipe(&root, &root.join("missing.qcow2")).is_err());
        assert!(guard_wipe(&root, &root).is_err());
        std::os::unix::fs::symlink(&outside, root.join("link.qcow2")).unwrap();
        assert!(guard_wipe(&root, &root.join("link.qcow2")).is_err());
        assert!(guard_wipe(&tmp.path().join("nope"), &disk).is_err());
    }

    #[test]
    fn write_backup_branches() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("b-1");
        std::fs::create_dir(&dir).unwrap();
        let dirs = vec![dir.clone()];
        assert_eq!(guard_write_backup(&dirs, &dir, "status.json"), Ok(()));
        assert_eq!(guard_write_backup(&dirs, &dir, "sub/status.json"), Ok(()));
        assert!(guard_write_backup(&dirs, &tmp.path().join("other"), "a").is_err());
        assert!(guard_write_backup(&dirs, &dir, "../escape").is_err());
        assert!(guard_write_backup(&dirs, &dir, "/etc/passwd").is_err());
        assert!(guard_write_backup(&dirs, &dir, "").is_err());
        assert!(guard_write_backup(&dirs, &dir, MANIFEST).is_err());
        std::os::unix::fs::symlink(tmp.path(), dir.join("link")).unwrap();
        assert!(guard_write_backup(&dirs, &dir, "link/x").is_err());
    }

    fn conf() -> Confirmation {
        Confirmation {
            summary: "model openstack: 12 units".into(),
            question: "type the model name to destroy it".into(),
            expected: "openstack".into(),
        }
    }

    #[test]
    fn confirmation_accepts_exact_answer() {
        let mut out = Vec::new();
        assert_eq!(
            confirm_with(&mut &b"openstack\n"[..], &mut out, &conf()),
            Ok(())
        );
        let shown = String::from_utf8(out).unwrap();
        assert!(shown.contains("model openstack: 12 units"));
        assert!(shown.contains("type the model name to destroy it"));
    }

    #[test]
    fn confirmation_declines_wrong_answer_and_eof() {
        let mut out = Vec::new();
        assert!(confirm_with(&mut &b"yes\n"[..], &mut out, &conf())
            .unwrap_err()
            .contains("typed `yes`"));
        assert!(confirm_with(&mut &b""[..], &mut out, &conf())
            .unwrap_err()
            .contains("no answer"));
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

    #[test]
    fn gate_without_terminal_or_yes_declines_destroy() {
        let (_t, g) = gate(false, false, false);
        let mut ran = false;
        let r = g.apply(effect(true), Ok(()), || {
            ran = true;
            Ok(1)
        });
        assert!(matches!(r, Err(GateError::Declined(_))));
        assert!(!ran);
        assert!(matches!(g.stop(), Some(Stop::Refused(_))));
    }

    #[test]
    fn gate_yes_runs_and_journals() {
        let (_t, g) = gate(false, true, false);
        assert!(matches!(
            g.apply(effect(true), Ok(()), || Ok(1)),
            Ok(Applied::Executed(1))
        ));
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
        };
        let r = g
            .admit_each(&[effect(true)], std::slice::from_ref(&facts), None)
            .unwrap();
        assert_eq!(r[0].as_ref().unwrap_err().guard, "backup_dir.scope");
        assert_eq!(g.journal().lines().len(), 1);
        assert!(g.journal().lines()[0].contains("refused"));
        assert!(matches!(g.stop(), Some(Stop::Refused(_))));
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
    fn failed_action_is_journaled() {
        let (_t, g) = gate(false, false, false);
        let r = g.apply(effect(false), Ok(()), || -> anyhow::Result<i32> {
            anyhow::bail!("boom")
        });
        assert!(matches!(r, Err(GateError::Failed(_))));
        assert!(g.journal().lines()[0].contains("\"outcome\":\"failed\""));
        assert!(g.stop().is_none());
    }
}
