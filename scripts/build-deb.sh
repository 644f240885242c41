#!/usr/bin/env bash
# Builds the installable Debian package of the desktop app.
#   scripts/build-deb.sh
# Installs ui/node_modules with `npm ci` when missing, then runs `cargo tauri build --bundles deb`
# (release profile; `build.beforeBuildCommand` builds ui/dist, which the binary embeds). The
# Tauri CLI is the cargo-installed `cargo-tauri` (`./dev setup` installs it). Only the .deb is
# built here: the AppImage tooling downloads binaries at build time; the macOS (.app/.dmg) and
# Windows (NSIS/MSI) bundles are configured in src-tauri/tauri.conf.json and need those systems.
# Honours CARGO_TARGET_DIR (default: target/). Build output goes to stderr; the last line on
# stdout is the package's path, named the Debian way: advisor-desk_<version>_<arch>.deb.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

if ! cargo tauri --version >/dev/null 2>&1; then
  echo "build-deb: the Tauri CLI is missing: run ./dev setup (cargo install tauri-cli --locked)" >&2
  exit 1
fi
if [ ! -d ui/node_modules ]; then
  npm --prefix ui ci >&2
fi

target_dir=${CARGO_TARGET_DIR:-target}
case "$target_dir" in
  /*) ;;
  *) target_dir="$root/$target_dir" ;;
esac
out="$target_dir/release/bundle/deb"
# Only this build's package may be found below.
rm -rf "$out"

# --ci: never prompt. `-- --locked` goes to cargo, as in ./dev test. The bundler writes the
# .deb itself (no dpkg-deb, fakeroot or download).
(cd src-tauri && cargo tauri build --ci --bundles deb -- --locked) >&2

shopt -s nullglob
built=("$out"/*.deb)
if [ ${#built[@]} -ne 1 ]; then
  echo "build-deb: expected one .deb in $out, found ${#built[@]}" >&2
  exit 1
fi
# Tauri names it after the product ("Advisor Desk_0.1.0_amd64.deb"); give it the Debian name,
# which has no space and is what `apt install ./…` users expect.
name=$(dpkg-deb -f "${built[0]}" Package)_$(dpkg-deb -f "${built[0]}" Version)_$(dpkg-deb -f "${built[0]}" Architecture).deb
mv "${built[0]}" "$out/$name"
echo "$out/$name"
