//! Throwaway crates holding the code generated from one document, compiled
//! with the same dependency versions as the invitations crate itself.
//!
//! Used by the generator's feature corpus and the semver referee of
//! `invitations diff`. A scratch crate is `Cargo.toml` (the generated code's
//! dependencies, copied from the invitations crate's own `Cargo.toml`),
//! `Cargo.lock` (copied too, so the versions match and `--offline` works),
//! `src/lib.rs` and, per vendor, `src/VENDOR.rs` and `src/VENDOR_mock.rs`.
//! Every scratch crate builds in [`target_dir`], so the dependencies compile
//! once.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use invitations_codegen::{self as codegen, GenerateError, Options};

/// The dependencies generated code uses, taken from the invitations crate's
/// `[dependencies]`.
const DEPENDENCIES: [&str; 7] = [
    "progenitor-client",
    "reqwest",
    "serde",
    "serde_json",
    "chrono",
    "uuid",
    "regress",
];

/// The dependencies of the generated mocks, behind the scratch crate's `mock`
/// feature (optional in the invitations crate too).
const MOCK_DEPENDENCIES: [&str; 2] = ["httpmock", "regex"];

/// The lints the invitations crate allows on its generated modules.
const ALLOWED_LINTS: &str =
    "#[allow(missing_docs, unused_imports, clippy::all, clippy::pedantic, rustdoc::all)]";

/// The invitations package's folder (the workspace root), whose
/// `Cargo.toml` and `Cargo.lock` scratch crates copy.
fn manifest_dir() -> PathBuf {
    crate::workspace_root()
}

/// Writes a crate at `dir` holding the code generated from `text` (named
/// `file` in errors): Cargo.toml, Cargo.lock (copied from the invitations
/// crate so versions match and no network is needed), src/lib.rs,
/// `src/VENDOR.rs` and `src/VENDOR_mock.rs` per vendor. Returns the vendors'
/// names. Files of an earlier crate at `dir` are replaced; leftover vendor
/// files are removed.
pub fn write_crate(dir: &Path, file: &str, text: &str) -> Result<Vec<String>, GenerateError> {
    let generated = codegen::generate(file, text, &Options::default())?;

    let src = dir.join("src");
    if src.exists() {
        std::fs::remove_dir_all(&src).unwrap_or_else(|e| panic!("removing {}: {e}", src.display()));
    }
    std::fs::create_dir_all(&src).unwrap_or_else(|e| panic!("creating {}: {e}", src.display()));
    write(&dir.join("Cargo.toml"), &manifest());
    let lock = std::fs::read_to_string(manifest_dir().join("Cargo.lock"))
        .expect("the invitations crate has a Cargo.lock");
    write(&dir.join("Cargo.lock"), &lock);

    // What the generated code names of the facade: its error, the hooks'
    // inner type and `send`, and the response readers (here progenitor's
    // own).
    let mut lib = format!(
        "//! Code generated from {file}, compiled by the invitations crate's tests.\n\n\
         pub use progenitor_client::Error;\n\n\
         pub mod hooks {{\n    #[derive(Clone, Debug, Default)]\n    pub struct Inner;\n\n    \
         pub async fn send<E>(\n        client: &impl progenitor_client::ClientInfo<Inner>,\n        \
         request: reqwest::Request,\n        _info: &progenitor_client::OperationInfo,\n    \
         ) -> Result<reqwest::Response, progenitor_client::Error<E>> {{\n        \
         Ok(client.client().execute(request).await?)\n    }}\n}}\n\n\
         pub mod body_limit {{\n    pub async fn from_response<T: serde::de::DeserializeOwned, E>(\n        \
         response: reqwest::Response,\n    ) -> Result<progenitor_client::ResponseValue<T>, progenitor_client::Error<E>> {{\n        \
         progenitor_client::ResponseValue::from_response(response).await\n    }}\n\n    \
         pub async fn error_from_response<E: serde::de::DeserializeOwned>(\n        \
         response: reqwest::Response,\n    ) -> Result<progenitor_client::ResponseValue<E>, progenitor_client::Error<E>> {{\n        \
         progenitor_client::ResponseValue::from_response(response).await\n    }}\n}}\n"
    );
    let mut vendors = Vec::new();
    for code in generated {
        let vendor = &code.vendor;
        write(&src.join(format!("{vendor}.rs")), &code.code);
        write(&src.join(format!("{vendor}_mock.rs")), &code.mock);
        write!(
            lib,
            "\n{ALLOWED_LINTS}\npub mod {vendor} {{\n    include!(\"{vendor}.rs\");\n\n    \
             #[cfg(feature = \"mock\")]\n    pub mod mock {{\n        include!(\"{vendor}_mock.rs\");\n    }}\n}}\n"
        )
        .unwrap();
        vendors.push(code.vendor);
    }
    write(&src.join("lib.rs"), &lib);
    Ok(vendors)
}

