//! Timing, memory and table helpers shared by every section.

use std::time::{Duration, Instant};

/// Runs `f` `runs` times (after one untimed warm-up) and returns the median wall time.
pub fn median<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    std::hint::black_box(f());
    let mut times: Vec<Duration> = (0..runs.max(1))
        .map(|_| {
            let started = Instant::now();
            std::hint::black_box(f());
            started.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

/// Times `a` and `b` in alternating batches (after one warm-up each) so load changes on a
/// shared machine hit both alike; returns both medians.
pub fn paired<A, B>(
    runs: usize,
    mut a: impl FnMut() -> A,
    mut b: impl FnMut() -> B,
) -> (Duration, Duration) {
    std::hint::black_box(a());
    std::hint::black_box(b());
    let mut ta = Vec::new();
    let mut tb = Vec::new();
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        std::hint::black_box(a());
        ta.push(started.elapsed());
        let started = Instant::now();
        std::hint::black_box(b());
        tb.push(started.elapsed());
    }
    ta.sort();
    tb.sort();
    (ta[ta.len() / 2], tb[tb.len() / 2])
}

/// Times one run of `f` (no warm-up): for long runs that change state.
pub fn once<T>(f: impl FnOnce() -> T) -> (Duration, T) {
    let started = Instant::now();
    let value = f();
    (started.elapsed(), value)
}

/// This process's peak resident set size so far (`VmHWM`), in bytes.
pub fn peak_rss() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

pub fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms >= 100.0 {
        format!("{ms:.0} ms")
    } else if ms >= 1.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{:.1} µs", ms * 1000.0)
    }
}

pub fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

pub fn ratio(a: f64, b: f64) -> String {
    if b == 0.0 {
        "-".to_string()
    } else {
        format!("{:.2}x", a / b)
    }
}

/// A Markdown table printed as rows arrive (so a long section shows progress).
pub struct Table {
    widths: Vec<usize>,
}

impl Table {
    pub fn new(title: &str, header: &[&str]) -> Table {
        println!("\n### {title}\n");
        let widths: Vec<usize> = header.iter().map(|h| h.chars().count().max(10)).collect();
        let table = Table { widths };
        table.row(header.iter().map(|h| h.to_string()).collect());
        println!(
            "|{}|",
            table
                .widths
                .iter()
                .map(|w| "-".repeat(w + 2))
                .collect::<Vec<_>>()
                .join("|")
        );
        table
    }

    pub fn row(&self, cells: Vec<String>) {
        let cells: Vec<String> = cells
            .iter()
            .zip(&self.widths)
            .map(|(c, w)| format!(" {c:<w$} "))
            .collect();
        println!("|{}|", cells.join("|"));
    }
}
