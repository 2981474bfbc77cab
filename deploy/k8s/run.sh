#!/usr/bin/env bash
# Runs the sharded build, waits until every index has completed, then the merge: `deploy/k8s/run.sh [NAMESPACE]`.
# Needs a ReadWriteMany PersistentVolumeClaim named semi-instruct-data holding recipe.yaml (and the recipe's inputs).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
ns=(--namespace "${1:-default}")

# Waits for a Job to complete; stops with its name when it failed (a shard out of retries: the merge must not run).
wait_job() {
  while :; do
    state=$(kubectl "${ns[@]}" get job "$1" -o jsonpath='{.status.conditions[?(@.status=="True")].type}')
    case "$state" in
      *Complete*) return 0 ;;
      *Failed*) echo "job $1 failed; see: kubectl ${ns[*]} describe job $1" >&2; return 1 ;;
    esac
    sleep 10
  done
}

kubectl "${ns[@]}" apply -f "$here/shards-job.yaml"
wait_job semi-instruct-shards
kubectl "${ns[@]}" apply -f "$here/merge-job.yaml"
wait_job semi-instruct-merge
kubectl "${ns[@]}" logs job/semi-instruct-merge
