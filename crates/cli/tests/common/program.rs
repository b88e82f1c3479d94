//! The built `invitations` program, as the tests of its commands run it:
//! without the vendors' credentials from the environment, with only those a
//! test gives. `INVITATIONS_BIN` runs another build of it (to see a test fail
//! against the build before a fix).

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Output};

// Beside `vendor_mock` in every test that runs the program.
use crate::vendor_mock::ACCOUNT;

/// The program with `args`, the vendors' credentials taken out of the
/// environment and `env` put in.
pub fn command<S: AsRef<OsStr>>(args: &[S], env: &[(&str, &str)]) -> Command {
    let program = std::env::var_os("INVITATIONS_BIN")
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_invitations").into());
    let mut command = Command::new(program);
    command.args(args);
    for var in [
        "HYBRIDBOX_TOKEN",
        "HYBRIDBOX_CLIENT_ID",
        "HYBRIDBOX_CLIENT_SECRET",
        "HYBRIDBOX_TOKEN_ENDPOINT",
        "AUTOMOX_API_KEY",
    ] {
        command.env_remove(var);
    }
    command.envs(env.iter().copied());
    command
}

/// `invite VENDOR --account … --csv CSV` against `url`, with a rate too
/// high to slow a test (unless `extra` sets `--rate`) and a JSON summary,
/// then `extra`.
pub fn args(vendor: &str, url: &str, csv: &Path, extra: &[&str]) -> Vec<String> {
    let mut args = vec![
        "invite",
        vendor,
        "--account",
        ACCOUNT,
        "--csv",
        csv.to_str().unwrap(),
        "--base-url",
        url,
    ];
    if !extra.contains(&"--rate") {
        args.extend(["--rate", "100000/1s"]);
    }
    // Last but `extra`: a test for the text summary drops these two.
    args.extend(["--format", "json"]);
    args.extend(extra);
    args.into_iter().map(str::to_owned).collect()
}

/// The credentials of `vendor` (`hybridbox` or `automox`) for a test run.
pub fn key(vendor: &str) -> Vec<(&'static str, String)> {
    match vendor {
        "automox" => vec![("AUTOMOX_API_KEY", "key-SECRET-1".to_owned())],
        _ => vec![("HYBRIDBOX_TOKEN", "tok-SECRET-1".to_owned())],
    }
}

/// Runs the program to its end, off the runtime's threads.
pub async fn run(args: Vec<String>, env: Vec<(&'static str, String)>) -> Output {
    tokio::task::spawn_blocking(move || {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        command(&args, &env).output().unwrap()
    })
    .await
    .unwrap()
}
