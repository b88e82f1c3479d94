//! The `invitations` command-line program (feature `cli`).

fn main() {}
