//! The Rhai engine's limits, set explicitly because Rhai's defaults differ between debug and
//! release builds. The run's engine (`engine`), the site-script evaluator (`config`) and the
//! diagnostics that name a limit (`diagnostic`) all read them from here.

pub const MAX_OPERATIONS: u64 = 20_000_000;
pub const MAX_CALL_LEVELS: usize = 64;
pub const MAX_EXPR_DEPTH: usize = 128;
pub const MAX_FN_EXPR_DEPTH: usize = 64;
pub const MAX_STRING_SIZE: usize = 64 * 1024 * 1024;
pub const MAX_ARRAY_SIZE: usize = 1_000_000;
pub const MAX_MAP_SIZE: usize = 1_000_000;
pub const MAX_MODULES: usize = 256;
