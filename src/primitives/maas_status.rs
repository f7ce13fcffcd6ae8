//! The `maas_status` family: MAAS's status codes by name, from the MAAS client's one table
//! ([`crate::clients::maas::STATUS_NAMES`]), so scripts carry no bare status numbers.

use rhai::plugin::*;

use crate::clients::maas::{status_code, status_name, STATUS_NAMES};
use crate::effects::EffectClass;
use crate::primitives::support::RhaiResult;

/// Each primitive's effect class, declared once: `runbook doc` shows it and the gate is
/// given it (see `primitives::effect_class`).
pub const EFFECTS: &[(&str, EffectClass)] = &[
    ("maas_status", EffectClass::Read),
    ("maas_status_name", EffectClass::Read),
];

/// The code of status `name`, or an error listing MAAS's names (a typo is never a number).
pub fn code(name: &str) -> RhaiResult<i64> {
    status_code(name).ok_or_else(|| {
        format!(
            "`{name}` is not a MAAS status; the statuses are: {}",
            STATUS_NAMES.join(", ")
        )
        .into()
    })
}

#[export_module]
pub mod maas_status_functions {
    /// The status code MAAS gives a status name (`status` in a machine map), e.g. `Ready`
    /// → 4. Errors on a name MAAS does not have, listing them.
    ///
    /// ```rhai
    /// let ready = maas_machines().filter(|m| m.status == maas_status("Ready"));
    /// ```
    #[rhai_fn(return_raw)]
    pub fn maas_status(name: &str) -> RhaiResult<i64> {
        super::code(name)
    }

    /// The name MAAS gives a status code, e.g. 4 → `Ready`; `Unknown` for a code MAAS does
    /// not have.
    ///
    /// ```rhai
    /// for m in maas_machines() { print(`${m.hostname}: ${maas_status_name(m.status)}`); }
    /// ```
    pub fn maas_status_name(code: i64) -> String {
        super::status_name(code).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_codes_are_one_table() {
        assert_eq!(code("Ready").unwrap(), 4);
        assert_eq!(code("Releasing").unwrap(), 12);
        assert_eq!(code("Disk erasing").unwrap(), 14);
        assert_eq!(code("Failed testing").unwrap(), 22);
        for (i, name) in STATUS_NAMES.iter().enumerate() {
            assert_eq!(status_name(code(name).unwrap()), *name, "{i}");
        }
        assert_eq!(status_name(99), "Unknown");
    }

    #[test]
    fn a_misspelt_name_is_an_error_listing_the_names() {
        let e = code("Redy").unwrap_err().to_string();
        assert!(
            e.contains("`Redy` is not a MAAS status; the statuses are: New, Commissioning,"),
            "{e}"
        );
    }
}
