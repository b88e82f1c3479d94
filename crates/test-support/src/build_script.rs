//! The build script cargo compiled for the `invitations` package, for tests
//! that run it on a document of their own (its generated-code and
//! hostile-document tests).
//!
//! The package's build script is compiled once per feature set, and the two
//! behave differently: with the feature `regenerate` it generates the code,
//! without it it copies the committed code after checking the document. So
//! each script is picked by the features cargo compiled it with, read from
//! its fingerprint (`<target>/<profile>/.fingerprint/invitations-<hash>/
//! build-script-build-script-build.json`, a cargo file whose `features`
//! field lists them).

use std::path::{Path, PathBuf};

/// The newest `build-script-build` of the `invitations` package compiled
/// with the feature `regenerate` (the generating one), found from the
/// running test: tests run from `<target>/<profile>/deps/`, and cargo puts
/// build scripts in `<target>/<profile>/build/invitations-<hash>/`.
pub fn build_script() -> PathBuf {
    newest(true)
}

/// The newest `build-script-build` of the `invitations` package compiled
/// without `regenerate` (the one that copies `generated/`).
pub fn copying_build_script() -> PathBuf {
    newest(false)
}

fn newest(regenerate: bool) -> PathBuf {
    let exe = std::env::current_exe().expect("the test knows its own path");
    let profile = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("tests run from <target>/<profile>/deps");
    let build_dir = profile.join("build");
    std::fs::read_dir(&build_dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", build_dir.display()))
        .filter_map(|entry| {
            let path = entry.ok()?.path().join("build-script-build");
            let name = path.parent()?.file_name()?.to_str()?.to_owned();
            let hash = name.strip_prefix("invitations-")?;
            let ours = hash.chars().all(|c| c.is_ascii_hexdigit());
            let modified = path.metadata().ok()?.modified().ok()?;
            let features = features(profile, &name)?;
            let generating = features.contains(&"regenerate".to_owned());
            (ours && generating == regenerate).then_some((modified, path))
        })
        .max()
        .map(|(_, path)| path)
        .unwrap_or_else(|| {
            panic!(
                "cargo built no invitations build script {} the feature `regenerate`",
                if regenerate { "with" } else { "without" }
            )
        })
}

/// The features cargo compiled the build script `invitations-<hash>` with.
fn features(profile: &Path, name: &str) -> Option<Vec<String>> {
    let fingerprint = profile
        .join(".fingerprint")
        .join(name)
        .join("build-script-build-script-build.json");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(fingerprint).ok()?).ok()?;
    // A JSON list written as a string: `"[\"default\", \"rustls\"]"`.
    serde_json::from_str(json.get("features")?.as_str()?).ok()
}
