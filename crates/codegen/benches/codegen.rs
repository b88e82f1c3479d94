//! Code generation cost: our document against synthetic documents of about
//! 10, 100 and 1,000 operations, through the same module build.rs uses.
//! Prints milliseconds per run and how the time grows with the operation
//! count (a ratio measured in this run). Run: `cargo bench -p invitations-codegen --bench codegen`.

use invitations_test_support::synthetic;

use invitations_codegen as codegen;
use synthetic::synthetic_document;

use std::time::{Duration, Instant};

/// Median wall time of `runs` generations of `text`.
fn measure(name: &str, text: &str, runs: usize) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            let modules = codegen::generate(name, text, &codegen::Options::default())
                .unwrap_or_else(|e| panic!("{e}"));
            let elapsed = start.elapsed();
            assert!(!modules.is_empty());
            elapsed
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let ours = include_str!("../../../openapi/invitations.yaml");
    let ours_ops = 4;
    let t = measure("openapi/invitations.yaml", ours, 5);
    println!(
        "codegen openapi/invitations.yaml ({ours_ops} operations): {:.1} ms",
        t.as_secs_f64() * 1e3
    );

    let mut previous: Option<(usize, Duration)> = None;
    for (n, runs) in [(10, 5), (100, 3), (1000, 1)] {
        let doc = synthetic_document(n);
        let t = measure("synthetic.yaml", &doc, runs);
        print!(
            "codegen synthetic ({n} operations, {} KiB): {:.1} ms, {:.2} ms/operation",
            doc.len() / 1024,
            t.as_secs_f64() * 1e3,
            t.as_secs_f64() * 1e3 / n as f64
        );
        if let Some((pn, pt)) = previous {
            let growth = t.as_secs_f64() / pt.as_secs_f64();
            let size = n as f64 / pn as f64;
            print!("; x{size:.0} operations took x{growth:.1} the time");
        }
        println!();
        previous = Some((n, t));
    }
}
