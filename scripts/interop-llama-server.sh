#!/usr/bin/env bash
# Runs the quickstart recipe twice on this machine and prints both funnels side by side: once with the generator's
# requests sent to llama.cpp's own llama-server (`server: auto`, so the stages' grammars go as GBNF in `grammar`),
# once with the embedded engine. It checks that llama-server reads every grammar the pipeline sends; a request it
# refuses shows up as a failed request here and as an error (with the grammar) in the server's log.
# Not part of `make test`: it builds llama-server (minutes, once) and runs the pipeline twice (minutes).
# llama-server is built by scripts/bench/build_llama_cpp.sh from the llama-cpp-python sdist of the version in
# the bench venv ($LLAMA_VENV, default $CACHE/bench-venv, created as scripts/bench-compare.sh does when absent).
# INTEROP_SKIP_EMBEDDED=1 skips the embedded run; INTEROP_KEEP=1 keeps the work directory (runs, logs, recipes);
# INTEROP_SERVER_ARGS adds flags to llama-server (e.g. `-lv 5` to log each slot's parameters, grammar included).
# Usage: scripts/interop-llama-server.sh
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)

CACHE="${SEMI_INSTRUCT_CACHE:-$HOME/.cache/semi-instruct}"
VENV="${LLAMA_VENV:-$CACHE/bench-venv}"
BIN="$REPO/.build/release/semi-instruct"
MODEL="$CACHE/models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
ALIAS=smollm2-135m-instruct-q4_1  # the name llama-server gives the model, and the recipe's `model:`
RECIPE="$REPO/recipes/quickstart.yaml"
THREADS=2
SLOTS=16
CONTEXT=32768  # shared by the slots: 2,048 tokens each

fail() { echo "interop-llama-server: $*" >&2; exit 1; }
[ -x "$BIN" ] || fail "$BIN is missing: build it first (swift build -c release)"
[ -f "$MODEL" ] || fail "$MODEL is missing: fetch the models first (make setup)"
[ -f "$RECIPE" ] || fail "$RECIPE is missing"

WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [ "${INTEROP_KEEP:-0}" = 1 ]; then echo "interop-llama-server: work directory kept: $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ ! -x "$VENV/bin/python" ]; then
  [ -n "${LLAMA_VENV:-}" ] && fail "LLAMA_VENV=$LLAMA_VENV has no bin/python"
  echo "interop-llama-server: creating $VENV (numpy, faiss-cpu, sentence-transformers, llama-cpp-python; several minutes)" >&2
  # The same venv as scripts/bench-compare.sh makes, so that script finds it whole; removed again when it fails.
  # (`set -e` does not reach commands on the left of `||`: hence the `&&`s.)
  python3 -m venv "$VENV" &&
    "$VENV/bin/pip" install --quiet --disable-pip-version-check numpy faiss-cpu sentence-transformers &&
    # llama-cpp-python ships no Linux wheel on PyPI: it compiles llama.cpp (needs cmake and a C++ compiler).
    "$VENV/bin/pip" install --quiet --disable-pip-version-check cmake &&
    PATH="$VENV/bin:$PATH" "$VENV/bin/pip" install --quiet --disable-pip-version-check llama-cpp-python ||
    { rm -rf "$VENV"; fail "creating $VENV failed"; }
fi
SERVER=$(bash scripts/bench/build_llama_cpp.sh "$VENV" "$CACHE" llama-server) || fail "building llama-server failed (see above)"
[ -x "$SERVER" ] || fail "llama-server is missing at '$SERVER'"
commit_file="$(dirname "$(dirname "$SERVER")")/llama.cpp-commit.txt"
echo "llama-server: $SERVER (llama.cpp $(cat "$commit_file" 2>/dev/null || echo "commit unknown"))"

# --- the recipes: the quickstart with its inputs made absolute, and a copy whose generator is the server
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sed -E "s|^(  - path: )\.\./|\1$REPO/|" "$RECIPE" > "$WORK/embedded.yaml"
grep -q "^  - path: $REPO/" "$WORK/embedded.yaml" || fail "could not rewrite the input paths of $RECIPE"
sed -E "s|^  generator: .*|  generator: {endpoint: http://127.0.0.1:$PORT/v1, model: $ALIAS, server: auto}|" \
  "$WORK/embedded.yaml" > "$WORK/llama-server.yaml"
