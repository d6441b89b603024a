#!/usr/bin/env bash
# Install everything (LLM backends, test models) and run the whole test suite.
# Browser tests need Debian's chromium at /usr/bin/chromium (apt-get install chromium);
# they are skipped with a clear reason when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh all
export GRADIO_ANALYTICS_ENABLED=False HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
.venv/bin/ruff check .
exec .venv/bin/python -m pytest -q "$@"
