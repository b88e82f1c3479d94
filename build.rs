//! Generates the vendor clients from `openapi/invitations.yaml` into `OUT_DIR`.
//!
//! Thin on purpose: read the document (and the files it refers to), hand it
//! to the generator (`invitations-codegen`, in `crates/codegen`), write one
//! file per vendor. A broken
//! document stops the build with one message naming the file, the line and
//! the problem. Files are read only from inside the crate's own folder
//! (`CARGO_MANIFEST_DIR`): a `$ref` that leads elsewhere stops the build.

use invitations_codegen as codegen;

use std::path::PathBuf;

const DOCUMENT: &str = "openapi/invitations.yaml";

fn main() {
    // Regenerate when the document (or anything beside it) changes; edits to
    // the hand-written facade in `src/` do not rerun generation. Cargo reruns
    // the script anyway when the generator (a build-dependency) changes.
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
    // Other files the document refers to are read from its folder, and
    // never from outside the crate's own folder; the document too is read
    // as they are (a regular file, within the size limit).
    let folder = path.parent().ok_or("the document has no folder")?;
    let local = codegen::LocalFiles::new(&manifest_dir, "the crate's folder", folder)
        .map_err(|e| format!("{DOCUMENT}: cannot read the document's folder: {e}"))?;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or("the document has no file name")?;
    let text = local
        .load(name)
        .map_err(|e| format!("{DOCUMENT}: cannot read the document: {e}"))?;
    let load = |relative: &str| local.load(relative);
    let (modules, files) =
        codegen::generate_with(DOCUMENT, &text, &codegen::Options::default(), Some(&load))
            .map_err(|e| e.to_string())?;
    // Files outside `openapi/` are watched one by one.
    for file in files.iter().filter(|f| f.starts_with("..")) {
        println!("cargo::rerun-if-changed=openapi/{file}");
    }
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
