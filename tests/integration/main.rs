//! The integration test crate: one module per area, all driving the built binary through
//! the builder in `common`.

mod common;

mod check;
mod cli;
mod diagnostics;
mod doc;
mod engine;
mod files;
mod repl;
mod report;
mod resolve;
mod sites;
