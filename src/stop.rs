//! Why a script stopped before its end — a refusal, `halt()`, a signal — carried inside the
//! script error that stops it, so how a run ended is read from that error, never from state
//! kept on the side.
//!
//! The carrier is Rhai's `ErrorTerminated`, which `try`/`catch` cannot catch: a script
//! cannot swallow a refusal and go on. Rhai shows a custom type by its type name, so every
//! place that shows a script error (`diagnostic`) asks [`Stop::of_token`] for the text.

use rhai::{Dynamic, EvalAltResult, Position};

/// Why a script stopped; `outcome::Ending` maps it to the exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// A guard refused, or a confirmation was declined or could not be given: exit 4.
    Refused(String),
    /// `halt(reason)`: routing stopped, a human must investigate: exit 3.
    Halted(String),
    /// A signal (or Ctrl-C at a prompt) stopped it: exit 128 + the signal.
    Interrupted(String),
}

impl Stop {
    /// The script error that carries this stop; the engine adds the script position.
    pub fn into_rhai(self) -> Box<EvalAltResult> {
        EvalAltResult::ErrorTerminated(Dynamic::from(self), Position::NONE).into()
    }

    /// The stop `err` carries, through the calls and module imports that wrap it.
    pub fn of(err: &EvalAltResult) -> Option<Stop> {
        match err {
            EvalAltResult::ErrorInFunctionCall(_, _, inner, _)
            | EvalAltResult::ErrorInModule(_, inner, _) => Stop::of(inner),
            EvalAltResult::ErrorTerminated(token, _) => Stop::of_token(token),
            _ => None,
        }
    }

    /// The stop in an `ErrorTerminated` token (the engine's progress callback returns one).
    pub fn of_token(token: &Dynamic) -> Option<Stop> {
        token.read_lock::<Stop>().map(|s| s.clone())
    }
}

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stop::Refused(text) | Stop::Interrupted(text) => f.write_str(text),
            Stop::Halted(reason) => write!(f, "stopped: {reason}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stop_survives_calls_and_scripts_cannot_catch_it() {
        let mut engine = rhai::Engine::new();
        engine.register_fn("refuse", || -> Result<(), Box<EvalAltResult>> {
            Err(Stop::Refused("refused by guard `g`: no".into()).into_rhai())
        });
        let err = engine
            .run("fn f() { refuse() }\ntry { f(); } catch (e) { print(\"caught\"); }\n1")
            .unwrap_err();
        assert_eq!(
            Stop::of(&err),
            Some(Stop::Refused("refused by guard `g`: no".into()))
        );
        let plain = engine.run("throw \"boom\"").unwrap_err();
        assert_eq!(Stop::of(&plain), None);
        assert_eq!(
            Stop::Halted("ANOMALY".into()).to_string(),
            "stopped: ANOMALY"
        );
    }
}
