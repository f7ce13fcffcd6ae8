//! The gate's answer as the Rhai error a primitive returns.

use crate::effects::effect::GateError;
use crate::stop::Stop;

impl GateError {
    /// The Rhai error a primitive returns; the engine adds the script position.
    /// Refusals and declines carry their [`Stop`] and end the run (scripts cannot catch
    /// them); failures can be caught.
    pub fn into_rhai(self) -> Box<rhai::EvalAltResult> {
        match self {
            GateError::Refused(r) => Stop::Refused(r.to_string()).into_rhai(),
            GateError::Declined(stop) => stop.into_rhai(),
            GateError::Failed(e) => format!("{e:#}").into(),
        }
    }
}
