#!/usr/bin/env bash
# The fuzzing campaign (docs/fuzzing.md): every managed reader under AFL++ through SharpFuzz, N executions per target.
#
#   tests/fuzz/run-campaign.sh                      all targets, 1,000,000 executions each
#   EXECS=200000 tests/fuzz/run-campaign.sh onnx plan   some targets, fewer executions
#   JOBS=2 tests/fuzz/run-campaign.sh               two targets at a time (the machine has 2 cores; others share it)
#
# Installs what only the campaign needs when missing (Debian's afl++, the SharpFuzz.CommandLine dotnet tool into
# artifacts/fuzz/tools), builds tests/Ristretto.Fuzz, copies its output to artifacts/fuzz/harness and instruments
# Ristretto, Ristretto.Formats and Google.Protobuf there (the normal build output stays uninstrumented), seeds each target
# from the shared fixtures and the harness's generated seeds, then runs afl-fuzz (niced) per target. A target whose
# output folder exists resumes where it stopped, so the campaign can be spread over several runs; executions add up.
# Prints per target: executions, map coverage, edges, corpus, crashes and hangs, then replays every crash and hang
# through the uninstrumented reader path (--replay) so a finding shows as a .NET exception and stack, not just a file.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
execs=${EXECS:-1000000}
jobs=${JOBS:-1}
# A run that times out kills SharpFuzz's persistent process, which is AFL's fork server: the run ends there. 5 s keeps a
# loaded, shared machine from ending runs on an ordinary input (AFL's automatic limit, about 0.5 s, did).
timeout_ms=${TIMEOUT_MS:-5000}
out=${FUZZ_OUT:-$repo/artifacts/fuzz/findings}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(prototxt caffemodel onnx plan rstm idx cifar imagelist lmdb)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# 1. AFL++ (Debian) and the SharpFuzz instrumenter (a dotnet tool, version pinned beside the SharpFuzz package).
if ! command -v afl-fuzz >/dev/null 2>&1; then
  echo "campaign: apt-get install afl++"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends afl++ >/dev/null
fi
tools=$repo/artifacts/fuzz/tools
if [ ! -x "$tools/sharpfuzz" ]; then
  echo "campaign: dotnet tool install SharpFuzz.CommandLine 2.3.0"
  dotnet tool install SharpFuzz.CommandLine --version 2.3.0 --tool-path "$tools" >/dev/null
fi

# 2. The harness, built as usual, then an instrumented copy.
nice -n 10 dotnet build tests/Ristretto.Fuzz/Ristretto.Fuzz.csproj -c Release -nologo -v quiet
harness=$repo/artifacts/fuzz/harness
rm -rf "$harness"
cp -r tests/Ristretto.Fuzz/bin/Release/net10.0 "$harness"
for dll in Ristretto.dll Ristretto.Formats.dll Google.Protobuf.dll; do
  "$tools/sharpfuzz" "$harness/$dll" >/dev/null
done
echo "campaign: instrumented Ristretto, Ristretto.Formats and Google.Protobuf in $harness"

# 3. Seeds: the harness's generated ones plus the shared fixtures (the small ones: AFL++ wants inputs it can run fast).
fixtures=$repo/../shared/fixtures
seeds=$repo/artifacts/fuzz/seeds
rm -rf "$seeds"
plain=$repo/tests/Ristretto.Fuzz/bin/Release/net10.0/Ristretto.Fuzz.dll   # uninstrumented: seeds and replays
for t in "${targets[@]}"; do
  dotnet "$plain" "$t" --seeds "$seeds/$t" >/dev/null
done
if [ -d "$seeds/prototxt" ] && [ -d "$fixtures/caffe" ]; then
  # AlexNet, CaffeNet and SqueezeNet take seconds per execution to validate and write back; the small nets and solvers suffice.
  for f in "$fixtures"/caffe/{mnist,cifar10}__*.prototxt "$fixtures"/caffe/*solver*.prototxt; do cp "$f" "$seeds/prototxt/"; done
fi
if [ -d "$seeds/onnx" ] && [ -d "$fixtures/onnx/ops" ]; then
  for d in "$fixtures"/onnx/ops/*/; do cp "$d/model.onnx" "$seeds/onnx/$(basename "$d").onnx"; done
fi

# 4. AFL++ per target. The harness is a .NET program, so AFL's checks for a native, instrumented binary are skipped.
export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
export AFL_AUTORESUME=1 AFL_FAST_CAL=1 AFL_TESTCACHE_SIZE=50
mkdir -p "$out"
run_target() {
  local t=$1 log=$out/$1.log input=$seeds/$1
  local stats=$out/$t/default/fuzzer_stats done=0
  [ -f "$stats" ] && done=$(awk -F' *: *' '$1=="execs_done"{print $2}' "$stats")
  [ -f "$stats" ] && input=-
  echo "campaign: $t: afl-fuzz for $execs executions (done before: $done)"
  nice -n 10 afl-fuzz -i "$input" -o "$out/$t" -E "$execs" -t "$timeout_ms" -m none \
    -- dotnet "$harness/Ristretto.Fuzz.dll" "$t" >"$log" 2>&1 || echo "campaign: $t: afl-fuzz exited $? (see $log)"
}
pids=()
for t in "${targets[@]}"; do
  run_target "$t" &
  pids+=($!)
  if [ ${#pids[@]} -ge "$jobs" ]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
done
wait
rm -rf /dev/shm/ristretto-fuzz-*

# 5. Figures and findings.
printf '\n%-11s %12s %8s %12s %8s %8s %6s %s\n' target executions exec/s map_cvg edges corpus crash hangs
for t in "${targets[@]}"; do
  s=$out/$t/default/fuzzer_stats
  [ -f "$s" ] || { echo "$t: no fuzzer_stats (see $out/$t.log)"; continue; }
  awk -F' *: *' -v t="$t" '{v[$1]=$2} END { printf "%-11s %12s %8s %12s %8s %8s %6s %s\n", t, v["execs_done"], v["execs_per_sec"], v["bitmap_cvg"], v["edges_found"], v["corpus_count"], v["saved_crashes"], v["saved_hangs"] }' "$s"
done
status=0
for t in "${targets[@]}"; do
  for kind in crashes hangs; do
    dir=$out/$t/default/$kind
    [ -d "$dir" ] && [ -n "$(ls -A "$dir" | grep -v README)" ] || continue
    echo "== $t $kind (replayed without instrumentation):"
    dotnet "$plain" "$t" --replay $(ls -d "$dir"/id:* ) | cut -c1-400 || status=1
  done
done
exit $status