grep -q "endpoint: http://127.0.0.1:$PORT/v1" "$WORK/llama-server.yaml" || fail "could not point the generator of $RECIPE at the server"

# --- the server
# shellcheck disable=SC2086  # INTEROP_SERVER_ARGS is a list of flags
"$SERVER" -m "$MODEL" -a "$ALIAS" --host 127.0.0.1 --port "$PORT" -t "$THREADS" -np "$SLOTS" -c "$CONTEXT" \
  --no-webui ${INTEROP_SERVER_ARGS:-} > "$WORK/llama-server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 120); do
  curl -fsS "http://127.0.0.1:$PORT/health" > /dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { tail -30 "$WORK/llama-server.log" >&2; fail "llama-server exited before it was ready"; }
  sleep 1
done
curl -fsS "http://127.0.0.1:$PORT/health" > /dev/null 2>&1 || { tail -30 "$WORK/llama-server.log" >&2; fail "llama-server not healthy after 120 s"; }
echo "llama-server: listening on 127.0.0.1:$PORT ($THREADS threads, $SLOTS slots, context $CONTEXT); /v1/models owned_by:" \
  "$(curl -fsS "http://127.0.0.1:$PORT/v1/models" | python3 -c 'import json, sys; print(", ".join(m.get("owned_by", "?") for m in json.load(sys.stdin)["data"]))')"

# --- one run: build, then what inspect says, the exports and the wall time
run() {
  local name=$1 dir="$WORK/runs/$1" start end status=0
  echo "== $name: semi-instruct build (log: $WORK/$name-build.log)"
  start=$(date +%s.%N)
  "$BIN" build "$WORK/$name.yaml" --run "$dir" > "$WORK/$name-build.log" 2>&1 || status=$?
  end=$(date +%s.%N)
  [ "$status" = 0 ] || { tail -30 "$WORK/$name-build.log" >&2; echo "$name: semi-instruct build failed (exit $status)" >&2; return "$status"; }
  local summary exported=0
  summary=$("$BIN" inspect --run "$dir")
  echo "$summary"
  grep -q '^constrained decoding:' <<< "$summary" || echo "constrained decoding: (inspect prints no such line)"
  [ -f "$dir/dataset.jsonl" ] && exported=$(wc -l < "$dir/dataset.jsonl")
  python3 - "$name" "$exported" "$start" "$end" "$WORK/$name-build.log" <<'PY'
import re, sys
name, exported, start, end, log = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
print(f"{name}: {exported} samples exported (dataset.jsonl), wall time {end - start:.1f} s")
# The remote generator's line per batch: "URL: N requests (up to M at once), F failed, R retried, T tokens in S s (...)".
pattern = re.compile(r"chat/completions: (\d+) requests \(up to (\d+) at once\), (\d+) failed, (\d+) retried, (\d+) tokens in ([\d.]+) s")
batches = [tuple(map(float, m.groups())) for m in map(pattern.search, open(log, errors="replace")) if m]
if batches:
    requests, failed, retried, tokens, seconds = (sum(b[i] for b in batches) for i in (0, 2, 3, 4, 5))
    print(f"{name}: {len(batches)} batches, {requests:.0f} requests (up to {max(b[1] for b in batches):.0f} at once), "
          f"{failed:.0f} failed, {retried:.0f} retried, {tokens:.0f} generated tokens in {seconds:.1f} s of requests")
PY
}

status=0
run llama-server || status=$?
# What the server saw: finished tasks, refused requests and grammars it could not read.
log="$WORK/llama-server.log"
echo "llama-server log: $(grep -c 'stop processing' "$log" || true) tasks finished," \
  "$(grep -c 'got exception' "$log" || true) requests refused before a slot," \
  "$(grep -cE 'task id = [0-9]+, error' "$log" || true) task errors," \
  "$(grep -c 'error parsing grammar' "$log" || true) grammar parse errors"
if grep -qE 'got exception|task id = [0-9]+, error|error parsing grammar|failed to parse grammar|empty grammar stack' "$log"; then
  echo "-- llama-server errors (first 40 lines with 20 lines of context after each):"
  grep -A20 -m40 -E 'got exception|task id = [0-9]+, error|error parsing grammar|failed to parse grammar|empty grammar stack' "$log" | head -400
fi
kill "$SERVER_PID" 2>/dev/null || true
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=

if [ "${INTEROP_SKIP_EMBEDDED:-0}" != 1 ]; then
  run embedded || status=$?
fi
exit "$status"
