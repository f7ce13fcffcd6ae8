//! The gate's answer as the Rhai error a primitive returns.

use crate::effects::effect::GateError;

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
