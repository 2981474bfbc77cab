#!/usr/bin/env bash
# Submits a sharded build and its merge: `deploy/slurm/submit.sh RECIPE RUN SHARDS [sbatch options...]`.
# RUN must be on a filesystem every node sees (the shards write there, the merge reads them). Prints the two job ids.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
RECIPE="${1:?usage: submit.sh RECIPE RUN SHARDS [sbatch options...]}"
RUN="${2:?usage: submit.sh RECIPE RUN SHARDS [sbatch options...]}"
SHARDS="${3:?usage: submit.sh RECIPE RUN SHARDS [sbatch options...]}"
shift 3
mkdir -p "$RUN"
array=$(sbatch --parsable "$@" --chdir="$RUN" --array=0-$((SHARDS - 1)) "$here/shards.sbatch" "$(realpath "$RECIPE")" "$(realpath "$RUN")" "$SHARDS")
array="${array%%;*}"
merge=$(sbatch --parsable "$@" --chdir="$RUN" --dependency=afterok:"$array" --kill-on-invalid-dep=yes "$here/merge.sbatch" "$(realpath "$RUN")")
echo "shards: job $array (array 0-$((SHARDS - 1))); merge: job ${merge%%;*} (after all shards succeed)"
