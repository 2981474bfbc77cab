#!/usr/bin/env bash
# Builds llama.cpp's `llama-batched-bench` from the llama.cpp sources vendored in the llama-cpp-python sdist of
# the version installed in the bench venv, once: later runs find the binary and print its path straight away.
# `llama-quantize` comes along (one more file on the same library) for scripts/fixtures/smollm2_llama_quantize.py.
# Usage: build_llama_batched_bench.sh VENV CACHE   (prints the binary's path on stdout, progress on stderr)
set -euo pipefail
VENV="$1"
CACHE="$2"

version=$("$VENV/bin/python" -c "import importlib.metadata as m; print(m.version('llama-cpp-python'))")
root="$CACHE/llama.cpp/llama-cpp-python-$version"
binary="$root/bin/llama-batched-bench"
if [ -x "$binary" ]; then
  echo "$binary"
  exit 0
fi

mkdir -p "$root"
echo "bench-compare: building llama-batched-bench from llama-cpp-python $version's vendored llama.cpp into $root (minutes)" >&2
if [ ! -d "$root/src/vendor/llama.cpp" ]; then
  # Only the package itself from source: `--no-binary :all:` would also compile cmake, a build dependency.
  [ -f "$root/sdist/llama_cpp_python-$version.tar.gz" ] || "$VENV/bin/pip" download --quiet --disable-pip-version-check --no-deps --no-binary llama-cpp-python \
    "llama-cpp-python==$version" -d "$root/sdist" >&2
  rm -rf "$root/src.partial"
  mkdir -p "$root/src.partial"
  tar -xzf "$root/sdist/llama_cpp_python-$version.tar.gz" -C "$root/src.partial" --strip-components=1
  mv "$root/src.partial" "$root/src"
fi
sources="$root/src/vendor/llama.cpp"
(cd "$sources" && git rev-parse HEAD 2>/dev/null || echo "commit unknown") > "$root/llama.cpp-commit.txt"

# Release, tuned for this CPU (as llama-cpp-python's own build is), no GPU back ends, no TLS, only the two targets.
PATH="$VENV/bin:$PATH" cmake -S "$sources" -B "$root/build" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON \
  -DBUILD_SHARED_LIBS=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_APP=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
  -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_TOOLS=ON >&2
PATH="$VENV/bin:$PATH" cmake --build "$root/build" --config Release --target llama-batched-bench llama-quantize -j "$(nproc)" >&2
mkdir -p "$root/bin"
cp "$(find "$root/build" -name llama-quantize -type f -perm -u+x | head -1)" "$root/bin/llama-quantize"
cp "$(find "$root/build" -name llama-batched-bench -type f -perm -u+x | head -1)" "$binary.partial"
mv "$binary.partial" "$binary"
# The binary links llama.cpp statically: the sources and the build tree (~370 MB) are no longer needed.
rm -rf "$root/build" "$root/src" "$root/sdist"
echo "$binary"
