#!/usr/bin/env bash
# Build-time benchmark, printed as figures and ratios measured in one run:
#   1. clean build of the library: default features (rustls with ring) vs
#      reqwest's default TLS (rustls with aws-lc, the `rustls-aws-lc` feature)
#      vs native-tls;
#   2. incremental rebuild after editing a file in src/ (no code generation)
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
    aws-lc) flags=(--no-default-features --features rustls-aws-lc) ;;
    native-tls) flags=(--no-default-features --features native-tls) ;;
  esac
  clean[$flavour]=$(seconds env CARGO_TARGET_DIR="$work/$flavour" cargo build --lib "${flags[@]}")
  printf 'clean build, %-10s: %6.1f s\n' "$flavour" "${clean[$flavour]}"
done
printf 'ratio default / aws-lc: %s   (target <= 0.5)\n' "$(ratio "${clean[default]}" "${clean[aws-lc]}")"

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