/// The target directory all scratch crates share, so dependencies compile
/// once: `<CARGO_TARGET_DIR or target>/scratch`.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|d| {
            if d.is_relative() {
                manifest_dir().join(d)
            } else {
                d
            }
        })
        .unwrap_or_else(|| manifest_dir().join("target"))
        .join("scratch")
}

/// `cargo check --all-features --offline --quiet` on the crate at `dir`
/// (with `CARGO_TARGET_DIR` = [`target_dir`]).
pub fn check(dir: &Path) -> Output {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    Command::new(cargo)
        .args(["check", "--all-features", "--offline", "--quiet"])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target_dir())
        .output()
        .unwrap_or_else(|e| panic!("running cargo check in {}: {e}", dir.display()))
}

fn write(path: &Path, contents: &str) {
    std::fs::write(path, contents).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
}

/// The scratch crate's Cargo.toml: the generated code's dependencies exactly
/// as the invitations crate declares them.
fn manifest() -> String {
    let path = manifest_dir().join("Cargo.toml");
    let real = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let edition = section(&real, "package")
        .into_iter()
        .find(|(key, _)| key == "edition")
        .map_or_else(|| "edition = \"2024\"".to_owned(), |(_, line)| line);
    let dependencies = section(&real, "dependencies");
    let entry = |name: &str| -> String {
        dependencies
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, line)| line.clone())
            .unwrap_or_else(|| {
                panic!(
                    "{} has no one-line `{name} = ...` entry in [dependencies]; generated code needs it",
                    path.display()
                )
            })
    };
    let mut out = format!(
        "[package]\nname = \"invitations-scratch\"\nversion = \"0.0.0\"\n{edition}\npublish = false\n\n\
         # Not part of any other workspace.\n[workspace]\n\n[lib]\npath = \"src/lib.rs\"\n\n\
         [features]\nmock = [{}]\n\n[dependencies]\n",
        MOCK_DEPENDENCIES
            .iter()
            .map(|d| format!("\"dep:{d}\""))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for name in DEPENDENCIES {
        out.push_str(&entry(name));
        out.push('\n');
    }
    for name in MOCK_DEPENDENCIES {
        let line = entry(name);
        assert!(
            line.contains("optional = true"),
            "{}: `{name}` must be optional (the `mock` feature turns it on): {line}",
            path.display()
        );
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// The `key = value` lines of a top-level table, with their keys (comments
/// and blank lines dropped). Line-based: enough for the crate's Cargo.toml,
/// whose entries are one line each.
fn section(toml: &str, table: &str) -> Vec<(String, String)> {
    let header = format!("[{table}]");
    let mut inside = false;
    let mut out = Vec::new();
    for line in toml.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            inside = trimmed == header;
            continue;
        }
        if !inside || trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if let Some((key, _)) = trimmed.split_once('=') {
            let key = key.trim().trim_matches('"').to_owned();
            out.push((key, trimmed.to_owned()));
        }
    }
    out
}
