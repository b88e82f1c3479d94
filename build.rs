//! Generates the vendor clients from `openapi/invitations.yaml` into `OUT_DIR`.
//!
//! Thin on purpose: read the document, hand it to the generation module that
//! the library shares (`src/codegen.rs`), write one file per vendor. A broken
//! document stops the build with one message naming the file, the line and
//! the problem.

#[path = "src/codegen/mod.rs"]
#[allow(dead_code, unused_imports)] // the library and tools use parts that the build does not
mod codegen;

use std::path::PathBuf;

const DOCUMENT: &str = "openapi/invitations.yaml";

fn main() {
    // Regenerate when the document (or anything beside it) changes; edits to
    // the hand-written facade in `src/` do not rerun generation. Cargo reruns
    // the script anyway when `src/codegen.rs`, part of the script, changes.
    println!("cargo::rerun-if-changed=openapi");

    if let Err(message) = run() {
        // One clear error; no panic, no backtrace. Cargo fails the build on
        // `cargo::error` by itself; a non-zero exit would add a dump of the
        // script's whole output around the message.
        for line in message.lines() {
            println!("cargo::error={line}");
        }
    }
}

fn run() -> Result<(), String> {
    let manifest_dir = PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").ok_or("CARGO_MANIFEST_DIR is not set")?,
    );
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?);
    let path = manifest_dir.join(DOCUMENT);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("{DOCUMENT}: cannot read the document: {e}"))?;
    let modules = codegen::generate(DOCUMENT, &text, &codegen::Options::default())
        .map_err(|e| e.to_string())?;
    for module in modules {
        for (name, code) in [
            (format!("{}.rs", module.vendor), module.code),
            (format!("{}_mock.rs", module.vendor), module.mock),
        ] {
            let target = out_dir.join(name);
            std::fs::write(&target, code)
                .map_err(|e| format!("cannot write {}: {e}", target.display()))?;
        }
    }
    Ok(())
}
