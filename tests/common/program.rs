//! The built `invitations` program, as the tests of its commands run it:
//! without the vendors' credentials from the environment, with only those a
//! test gives. `INVITATIONS_BIN` runs another build of it (to see a test fail
//! against the build before a fix).

use std::ffi::OsStr;
use std::process::{Command, Output};

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

/// Runs the program to its end, off the runtime's threads.
pub async fn run(args: Vec<String>, env: Vec<(&'static str, String)>) -> Output {
    tokio::task::spawn_blocking(move || {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        command(&args, &env).output().unwrap()
    })
    .await
    .unwrap()
}
