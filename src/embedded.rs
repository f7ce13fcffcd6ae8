//! The copies of `runbooks/`, `stdlib/` and `sites/` compiled into the binary, so an
//! installed binary runs anywhere. `build.rs` generates the list: a new `.rhai` file is
//! picked up without editing Rust. Lookup order lives in `resolve.rs`, not here.

mod generated {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

/// The built-in text of `path` (relative, `/`-separated, e.g. `stdlib/state.rhai`).
pub fn get(path: &str) -> Option<&'static str> {
    generated::FILES
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, text)| *text)
}

/// Every built-in path under `dir` (e.g. `runbooks/`), sorted.
pub fn list(dir: &str) -> Vec<&'static str> {
    generated::FILES
        .iter()
        .map(|(p, _)| *p)
        .filter(|p| p.starts_with(dir))
        .collect()
}
