//! What the tests and benchmarks of the invitations workspace share. Not
//! published; each module says which tests use it.

pub mod build_script;
pub mod measure;
pub mod scratch;
pub mod snapshot;
pub mod synthetic;

use std::path::PathBuf;

/// The workspace's root folder: the `invitations` package, with
/// `openapi/`, `Cargo.toml` and `Cargo.lock`.
pub fn workspace_root() -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the workspace root exists")
}
