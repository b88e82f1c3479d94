//! `invitations drift` against the whole vendored Automox definition
//! (`tests/data/vendor/automox/axconsoleAIO.yaml`, about 360 KB of
//! OpenAPI 3.1), measured in one run against the floor of the same work:
//! reading the definition's YAML alone. Prints the median time of the
//! comparison in the process (`drift::compare`, which reads both documents,
//! normalises the vendor's schemas, pairs and judges), its ratio to the
//! YAML read, and the whole program's median wall time and peak memory
//! (maximum resident set, from `/usr/bin/time -f %M` where it exists)
//! beside those of `invitations --version` (the program doing nothing).
//! The target: the program under 1 s. Run:
//! `cargo bench -p invitations-cli --bench drift`.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use invitations_codegen as codegen;
use invitations_test_support::measure::{median, mib, ms, peak_mib};
use invitations_test_support::workspace_root;

fn main() {
    let root = workspace_root();
    let vendor_path = "tests/data/vendor/automox/axconsoleAIO.yaml";
    let ours_path = "openapi/invitations.yaml";
    let vendor = std::fs::read_to_string(root.join(vendor_path)).expect("the vendored definition");
    let ours = std::fs::read_to_string(root.join(ours_path)).expect("the document");
    let runs = 15;

    let report = invitations_cli::drift::compare(
        (ours_path, &ours, None),
        (vendor_path, &vendor, None),
        "automox",
    )
    .expect("the drift runs");
    let compare = median(runs, || {
        let _ = invitations_cli::drift::compare(
            (ours_path, &ours, None),
            (vendor_path, &vendor, None),
            "automox",
        );
    });
    let read = median(runs, || {
        let _ = codegen::parse_yaml(&vendor);
    });

    let program = env!("CARGO_BIN_EXE_invitations");
    let args = [
        "drift",
        vendor_path,
        "--vendor",
        "automox",
        "--format",
        "json",
    ];
    let run = |args: &[&str]| {
        let status = Command::new(program)
            .args(args)
            .current_dir(&root)
            .stdout(std::process::Stdio::null())
            .status()
            .expect("the program runs");
        assert!(status.code().is_some_and(|c| c <= 1), "{args:?}: {status}");
    };
    let whole = median(runs, || run(&args));
    let idle = median(runs, || run(&["--version"]));

    println!(
        "drift of {ours_path} against {vendor_path} ({} KB, {} changes)",
        vendor.len() / 1000,
        report.changes.len()
    );
    println!(
        "in process: drift::compare {} vs reading the definition's YAML alone {}: {:.2}x",
        ms(compare),
        ms(read),
        compare.as_secs_f64() / read.as_secs_f64()
    );
    println!(
        "the program: `invitations drift` {} (target: under 1 s: {}), `invitations --version` {}",
        ms(whole),
        if whole < Duration::from_secs(1) {
            "met"
        } else {
            "MISSED"
        },
        ms(idle)
    );
    println!(
        "peak memory: `invitations drift` {}, `invitations --version` {}",
        mib(peak_mib(Path::new(program), &args, &root)),
        mib(peak_mib(Path::new(program), &["--version"], &root))
    );
}
