#!/usr/bin/env bash
# Build-time benchmark, printed as figures and ratios measured in one run:
#   1. clean build of the library: default features (rustls with ring) vs
#      reqwest's default TLS (rustls with aws-lc, the `rustls-aws-lc` feature)
#      vs native-tls;
#   2. an importer's clean build: the library without the feature
#      `regenerate` (`--no-default-features --features rustls`: the committed
#      generated/ copied, no generator compiled) vs the naive set-up it
#      replaces, progenitor's documented build.rs generating from the same
#      document, with reqwest's default features (target: <= 0.55);
#   3. incremental rebuild after editing a file in src/ (no code generation)
#      vs after editing the document (code generation reruns).
# Usage: benches/build.sh   (takes a few minutes on 2 cores; uses its own target dirs)
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
[ -z "$(git status --porcelain src/lib.rs openapi/invitations.yaml)" ] || {
  echo "commit or stash your changes to src/lib.rs and openapi/invitations.yaml first: this script edits them" >&2
  exit 2
}

seconds() { # seconds COMMAND...: wall time of COMMAND in seconds
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null 2>&1
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(rustc --version)"
cargo fetch --quiet

declare -A clean
for flavour in default aws-lc native-tls; do
  case $flavour in
    default) flags=() ;;
    aws-lc) flags=(--no-default-features --features rustls-aws-lc,regenerate) ;;
    native-tls) flags=(--no-default-features --features native-tls,regenerate) ;;
  esac
  clean[$flavour]=$(seconds env CARGO_TARGET_DIR="$work/$flavour" cargo build --lib "${flags[@]}")
  printf 'clean build, %-10s: %6.1f s\n' "$flavour" "${clean[$flavour]}"
done
printf 'ratio default / aws-lc: %s   (target <= 0.5)\n' "$(ratio "${clean[default]}" "${clean[aws-lc]}")"

# 2. The naive set-up: a crate whose build.rs is progenitor's documented one
# (`Generator::default().generate_tokens`, prettyplease), generating from
# this repository's document, with the dependencies progenitor's guide asks
# for; versions from this workspace's Cargo.lock where they are shared.
naive="$work/naive-crate"
mkdir -p "$naive/src"
cp Cargo.lock "$naive/Cargo.lock"
cat > "$naive/Cargo.toml" <<'TOML'
[package]
name = "naive-progenitor"
version = "0.0.0"
edition = "2024"
publish = false

[workspace]

[dependencies]
progenitor-client = "0.15.1"
reqwest = { version = "0.13", features = ["json", "query", "stream"] }
serde = { version = "1", features = ["derive"] }
serde_json = "1"
chrono = { version = "0.4", features = ["serde"] }
uuid = { version = "1", features = ["serde", "v4"] }
futures = "0.3"
regress = "0.10"

[build-dependencies]
progenitor = "0.15.1"
openapiv3 = "2.2"
serde_yaml = "0.9"
prettyplease = "0.3"
syn = "3"
TOML
cat > "$naive/build.rs" <<RUST
fn main() {
    let src = "$PWD/openapi/invitations.yaml";
    println!("cargo:rerun-if-changed={src}");
    let spec: openapiv3::OpenAPI =
        serde_yaml::from_reader(std::fs::File::open(src).unwrap()).unwrap();
    let tokens = progenitor::Generator::default().generate_tokens(&spec).unwrap();
    let code = prettyplease::unparse(&syn::parse2(tokens).unwrap());
    let out = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("codegen.rs");
    std::fs::write(out, code).unwrap();
}
RUST
echo 'include!(concat!(env!("OUT_DIR"), "/codegen.rs"));' > "$naive/src/lib.rs"
(cd "$naive" && cargo fetch --quiet)
naive_time=$(seconds env CARGO_TARGET_DIR="$work/naive" cargo build --lib --manifest-path "$naive/Cargo.toml")
[ -f "$work/naive/debug/libnaive_progenitor.rlib" ] || { echo "the naive crate did not build" >&2; exit 1; }
importer=$(seconds env CARGO_TARGET_DIR="$work/importer" cargo build --lib --no-default-features --features rustls)
printf 'clean build, naive progenitor set-up:                 %6.1f s\n' "$naive_time"
printf 'clean build, without regenerate (an importer'"'"'s build): %6.1f s\n' "$importer"
printf 'clean build, default features (regenerate):           %6.1f s\n' "${clean[default]}"
printf 'ratio importer / naive: %s   (target <= 0.55); regenerate / naive: %s\n' \
  "$(ratio "$importer" "$naive_time")" "$(ratio "${clean[default]}" "$naive_time")"

# 3. Incremental rebuilds.
target="$work/default"
# Real edits (a touch alone lets incremental compilation reuse everything):
# a comment in src/lib.rs, and a description in the document, which changes
# a doc comment in the generated code. Both files are restored afterwards.
cp src/lib.rs "$work/lib.rs.orig"
cp openapi/invitations.yaml "$work/invitations.yaml.orig"
restore() { cp "$work/lib.rs.orig" src/lib.rs; cp "$work/invitations.yaml.orig" openapi/invitations.yaml; rm -rf "$work"; }
trap restore EXIT

echo "// benchmark edit" >> src/lib.rs
src_edit=$(seconds env CARGO_TARGET_DIR="$target" cargo build --lib)
cp "$work/lib.rs.orig" src/lib.rs
sed -i 's/description: Identifier of the invitation\./description: Identifier of the invitation (benchmark edit)./' openapi/invitations.yaml
doc_edit=$(seconds env CARGO_TARGET_DIR="$target" cargo build --lib)
printf 'incremental, after editing src/lib.rs:               %6.2f s\n' "$src_edit"
printf 'incremental, after editing openapi/invitations.yaml: %6.2f s\n' "$doc_edit"
printf 'ratio document edit / src edit: %s\n' "$(ratio "$doc_edit" "$src_edit")"
