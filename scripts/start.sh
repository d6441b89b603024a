#!/usr/bin/env bash
# Install (first run only takes long) and start the app on http://127.0.0.1:7860.
# The app builds the index on first start. Extra arguments go to app.py (e.g. --port 8000).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh app
export GRADIO_ANALYTICS_ENABLED=False
exec .venv/bin/python app.py "$@"
