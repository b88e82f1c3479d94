//! What the benchmarks measure with: the median wall time of a closure,
//! and a program's peak memory (maximum resident set, from
//! `/usr/bin/time -f %M` where it exists), with how they are printed. Used
//! by `crates/cli/benches/{diff,drift}.rs`.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// Median wall time of `runs` runs of `f`.
pub fn median(runs: usize, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..runs.max(1))
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

/// A duration in whole milliseconds: `28 ms`.
pub fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1e3)
}

/// Peak memory of one run of `program` with `args` in `dir`, in MiB, when
/// `/usr/bin/time` can tell it.
pub fn peak_mib(program: &Path, args: &[&str], dir: &Path) -> Option<f64> {
    let time = Path::new("/usr/bin/time");
    if !time.exists() {
        return None;
    }
    let output = Command::new(time)
        .args(["-f", "peak-kib %M"])
        .arg(program)
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    let kib: f64 = stderr
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("peak-kib "))?
        .trim()
        .parse()
        .ok()?;
    Some(kib / 1024.0)
}

/// A peak as printed: `12.1 MiB`, or `n/a` without `/usr/bin/time`.
pub fn mib(m: Option<f64>) -> String {
    m.map_or_else(|| "n/a".to_owned(), |m| format!("{m:.1} MiB"))
}
