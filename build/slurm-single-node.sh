#!/usr/bin/env bash
# A single-node Slurm on this machine, to run a search's trials through `ristretto quantize --launcher slurm` for real
# (docs/scale-out.md). Run as root.
#
#   build/slurm-single-node.sh start   install slurm-wlm and munge if missing, start munged, slurmctld and slurmd with a
#                                      minimal slurm.conf (one node, 2 CPUs, state/spool/logs under $SLURM_DIR, ports
#                                      $SLURM_PORT and $SLURM_PORT+1); prints the SLURM_CONF to export
#   build/slurm-single-node.sh demo    start, then run the LeNet per-type search serially and through --launcher slurm,
#                                      and compare the two --json documents (work-count fields aside)
#   build/slurm-single-node.sh stop    stop the daemons it started
set -euo pipefail
SLURM_DIR=${SLURM_DIR:-/tmp/ristretto-slurm}
SLURM_PORT=${SLURM_PORT:-16817}
CONF="$SLURM_DIR/slurm.conf"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"

start() {
  if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
  fi
  mkdir -p "$SLURM_DIR"/{state,spool,log}
  if [ ! -s /etc/munge/munge.key ]; then
    mkdir -p /etc/munge && (mungekey --create --force 2>/dev/null || dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none)
    chmod 400 /etc/munge/munge.key
  fi
  mkdir -p /run/munge /var/lib/munge /var/log/munge
  chown munge:munge /run/munge /var/lib/munge /var/log/munge /etc/munge /etc/munge/munge.key 2>/dev/null || true
  pgrep -x munged >/dev/null || munged --force
  local host; host=$(hostname -s)
  cat >"$CONF" <<EOF
ClusterName=ristretto
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$SLURM_PORT
SlurmdPort=$((SLURM_PORT + 1))
AuthType=auth/munge
StateSaveLocation=$SLURM_DIR/state
SlurmdSpoolDir=$SLURM_DIR/spool
SlurmctldPidFile=$SLURM_DIR/slurmctld.pid
SlurmdPidFile=$SLURM_DIR/slurmd.pid
SlurmctldLogFile=$SLURM_DIR/log/slurmctld.log
SlurmdLogFile=$SLURM_DIR/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
NodeName=$host CPUs=2 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
  export SLURM_CONF="$CONF"
  [ -f "$SLURM_DIR/slurmctld.pid" ] && kill -0 "$(cat "$SLURM_DIR/slurmctld.pid")" 2>/dev/null || slurmctld -f "$CONF"
  [ -f "$SLURM_DIR/slurmd.pid" ] && kill -0 "$(cat "$SLURM_DIR/slurmd.pid")" 2>/dev/null || slurmd -f "$CONF"
  for _ in $(seq 1 60); do
    if sinfo -h -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
      echo "slurm is up: export SLURM_CONF=$CONF"
      return 0
    fi
    sleep 0.5
  done
  echo "error: slurm did not come up; see $SLURM_DIR/log" >&2
  return 1
}

stop() {
  for daemon in slurmd slurmctld; do
    if [ -f "$SLURM_DIR/$daemon.pid" ]; then
      kill "$(cat "$SLURM_DIR/$daemon.pid")" 2>/dev/null || true
      rm -f "$SLURM_DIR/$daemon.pid"
    fi
  done
}

demo() {
  start
  export SLURM_CONF="$CONF" CI=true
  local cli="$ROOT/src/Ristretto.Cli/bin/Release/net10.0/Ristretto.Cli.dll" out; out=$(mktemp -d)
  [ -f "$cli" ] || dotnet build "$ROOT/src/Ristretto.Cli" -c Release >/dev/null
  local args=(quantize --model lenet --device cpu ${DEMO_ARGS:-})
  echo "== serial: ristretto ${args[*]}"
  dotnet "$cli" "${args[@]}" --json "$out/serial.json" | tee "$out/serial.txt"
  echo "== slurm: ristretto ${args[*]} --launcher slurm --parallel 2 --work $out/work"
  dotnet "$cli" "${args[@]}" --launcher slurm --parallel 2 --work "$out/work" --json "$out/slurm.json" | tee "$out/slurm.txt"
  python3 - "$out/serial.json" "$out/slurm.json" <<'EOF'
import json, sys
def strip(n):
    if isinstance(n, dict):
        return {k: strip(v) for k, v in n.items() if k not in ("evaluations", "seconds", "scale_out")}
    if isinstance(n, list):
        return [strip(v) for v in n]
    return n
a, b = (strip(json.load(open(p))) for p in sys.argv[1:3])
print("same result as the serial run" if a == b else "DIFFERENT results")
sys.exit(0 if a == b else 1)
EOF
  echo "job arrays: $(ls "$out/work/slurm/"*.sh | wc -l) rounds; script of round 1:"
  cat "$out/work/slurm/round-1.sh"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  demo) demo ;;
  *) echo "usage: $0 start|stop|demo" >&2; exit 2 ;;
esac
