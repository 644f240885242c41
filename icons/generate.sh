#!/usr/bin/env bash
# Regenerates every bundled icon size from icon.svg (needs ImageMagick and ui/node_modules).
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
convert -background none -density 96 icon.svg -resize 1024x1024 -depth 8 "$tmp/icon-1024.png"
npx --yes @tauri-apps/cli@2 icon "$tmp/icon-1024.png" -o .
# Mobile targets are not built; keep the folder to the desktop sizes.
rm -rf android ios
