#!/usr/bin/env bash
# A real one-node Slurm cluster, started here and stopped on exit (munge, slurmctld and slurmd, as root, state in a
# scratch folder), runs deploy/slurm/submit.sh: a 3-task array of `build` shards with the real models and the merge job
# that waits for it (afterok). The merged dataset must equal a single-process build of the same recipe, byte for byte.
# Usage: scripts/cluster/slurm-test.sh [BINARY]  (`make test-cluster` builds and runs it)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
bin="$(realpath "${1:-$root/.build/release/semi-instruct}")"
scratch="$(mktemp -d /tmp/si-slurm.XXXXXX)"
export SLURM_CONF="$scratch/slurm.conf"
say() { printf 'slurm-test: %s\n' "$*"; }

stop() {
  for daemon in slurmd slurmctld; do
    [ -f "$scratch/$daemon.pid" ] && kill "$(cat "$scratch/$daemon.pid")" 2>/dev/null || true
  done
  [ -n "${munge_pid:-}" ] && kill "$munge_pid" 2>/dev/null || true
  sleep 1
  rm -rf "$scratch"
}
trap stop EXIT

if [ "$(id -u)" -ne 0 ]; then
  # The daemons run as root (as in CI); elsewhere sudo starts them.
  command -v sudo >/dev/null && exec sudo -E bash "$0" "$bin"
  say "needs root or sudo (the Slurm and munge daemons run as root)"; exit 1
fi
for tool in munged slurmctld slurmd sbatch; do
  command -v "$tool" >/dev/null || { say "$tool is missing: run \`make setup\` (it installs slurm-wlm and munge)"; exit 1; }
done

# munge: its own socket and key in the scratch folder, so a munged already running elsewhere is left alone.
mkdir -p "$scratch/munge" "$scratch/state" "$scratch/spool"
dd if=/dev/urandom of="$scratch/munge/munge.key" bs=1024 count=1 status=none
chown -R munge:munge "$scratch/munge" 2>/dev/null || true
chmod 700 "$scratch/munge"; chmod 400 "$scratch/munge/munge.key"
socket="$scratch/munge/munge.socket"
munged --force --key-file="$scratch/munge/munge.key" --socket="$socket" --pid-file="$scratch/munge/munged.pid" \
  --log-file="$scratch/munge/munged.log" --seed-file="$scratch/munge/munged.seed"
munge_pid="$(cat "$scratch/munge/munged.pid")"

node="$(hostname -s)"
memory=$(( $(free -m | awk '/^Mem:/ {print $2}') * 9 / 10 ))
cat > "$SLURM_CONF" <<CONF
ClusterName=si-test
SlurmctldHost=$node
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$socket
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
StateSaveLocation=$scratch/state
SlurmdSpoolDir=$scratch/spool
SlurmctldPidFile=$scratch/slurmctld.pid
SlurmdPidFile=$scratch/slurmd.pid
SlurmctldLogFile=$scratch/slurmctld.log
SlurmdLogFile=$scratch/slurmd.log
NodeName=$node CPUs=$(nproc) RealMemory=$memory State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for _ in $(seq 60); do
  [ "$(sinfo -h -o %T 2>/dev/null | head -1)" = "idle" ] && break
  sleep 1
done
[ "$(sinfo -h -o %T | head -1)" = "idle" ] || { say "the node did not come up"; tail -20 "$scratch/slurmctld.log" "$scratch/slurmd.log"; exit 1; }
say "cluster up: node $node, $(nproc) CPUs"

# The recipe: seven natural functions with the real SmolLM2, MiniLM and sandbox, short generations.
recipe="$scratch/recipe.yaml"
cat > "$recipe" <<YAML
name: slurm-test
inputs:
  - path: $root/samples/python/text.py
sampling:
  max_tokens: 160
  attempts: 2
tests:
  count: 4
  minimum: 2
YAML

started=$(date +%s)
submitted="$(SEMI_INSTRUCT="$bin" "$root/deploy/slurm/submit.sh" "$recipe" "$scratch/sharded" 3)"
say "$submitted"
merge_job="$(echo "$submitted" | sed -n 's/.*merge: job \([0-9]*\).*/\1/p')"
# The single-process reference runs meanwhile, outside Slurm.
"$bin" build "$recipe" --run "$scratch/whole" --quiet --workers 1 > /dev/null
deadline=$(( $(date +%s) + 900 ))
while squeue -h -j "$merge_job" 2>/dev/null | grep -q .; do
  [ "$(date +%s)" -lt "$deadline" ] || { say "the merge job has not finished after 15 minutes"; squeue; exit 1; }
  sleep 2
done
state="$(scontrol show job "$merge_job" | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')"
say "merge job $merge_job: $state after $(( $(date +%s) - started )) s"
if [ "$state" != "COMPLETED" ]; then
  for log in "$scratch"/sharded/*.out; do say "--- $log"; tail -20 "$log"; done
  exit 1
fi
ls "$scratch/sharded/shards"
cmp "$scratch/whole/dataset.jsonl" "$scratch/sharded/dataset.jsonl"
say "merged dataset of 3 Slurm shards equals the single-process one ($(wc -l < "$scratch/whole/dataset.jsonl") samples)"
