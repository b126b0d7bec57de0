#!/usr/bin/env bash
# Install errorlens and run its demo against a local vendor emulator (no network needed).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install -q -e ".[otel]" requests
.venv/bin/errorlens demo "$@"
