#!/usr/bin/env bash
# Regenerates the README screenshots from the app's own SVG screens (`fragscope snapshot`,
# byte-identical across runs) with rsvg-convert (Debian/Ubuntu: apt-get install librsvg2-bin).
# The Alibaba heatmap needs ../shared/data/alibaba beside the repository.
#   bash docs/screenshots/make.sh            (FRAGSCOPE=path/to/fragscope to choose the binary)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
fs="${FRAGSCOPE:-$repo/.venv/bin/fragscope}"
teach="$repo/scenarios/teach"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$fs" snapshot "$teach/frag-demo.yaml" --rounds 30 --size 160x50 --out "$tmp/main-bars.svg"
"$fs" snapshot "$teach/alibaba-1213.yaml" --rounds 12 --size 160x50 --out "$tmp/heatmap-alibaba.svg"
"$fs" snapshot "$teach/tiny-packing.yaml" --rounds 24 --fork-at 8 --size 160x50 --out "$tmp/ab-fork.svg"
"$fs" snapshot "$teach/frag-demo.yaml" --rounds 30 --size 160x50 --inspect 12 --out "$tmp/inspector-fgd.svg"
for svg in "$tmp"/*.svg; do
  # xml:space="preserve": keep the runs of spaces that align the terminal's columns
  sed 's/<svg class/<svg xml:space="preserve" class/' "$svg" | rsvg-convert -o "$here/$(basename "${svg%.svg}").png"
done
ls -l "$here"/*.png
