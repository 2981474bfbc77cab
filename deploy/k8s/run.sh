#!/usr/bin/env bash
# Runs the sharded build, waits until every index has completed, then the merge: `deploy/k8s/run.sh [NAMESPACE]`.
# Needs a ReadWriteMany PersistentVolumeClaim named semi-instruct-data holding recipe.yaml (and the recipe's inputs).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
ns=(--namespace "${1:-default}")

# Waits for a Job to complete; stops with its name when it failed (a shard out of retries: the merge must not run).
wait_job() {
  while :; do
    # A failed query (the API server busy a moment) is asked again, not taken for an answer.
    state=$(kubectl "${ns[@]}" get job "$1" -o jsonpath='{.status.conditions[?(@.status=="True")].type}' || true)
    case "$state" in
      *Complete*) return 0 ;;
      *Failed*) echo "job $1 failed; see: kubectl ${ns[*]} describe job $1" >&2; return 1 ;;
    esac
    sleep 10
  done
}

# Jobs of an earlier run are removed first: a Job that exists already is not run again, and its template cannot change.
# The shards' databases on the volume stay, so finished shards do nothing and killed ones resume.
kubectl "${ns[@]}" delete job semi-instruct-shards semi-instruct-merge --ignore-not-found
kubectl "${ns[@]}" apply -f "$here/shards-job.yaml"
wait_job semi-instruct-shards
kubectl "${ns[@]}" apply -f "$here/merge-job.yaml"
wait_job semi-instruct-merge
kubectl "${ns[@]}" logs job/semi-instruct-merge
