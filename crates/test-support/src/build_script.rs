//! The build script cargo compiled for the `invitations` package, for tests
//! that run it on a document of their own (its generated-code and
//! hostile-document tests).

use std::path::PathBuf;

/// The newest `build-script-build` of the `invitations` package, found from
/// the running test: tests run from `<target>/<profile>/deps/`, and cargo
/// puts build scripts in `<target>/<profile>/build/invitations-<hash>/`.
pub fn build_script() -> PathBuf {
    let exe = std::env::current_exe().expect("the test knows its own path");
    let build_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("tests run from <target>/<profile>/deps")
        .join("build");
    std::fs::read_dir(&build_dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", build_dir.display()))
        .filter_map(|entry| {
            let path = entry.ok()?.path().join("build-script-build");
            let name = path.parent()?.file_name()?.to_str()?.to_owned();
            let hash = name.strip_prefix("invitations-")?;
            let ours = hash.chars().all(|c| c.is_ascii_hexdigit());
            let modified = path.metadata().ok()?.modified().ok()?;
            ours.then_some((modified, path))
        })
        .max()
        .map(|(_, path)| path)
        .expect("cargo built the invitations build script")
}
