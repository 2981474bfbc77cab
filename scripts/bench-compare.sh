#!/usr/bin/env bash
# Runs each benchmark beside its peer in one go, on this machine, and prints our/their ratios:
#   generate: llama.cpp (llama-cpp-python)   embed: sentence-transformers (PyTorch)   dedup: faiss-cpu + numpy
#   batch: llama.cpp's llama-batched-bench, built once from the sources in the llama-cpp-python sdist
#   kquant: the same on the production model's shape and type mix (a random Abacus-shape Q4_K_M file, 1.8 GB)
#   serve: llama.cpp's llama-server, built the same way, under the same concurrent chat clients as `semi-instruct serve`
# The peers go into a throw-away venv in the cache; nothing here is part of the tests.
# BENCH_COMPARE_ONLY=batch (or generate, embed, dedup, kquant, serve; comma-separated) runs only those sections;
# BENCH_BATCH_REPEATS (default 3) sets how many times the batched pair alternates (medians are printed);
# BENCH_BATCH_KV=f16 gives our batch engine an f16 KV cache, as llama.cpp has by default (ours: f32).
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE="${SEMI_INSTRUCT_CACHE:-$HOME/.cache/semi-instruct}"
VENV="$CACHE/bench-venv"
BIN=.build/release/semi-instruct
MODEL="$CACHE/models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
# Made from the Q4_1 file by `model quantize` (no original weights offline): the same network at 8 bits.
MODEL_Q8_0="$CACHE/models/smollm2-q8_0/SmolLM2-135M-Instruct.Q8_0.gguf"
# The same again in llama.cpp's Q4_K_M mix (Q5_0 where rows of 576 values do not fill a K-quant super-block).
MODEL_Q4_K_M="$CACHE/models/smollm2-q4_k_m/SmolLM2-135M-Instruct.Q4_K_M.gguf"
ONLY="${BENCH_COMPARE_ONLY:-generate,embed,dedup,batch,kquant,serve}"
wanted() { [[ ",$ONLY," == *",$1,"* ]]; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

if [ ! -x "$VENV/bin/python" ]; then
  echo "bench-compare: creating $VENV (numpy, faiss-cpu, sentence-transformers, llama-cpp-python; several minutes)"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check numpy faiss-cpu sentence-transformers
  # llama-cpp-python ships no Linux wheel on PyPI: it compiles llama.cpp (needs cmake and a C++ compiler).
  "$VENV/bin/pip" install --quiet --disable-pip-version-check cmake
  PATH="$VENV/bin:$PATH" "$VENV/bin/pip" install --quiet --disable-pip-version-check llama-cpp-python
fi

ratio() { python3 -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print(f'{a / b:.2f}x' if b else 'n/a')" "$1" "$2"; }
field() { python3 -c "import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }

if wanted generate; then
echo "== generate: SmolLM2-135M-Instruct Q4_1, 512-token prompt, 128 decoded tokens, 2 threads"
ours=$($BIN bench generate smollm2 --threads 2 --json)
theirs=$("$VENV/bin/python" scripts/bench/generate_llama_cpp.py "$MODEL" --threads 2)
echo "ours:      $ours"
echo "llama.cpp: $theirs"
echo "prefill ratio $(ratio "$(field "$ours" prefill_tokens_per_second)" "$(field "$theirs" prefill_tokens_per_second)"), decode ratio $(ratio "$(field "$ours" decode_tokens_per_second)" "$(field "$theirs" decode_tokens_per_second)")"
fi

if wanted embed; then
echo "== embed: 2,000 standard-library functions, all-MiniLM-L6-v2, 2 threads"
$BIN bench embed --dump-corpus "$WORK/corpus.jsonl" | tee "$WORK/ours-embed.txt"
"$VENV/bin/python" scripts/bench/embed_sentence_transformers.py "$WORK/corpus.jsonl" | tee "$WORK/theirs-embed.txt"
fi

if wanted dedup; then
echo "== dedup: 200,000 random unit vectors of dimension 384, k = 1000, 20 iterations"
$BIN bench dedup --niter 20 | tee "$WORK/ours-dedup.txt"
"$VENV/bin/python" scripts/fixtures/semdedup_bench_reference.py --niter 20 | tee "$WORK/theirs-dedup.txt"
fi

# Ratios from the lines both sides print: sentences/s (higher is better) and total seconds (lower is better).
python3 - "$WORK" <<'PY'
import os, re, sys
work = sys.argv[1]
def grab(name, pattern):
    if not os.path.exists(f"{work}/{name}"):
        return None
    match = re.search(pattern, open(f"{work}/{name}").read())
    return float(match.group(1)) if match else None
ours, theirs = grab("ours-embed.txt", r"median: ([\d.]+) sentences/s"), grab("theirs-embed.txt", r"median: ([\d.]+) sentences/s")
if ours and theirs:
    print(f"embed ratio (sentences/s, ours/theirs): {ours / theirs:.2f}x")
ours, theirs = grab("ours-dedup.txt", r"total ([\d.]+) s"), grab("theirs-dedup.txt", r"total ([\d.]+) s")
if ours and theirs:
    print(f"dedup ratio (their time / our time): {theirs / ours:.2f}x")
PY

if wanted batch; then
echo "== batch: SmolLM2-135M-Instruct Q4_1, Q8_0 and Q4_K_M, 64-token prompts, 128 generated each, 1/4/16/32 sequences, 2 threads"
for pair in "Q8_0 $MODEL_Q8_0" "Q4_K_M $MODEL_Q4_K_M"; do
  set -- $pair
  if [ ! -f "$2" ]; then
    mkdir -p "$(dirname "$2")"
    $BIN model quantize "$MODEL" "$2" --type "$1" 2> "$WORK/quantize.log" || { cat "$WORK/quantize.log" >&2; exit 1; }
  fi
done
BATCHED_BENCH=$(bash scripts/bench/build_llama_cpp.sh "$VENV" "$CACHE" llama-batched-bench llama-quantize)
echo "llama-batched-bench: $BATCHED_BENCH (llama.cpp $(cat "$(dirname "$(dirname "$BATCHED_BENCH")")/llama.cpp-commit.txt"))"
REPEATS="${BENCH_BATCH_REPEATS:-3}"
BATCH_KV="${BENCH_BATCH_KV:-f32}"  # our KV cache precision (f16 is what llama.cpp's cache holds by default)
for label in Q4_1 Q8_0 Q4_K_M; do
  model=$MODEL
  [ "$label" = Q8_0 ] && model=$MODEL_Q8_0
  [ "$label" = Q4_K_M ] && model=$MODEL_Q4_K_M
  for r in $(seq "$REPEATS"); do
    /usr/bin/time -f "%e %U %S %M" -o "$WORK/ours-$label-$r.time" \
      $BIN bench batch "$model" --runs 1 --prefix-requests 0 --kv "$BATCH_KV" --json > "$WORK/ours-$label-$r.json"
    # Their defaults otherwise: flash attention "auto" (on for this model on CPU), an f16 KV cache; -lv 4 logs both.
    /usr/bin/time -f "%e %U %S %M" -o "$WORK/theirs-$label-$r.time" \
      "$BATCHED_BENCH" -m "$model" -c 8192 -b 2048 -ub 512 -npp 64 -ntg 128 -npl 1,4,16,32 -t 2 \
      --output-format jsonl -lv 4 > "$WORK/theirs-$label-$r.jsonl" 2> "$WORK/theirs-$label-$r.log"
  done
  python3 scripts/bench/batch_compare.py "$label" "$WORK" "$REPEATS"
done
fi

if wanted kquant; then
echo "== kquant: random weights of Abacus's shape in Q4_K_M (1.8 GB), 128-token prompts, 32 generated each, 1/4/8 sequences, 2 threads"
BATCHED_BENCH=$(bash scripts/bench/build_llama_cpp.sh "$VENV" "$CACHE" llama-batched-bench llama-quantize)
# One file for both engines; ours also reports single-stream decode against the streaming read bandwidth.
$BIN bench abacus-shape --keep "$WORK/abacus-shape.gguf" --directory "$WORK"
REPEATS="${BENCH_BATCH_REPEATS:-3}"
for r in $(seq "$REPEATS"); do
  # Ours three times, prompts in float (the default), bf16 and int8 (--prompt-precision), beside one llama.cpp run.
  for prompts in float bf16 int8; do
    /usr/bin/time -f "%e %U %S %M" -o "$WORK/ours-Q4_K_M-$prompts-$r.time" \
      $BIN bench batch "$WORK/abacus-shape.gguf" --runs 1 --prefix-requests 0 --prompt-tokens 128 --generate-tokens 32 \
      --parallel 1,4,8 --kv "${BENCH_BATCH_KV:-f32}" --prompt-precision "$prompts" --json > "$WORK/ours-Q4_K_M-$prompts-$r.json"
  done
  /usr/bin/time -f "%e %U %S %M" -o "$WORK/theirs-Q4_K_M-float-$r.time" \
    "$BATCHED_BENCH" -m "$WORK/abacus-shape.gguf" -c 4096 -b 2048 -ub 512 -npp 128 -ntg 32 -npl 1,4,8 -t 2 \
    --output-format jsonl -lv 4 > "$WORK/theirs-Q4_K_M-float-$r.jsonl" 2> "$WORK/theirs-Q4_K_M-float-$r.log"
  for f in jsonl log time; do for prompts in bf16 int8; do cp "$WORK/theirs-Q4_K_M-float-$r.$f" "$WORK/theirs-Q4_K_M-$prompts-$r.$f"; done; done
done
# Issue 20's aims: batched decode and prompts at 2x llama.cpp's (4 and 8 sequences).
for prompts in float bf16 int8; do python3 scripts/bench/batch_compare.py "Q4_K_M-$prompts" "$WORK" "$REPEATS" 4,8 2; done
rm -f "$WORK/abacus-shape.gguf"
fi

if wanted serve; then
echo "== serve: SmolLM2-135M-Instruct Q4_1, 1/8/32 concurrent chat clients, 2 requests each of 64 tokens, 2 threads"
LLAMA_SERVER=$(bash scripts/bench/build_llama_cpp.sh "$VENV" "$CACHE" llama-server)
echo "llama-server: $LLAMA_SERVER (llama.cpp $(cat "$(dirname "$(dirname "$LLAMA_SERVER")")/llama.cpp-commit.txt"))"
$BIN bench serve "$MODEL" --threads 2 --clients 1,8,32 --llama-server "$LLAMA_SERVER"
fi
