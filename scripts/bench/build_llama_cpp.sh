#!/usr/bin/env bash
# Builds llama.cpp programs (llama-batched-bench, llama-quantize, llama-server) from the llama.cpp sources vendored in
# the llama-cpp-python sdist of the version installed in VENV, once each: a later run finds a binary in
# $CACHE/llama.cpp/llama-cpp-python-$version/bin/ and prints its path straight away.
# Usage: build_llama_cpp.sh VENV CACHE TARGET...   (prints the first target's path on stdout, progress on stderr)
set -euo pipefail
VENV="$1"
CACHE="$2"
shift 2
[ $# -ge 1 ] || { echo "usage: build_llama_cpp.sh VENV CACHE TARGET..." >&2; exit 2; }

version=$("$VENV/bin/python" -c "import importlib.metadata as m; print(m.version('llama-cpp-python'))")
root="$CACHE/llama.cpp/llama-cpp-python-$version"
missing=()
for target in "$@"; do [ -x "$root/bin/$target" ] || missing+=("$target"); done
if [ ${#missing[@]} -eq 0 ]; then
  echo "$root/bin/$1"
  exit 0
fi

mkdir -p "$root"
echo "build_llama_cpp: building ${missing[*]} from llama-cpp-python $version's vendored llama.cpp into $root (minutes)" >&2
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

# Release, tuned for this CPU (as llama-cpp-python's own build is), no GPU back ends, no TLS. The server's web UI is
# left out: with neither npm nor the prebuilt download it embeds an empty asset table and still serves the API.
PATH="$VENV/bin:$PATH" cmake -S "$sources" -B "$root/build" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON \
  -DBUILD_SHARED_LIBS=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_APP=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
  -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF >&2
PATH="$VENV/bin:$PATH" cmake --build "$root/build" --config Release --target "${missing[@]}" -j "$(nproc)" >&2
mkdir -p "$root/bin"
for target in "${missing[@]}"; do
  cp "$(find "$root/build" -name "$target" -type f -perm -u+x | head -1)" "$root/bin/$target.partial"
  mv "$root/bin/$target.partial" "$root/bin/$target"
done
# The binaries link llama.cpp statically: the sources and the build tree (~370 MB) are no longer needed.
rm -rf "$root/build" "$root/src" "$root/sdist"
echo "$root/bin/$1"
