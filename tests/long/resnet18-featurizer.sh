#!/usr/bin/env bash
# The one ImageNet-trained CNN reachable here, end to end on real photographs (issue 13's acceptance run; about 10 minutes
# on 2 cores). ML.NET's ResNet-18 featurizer (NuGet Microsoft.ML.DnnImageFeaturizer.ResNet18, referenced by the test
# project only) on scikit-image's colour photographs: calibration on crops and flips of five of them, evaluation on the
# other four, label-free metrics (output SQNR, cosine), integer per-channel plans at 8, 6 and 4 bits with per-layer SQNR,
# then searches driven by SQNR and by cosine with a cost report. Writes everything under $OUT (default /tmp/r18-run).
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/r18-run}
bash build/install.sh >/dev/null
dotnet build tests/Ristretto.Tests/Ristretto.Tests.csproj -c Release -v quiet --nologo >/dev/null
# A private copy of the CLI, so that edits to the tree during the run change nothing.
CLI=$(mktemp -d)
dotnet build src/Ristretto.Cli/Ristretto.Cli.csproj -c Release -v quiet --nologo -o "$CLI" >/dev/null
ristretto() { dotnet "$CLI/Ristretto.Cli.dll" "$@"; }
MODEL=tests/Ristretto.Tests/bin/Release/net10.0/DnnImageModels/ResNet18Onnx/ResNet18.onnx
[ -f "$MODEL" ] || { echo "error: $MODEL not found (the test project's NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18)" >&2; exit 1; }
rm -rf "$OUT"; mkdir -p "$OUT/eval" "$OUT/cal"
SK=$(/usr/bin/python3 -c "import skimage.data,os;print(os.path.dirname(skimage.data.__file__))")
/usr/bin/python3 - "$SK" "$OUT" <<'PY'
import sys, os
from PIL import Image, ImageOps
sk, out = sys.argv[1], sys.argv[2]
photos = ["astronaut.png", "chelsea.png", "coffee.png", "hubble_deep_field.jpg", "ihc.png", "motorcycle_left.png", "motorcycle_right.png", "retina.jpg", "rocket.jpg"]
for p in photos[1::2]:
    Image.open(os.path.join(sk, p)).convert("RGB").save(os.path.join(out, "eval", os.path.splitext(p)[0] + ".png"))
k = 0
for p in photos[0::2]:
    im = Image.open(os.path.join(sk, p)).convert("RGB"); w, h = im.size
    for flip in (0, 1):
        for box in [(0, 0, w * 3 // 4, h * 3 // 4), (w // 4, h // 4, w, h), (w // 8, h // 8, w * 7 // 8, h * 7 // 8), (0, h // 4, w * 3 // 4, h)]:
            c = im.crop(box)
            (ImageOps.mirror(c) if flip else c).save(os.path.join(out, "cal", f"{k:03d}.png")); k += 1
PY
# BN folded first, as an accelerator runs it; the ResNetPreprocess.onnx convention: BGR, 224×224, minus the mean (per channel here).
ristretto export --model "$MODEL" --fold-bn --onnx "$OUT/resnet18-folded.onnx"
DATA=(--device cpu --data "$OUT/eval" --calibration-data "$OUT/cal" --calibration-images 40 --resize 224x224 --channel-order bgr --mean 103.06,115.90,123.15 --batch-size 4)
for bits in 8 6 4; do
  for cal in max mse; do
    echo "== integer per-channel, $bits/$bits/$bits, calibration $cal"
    ristretto quantize --model "$OUT/resnet18-folded.onnx" "${DATA[@]}" --trimming-mode integer --per-channel --calibration $cal \
      --widths $bits/$bits/$bits --metric sqnr --error-margin 25 --metrics cosine,agreement --per-layer-sqnr --json "$OUT/int$bits-$cal.json" \
      | grep -vE "^(Please|plan)"
  done
done
echo "== search by SQNR (≥ 20 dB), integer per-channel, MSE clipping, with the cost report"
ristretto quantize --model "$OUT/resnet18-folded.onnx" "${DATA[@]}" --trimming-mode integer --per-channel --calibration mse \
  --metric sqnr --error-margin 20 --metrics cosine,agreement --json "$OUT/search-sqnr.json" --plan "$OUT/search-sqnr.plan.json" --report "$OUT/report-sqnr"
echo "== search by cosine (≥ 0.99), integer per-channel, MSE clipping"
ristretto quantize --model "$OUT/resnet18-folded.onnx" "${DATA[@]}" --trimming-mode integer --per-channel --calibration mse \
  --metric cosine --error-margin 1 --metrics sqnr,agreement --json "$OUT/search-cosine.json" --plan "$OUT/search-cosine.plan.json"
echo "== search by SQNR (≥ 20 dB), dynamic fixed point (Ristretto's rules)"
ristretto quantize --model "$OUT/resnet18-folded.onnx" "${DATA[@]}" --metric sqnr --error-margin 20 --metrics cosine --json "$OUT/search-dfp.json"
