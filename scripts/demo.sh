#!/usr/bin/env bash
# Install errorlens into .venv with everything the demo and the examples need, then run
# the demo against a local vendor emulator (no network needed).
# Usage: bash scripts/demo.sh [errorlens demo options, e.g. --jsonl demo.jsonl]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
echo "errorlens demo: installing errorlens and the examples' clients into .venv ..." >&2
# errorlens with the OpenTelemetry and retry extras, and what the examples import:
# requests, httpx, aiohttp, python-json-logger, flask, and the servers fastapi, uvicorn, waitress.
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[otel,retry]" \
    "requests>=2.31" "httpx>=0.27" "aiohttp>=3.9" "python-json-logger>=3" "flask>=3" \
    "fastapi>=0.110" "uvicorn>=0.29" "waitress>=3"
.venv/bin/errorlens demo "$@"
cat >&2 <<'EOF'

Next: run an example (each starts its own fake vendor on 127.0.0.1):
  .venv/bin/python examples/structlog_app.py
  .venv/bin/python examples/stdlib_json_app.py
  .venv/bin/python examples/web_app.py
  .venv/bin/python examples/retry_app.py
  .venv/bin/python examples/aiohttp_app.py
  .venv/bin/python examples/fastapi_app.py
  .venv/bin/python examples/flask_app.py
EOF
