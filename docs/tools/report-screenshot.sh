#!/usr/bin/env bash
# Makes docs/report-screenshot.png: `ristretto report` on the embedded LeNet (trained on MNIST, cached) with three
# plans from `ristretto quantize` (dynamic fixed point, power-of-two weights, minifloat), every plan scored on MNIST,
# then the HTML report opened in headless Chromium (Debian: apt-get install chromium).
#   docs/tools/report-screenshot.sh                      # runs the three quantize searches first (minutes)
#   docs/tools/report-screenshot.sh dfp.json pow2.json   # or takes existing plan files
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
chromium=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chromium" ]; then
  echo "error: chromium is not on PATH (Debian: apt-get install chromium)" >&2
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
plans=("$@")
if [ ${#plans[@]} -eq 0 ]; then
  "$root/ristretto" quantize --plan "$work/dfp.json" > /dev/null
  "$root/ristretto" quantize --trimming-mode integer_power_of_2_weights --plan "$work/pow2.json" > /dev/null
  "$root/ristretto" quantize --trimming-mode minifloat --plan "$work/minifloat.json" > /dev/null
  plans=("$work/dfp.json" "$work/pow2.json" "$work/minifloat.json")
fi
args=()
for p in "${plans[@]}"; do args+=(--plan "$p"); done
"$root/ristretto" report --model lenet "${args[@]}" --data mnist --out "$work/report"
"$chromium" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1600,2000 \
  --screenshot="$root/docs/report-screenshot.png" "file://$work/report/report.html" 2> /dev/null
echo "screenshot written to $root/docs/report-screenshot.png"
