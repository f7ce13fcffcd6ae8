//! MAAS status codes (the status table of docs/formats.md): the codes a teardown relies on,
//! and the name MAAS gives each one. Base logic on the code, not on the name.

pub const NEW: i64 = 0;
pub const READY: i64 = 4;
pub const ALLOCATED: i64 = 10;
pub const DEPLOYED: i64 = 6;
pub const RELEASING: i64 = 12;
pub const DISK_ERASING: i64 = 14;

/// The name MAAS gives a status code.
pub fn status_name(code: i64) -> &'static str {
    usize::try_from(code)
        .ok()
        .and_then(|i| STATUS_NAMES.get(i))
        .copied()
        .unwrap_or("Unknown")
}

/// The status code MAAS gives a name (`None`: no such status).
pub fn status_code(name: &str) -> Option<i64> {
    STATUS_NAMES
        .iter()
        .position(|n| *n == name)
        .and_then(|i| i64::try_from(i).ok())
}

/// MAAS's status names, by code (the status table of docs/formats.md); scripts read them
/// by name (`maas_status`).
pub const STATUS_NAMES: [&str; 23] = [
    "New",
    "Commissioning",
    "Failed commissioning",
    "Missing",
    "Ready",
    "Reserved",
    "Deployed",
    "Retired",
    "Broken",
    "Deploying",
    "Allocated",
    "Failed deployment",
    "Releasing",
    "Releasing failed",
    "Disk erasing",
    "Failed disk erasing",
    "Rescue mode",
    "Entering rescue mode",
    "Failed to enter rescue mode",
    "Exiting rescue mode",
    "Failed to exit rescue mode",
    "Testing",
    "Failed testing",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_names() {
        assert_eq!(status_name(0), "New");
        assert_eq!(status_name(14), "Disk erasing");
        assert_eq!(status_name(22), "Failed testing");
        assert_eq!(status_name(23), "Unknown");
        assert_eq!(status_name(-1), "Unknown");
    }
}
