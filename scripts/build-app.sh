#!/usr/bin/env bash
# Builds the desktop app with the UI embedded (served over tauri://, not a dev server).
#   scripts/build-app.sh [--release]
# Installs ui/node_modules with `npm ci` when missing, builds ui/dist, then the
# `advisor-desk` binary (custom-protocol is a default feature). Honours CARGO_TARGET_DIR
# (default: target/). Build output goes to stderr; the last line on stdout is the binary path.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
profile=debug
cargo_flags=()
case "${1:-}" in
  "") ;;
  --release)
    profile=release
    cargo_flags+=(--release)
    ;;
  *)
    echo "usage: scripts/build-app.sh [--release]" >&2
    exit 2
    ;;
esac

cd "$root"
if [ ! -d ui/node_modules ]; then
  npm --prefix ui ci >&2
fi
npm --prefix ui run build >&2
cargo build -p advisor-desk ${cargo_flags[@]+"${cargo_flags[@]}"} >&2

target_dir=${CARGO_TARGET_DIR:-target}
case "$target_dir" in
  /*) ;;
  *) target_dir="$root/$target_dir" ;;
esac
binary="$target_dir/$profile/advisor-desk"
if [ ! -x "$binary" ]; then
  echo "build-app: cargo finished but $binary is missing" >&2
  exit 1
fi
echo "$binary"
