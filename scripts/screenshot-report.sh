#!/usr/bin/env bash
# Renders a run's report again from its results.json and takes a screenshot
# of it with headless Chromium (Debian's `chromium` package).
#   scripts/screenshot-report.sh reports/taleforge/<time>/results.json [out.png] [height]
set -euo pipefail
results=${1:?usage: $0 RESULTS.json [OUT.png] [HEIGHT]}
dir=$(cd "$(dirname "$results")" && pwd)
out=${2:-$dir/report.png}
height=${3:-4000}
if ! command -v chromium >/dev/null; then
    echo "chromium is not installed: apt-get install -y chromium" >&2
    exit 1
fi
cargo run --quiet --release -- report "$results"
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --window-size=1280,"$height" --screenshot="$out" "file://$dir/report.html" 2>/dev/null
echo "screenshot: $out"
