//! cercle side by side with automerge, yrs, loro and diamond-types, on the same work, in
//! one process run. Every figure is printed with the ratio cercle/peer (below 1: cercle is
//! ahead). `--quick` runs every workload at a twentieth of its size, so CI keeps it working.
//!
//! The workloads are defined in BENCHMARKS.md.

mod alloc;
mod baseline;
mod concurrent;
mod crm;
mod perms;
mod table;
mod text;

use std::time::Instant;

pub use table::Table;

#[global_allocator]
static ALLOC: alloc::Counting = alloc::Counting;

/// The size of a run.
#[derive(Clone, Copy, Debug)]
pub struct Scale {
    /// Divides every count of the full workloads.
    pub div: usize,
}

impl Scale {
    /// `n` at this scale.
    pub fn of(self, n: usize) -> usize {
        (n / self.div).max(1)
    }
}

/// Runs `f`, returning its result, the seconds it took and the peak heap above the heap
/// in use when it started.
pub fn measure<T>(f: impl FnOnce() -> T) -> (T, f64, usize) {
    let base = alloc::reset_peak();
    let start = Instant::now();
    let out = f();
    let secs = start.elapsed().as_secs_f64();
    (out, secs, alloc::peak().saturating_sub(base))
}

/// Runs `f` like [`measure`]; when it took under a second, runs it four more times and
/// gives the median time (with the result and peak heap of the first run). One rule for
/// every library: short runs on a shared machine vary by a third from one to the next.
pub fn measure_median<T>(mut f: impl FnMut() -> T) -> (T, f64, usize) {
    let (out, first, heap) = measure(&mut f);
    if first >= 1.0 {
        return (out, first, heap);
    }
    let mut times = vec![first];
    for _ in 0..4 {
        let (again, secs, _) = measure(&mut f);
        drop(again);
        times.push(secs);
    }
    times.sort_by(f64::total_cmp);
    let median = times.get(times.len() / 2).copied().unwrap_or(first);
    (out, median, heap)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    let only: Vec<&str> = args
        .iter()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .map(String::as_str)
        .collect();
    // `--div=N` divides every size by N (`--quick` is `--div=20`).
    let div = args
        .iter()
        .find_map(|a| {
            a.strip_prefix("--div=")
                .and_then(|n| n.parse::<usize>().ok())
        })
        .filter(|&n| n > 0)
        .unwrap_or(if quick { 20 } else { 1 });
    let scale = Scale { div };
    let want = |name: &str| only.is_empty() || only.contains(&name);
    if only == ["baseline"] {
        // Only the Rust figures the binding benchmarks compare with.
        baseline::run(scale);
        return;
    }
    println!(
        "cercle benchmarks ({} size); ratio = cercle / peer, below 1 means cercle is ahead\n",
        if div == 1 {
            "full".to_string()
        } else {
            format!("1/{div}")
        }
    );
    if want("crm") {
        crm::run(scale);
    }
    if want("merge") {
        crm::run_merge(scale);
    }
    if want("text") {
        text::run(scale);
        concurrent::run(scale);
    }
    if want("perms") {
        perms::run(scale);
    }
    if want("verify") {
        perms::run_verify(scale);
    }
}
