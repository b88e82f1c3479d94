//! The build script cargo compiled for this crate, for tests that run it on
//! a document of their own.

use std::path::{Path, PathBuf};

/// The newest `build-script-build` of this crate: cargo puts it in a sibling
/// of this build's `OUT_DIR` (`target/<profile>/build/invitations-*`).
pub fn build_script() -> PathBuf {
    let build_dir = Path::new(env!("OUT_DIR"))
        .parent()
        .unwrap()
        .parent()
        .unwrap();
    std::fs::read_dir(build_dir)
        .unwrap()
        .filter_map(|entry| {
            let path = entry.ok()?.path().join("build-script-build");
            let name = path.parent()?.file_name()?.to_str()?.to_owned();
            let modified = path.metadata().ok()?.modified().ok()?;
            name.starts_with("invitations-").then_some((modified, path))
        })
        .max()
        .map(|(_, path)| path)
        .expect("cargo built the build script")
}
