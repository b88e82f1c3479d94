//! Puts the vendor clients' code in `OUT_DIR`, one way or the other:
//!
//! - with the feature `regenerate` (a default feature: what maintainers
//!   use), it reads the document (and the files it refers to), hands it to
//!   the generator (`invitations-codegen`, in `crates/codegen`) and writes
//!   one file per vendor and per vendor's mocks, each headed by what it was
//!   generated from ([`header`]). A broken document stops the build with one
//!   message naming the file, the line and the problem. Files are read only
//!   from inside the crate's own folder (`CARGO_MANIFEST_DIR`): a `$ref` that
//!   leads elsewhere stops the build.
//! - without it (an importer's `default-features = false`), it copies the
//!   committed code of `generated/` (the same files, reviewed, refreshed by
//!   the generated-code test) after checking that the document is still the
//!   one it was generated from: the hash in each file's header against the
//!   document's bytes as they are. If the document changed, the build stops
//!   with one error naming it and the command that refreshes the code.
//!
//! Either way the modules are the same bytes, so the crate is the same.

use std::path::{Path, PathBuf};

/// The document, relative to the crate's folder.
#[cfg_attr(not(feature = "regenerate"), allow(dead_code))]
const DOCUMENT: &str = "openapi/invitations.yaml";
/// The committed generated code, relative to the crate's folder.
#[cfg_attr(feature = "regenerate", allow(dead_code))]
const GENERATED: &str = "generated";
/// The command that refreshes `generated/` from the document.
#[cfg_attr(feature = "regenerate", allow(dead_code))]
const REFRESH: &str = "INVITATIONS_UPDATE_SNAPSHOTS=1 cargo test --test generated_code";

fn main() {
    // Regenerate (or check again) when the document (or anything beside it)
    // changes; edits to the hand-written facade in `src/` do not rerun this.
    // Cargo reruns the script anyway when the generator (a build-dependency)
    // changes.
    println!("cargo::rerun-if-changed=openapi");
    #[cfg(not(feature = "regenerate"))]
    println!("cargo::rerun-if-changed={GENERATED}");

    if let Err(message) = run() {
        // One clear error; no panic, no backtrace. Cargo fails the build on
        // `cargo::error` by itself; a non-zero exit would add a dump of the
        // script's whole output around the message.
        for line in message.lines() {
            println!("cargo::error={line}");
        }
    }
}

/// The crate's folder and `OUT_DIR`.
fn folders() -> Result<(PathBuf, PathBuf), String> {
    let manifest_dir = PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").ok_or("CARGO_MANIFEST_DIR is not set")?,
    );
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?);
    Ok((manifest_dir, out_dir))
}

#[cfg(feature = "regenerate")]
fn run() -> Result<(), String> {
    use invitations_codegen as codegen;

    let (manifest_dir, out_dir) = folders()?;
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
    // What the code was generated from, as the crate's folder names it.
    let sources: Vec<String> = std::iter::once(DOCUMENT.to_owned())
        .chain(files.iter().map(|f| format!("openapi/{f}")))
        .collect();
    let head = header(&sources, document_hash(&manifest_dir, &sources)?);
    for module in modules {
        for (name, code) in [
            (format!("{}.rs", module.vendor), module.code),
            (format!("{}_mock.rs", module.vendor), module.mock),
        ] {
            let target = out_dir.join(name);
            std::fs::write(&target, format!("{head}{code}"))
                .map_err(|e| format!("cannot write {}: {e}", target.display()))?;
        }
    }
    Ok(())
}

#[cfg(not(feature = "regenerate"))]
fn run() -> Result<(), String> {
    let (manifest_dir, out_dir) = folders()?;
    let generated = manifest_dir.join(GENERATED);
    let mut names: Vec<String> = std::fs::read_dir(&generated)
        .map_err(|e| format!("cannot read {GENERATED}/: {e}"))?
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".rs"))
        .collect();
    names.sort();
    if names.is_empty() {
        return Err(format!(
            "{GENERATED}/ holds no generated code; run {REFRESH}"
        ));
    }
    for name in names {
        let code = std::fs::read_to_string(generated.join(&name))
            .map_err(|e| format!("cannot read {GENERATED}/{name}: {e}"))?;
        let (sources, hash) = parse_header(&code).ok_or_else(|| {
            format!(
                "{GENERATED}/{name} has no header saying what it was generated from; run {REFRESH}"
            )
        })?;
        if document_hash(&manifest_dir, &sources)? != hash {
            return Err(format!(
                "{} changed since {GENERATED}/{name} was generated from it; refresh the generated code with: {REFRESH} (or build with the feature `regenerate`)",
                sources.join(", ")
            ));
        }
        let target = out_dir.join(&name);
        std::fs::write(&target, code)
            .map_err(|e| format!("cannot write {}: {e}", target.display()))?;
    }
    Ok(())
}

/// The first lines of each generated file, before the generator's own
/// `@generated` line: which files (relative to the crate's folder) it was
/// generated from and the hash of their bytes ([`document_hash`]), which a
/// build without `regenerate` checks.
#[cfg_attr(not(feature = "regenerate"), allow(dead_code))]
fn header(sources: &[String], hash: u64) -> String {
    let mut out = String::new();
    for source in sources {
        out.push_str(&format!("// generated from: {source}\n"));
    }
    out.push_str(&format!("// document hash (fnv-1a 64): {hash:016x}\n"));
    out
}

/// The files and the hash a [`header`] names.
#[cfg_attr(feature = "regenerate", allow(dead_code))]
fn parse_header(code: &str) -> Option<(Vec<String>, u64)> {
    let mut sources = Vec::new();
    for line in code.lines() {
        if let Some(source) = line.strip_prefix("// generated from: ") {
            sources.push(source.to_owned());
        } else if let Some(hash) = line.strip_prefix("// document hash (fnv-1a 64): ") {
            let hash = u64::from_str_radix(hash.trim(), 16).ok()?;
            return (!sources.is_empty()).then_some((sources, hash));
        } else {
            return None;
        }
    }
    None
}

/// FNV-1a (64 bits) over each source's path and bytes, in order: enough to
/// tell that a file changed (it guards against forgetting to refresh, not
/// against forgery), and the same on every platform and Rust release.
fn document_hash(manifest_dir: &Path, sources: &[String]) -> Result<u64, String> {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash = OFFSET;
    let mut feed = |bytes: &[u8]| {
        for byte in bytes {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(PRIME);
        }
    };
    for source in sources {
        let bytes = std::fs::read(manifest_dir.join(source))
            .map_err(|e| format!("cannot read {source}: {e}"))?;
        feed(source.as_bytes());
        feed(&[0]);
        feed(&(bytes.len() as u64).to_le_bytes());
        feed(&bytes);
    }
    Ok(hash)
}
