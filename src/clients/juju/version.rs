//! Which Juju this is: `juju version` decides the output family the parsers expect.
//!
//! The client binary decides the shape of its JSON (a 4.x client prints 4.x JSON even
//! against a 3.6 controller), so the family comes from the local `juju version`, read once
//! per run. 3.x (3.0–3.6) and 4.x are supported; 2.9 and any other major are refused with
//! the version they printed, before any other command runs.

use anyhow::{bail, Result};

/// The output families runbook reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Family {
    /// Juju 3.0–3.6: model entries carry `owner`.
    Juju3,
    /// Juju 4.x: no `owner` (nor `qualifier`); the qualifier is the part of `name` before `/`.
    Juju4,
}

/// What `juju version` said.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct JujuVersion {
    /// E.g. `3.6.24` or `4.0.16` (the part before the first `-`).
    pub number: String,
    pub major: u32,
    pub minor: u32,
    pub family: Family,
}

/// Parses `juju version` output: `3.6.24-genericlinux-amd64`, `4.0.16-ubuntu-amd64`,
/// `4.0-beta5-ubuntu-amd64`. `command` names the command in errors.
pub fn parse_version(command: &str, output: &str) -> Result<JujuVersion> {
    let text = output.trim();
    let Some(first) = text.lines().next().filter(|l| !l.trim().is_empty()) else {
        bail!(
            "`{command}` printed nothing; expected a version such as `3.6.24-genericlinux-amd64`"
        );
    };
    let first = first.trim();
    let shown: String = first
        .chars()
        .take(80)
        .collect::<String>()
        .escape_debug()
        .to_string();
    let number = first.split('-').next().unwrap_or_default();
    let mut parts = number.split('.');
    let major = parts.next().and_then(|p| p.parse::<u32>().ok());
    let minor = parts
        .next()
        .map(|p| {
            let digits: String = p.chars().take_while(char::is_ascii_digit).collect();
            digits.parse::<u32>().ok()
        })
        .unwrap_or(Some(0));
    let (Some(major), Some(minor)) = (major, minor) else {
        bail!(
            "`{command}` printed `{shown}`, which is not a Juju version (expected e.g. `3.6.24-genericlinux-amd64`); is `juju` the Juju CLI?"
        );
    };
    let family = match major {
        3 => Family::Juju3,
        4 => Family::Juju4,
        2 => bail!(
            "`{command}` says Juju {number}: Juju 2.x is not supported (its output differs); use a Juju 3.6 or 4.0 client"
        ),
        _ => bail!(
            "`{command}` says Juju {number}: major version {major} is not one runbook knows (it reads Juju 3.x and 4.x); use a Juju 3.6 or 4.0 client"
        ),
    };
    Ok(JujuVersion {
        number: number.to_string(),
        major,
        minor,
        family,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_majors_parse() {
        let v = parse_version("juju version", "3.6.24-genericlinux-amd64\n").unwrap();
        assert_eq!((v.major, v.minor, v.family), (3, 6, Family::Juju3));
        assert_eq!(v.number, "3.6.24");
        let v = parse_version("juju version", "4.0.16-ubuntu-amd64\n").unwrap();
        assert_eq!((v.major, v.minor, v.family), (4, 0, Family::Juju4));
        let v = parse_version("juju version", "4.0-beta5-ubuntu-amd64").unwrap();
        assert_eq!((v.major, v.minor, v.family), (4, 0, Family::Juju4));
    }

    #[test]
    fn other_majors_and_junk_are_clear_errors() {
        for (out, want) in [
            ("2.9.46-ubuntu-amd64\n", "Juju 2.x is not supported"),
            ("5.0.1-ubuntu-amd64\n", "major version 5"),
            ("", "printed nothing"),
            ("\n\n", "printed nothing"),
            ("version: 3.6.1\n", "not a Juju version"),
            ("{\"version\":\"3.6.1\"}", "not a Juju version"),
        ] {
            let e = format!("{:#}", parse_version("juju version", out).unwrap_err());
            assert!(e.contains(want), "{out:?}: {e}");
            assert!(e.contains("`juju version`"), "{e}");
        }
    }
}
