#!/usr/bin/env bash
# Install everything the test suite needs, then run all of it: lint, types, tests.
# Usage: bash scripts/test.sh [extra pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."

# The integration tests run a real Prometheus server (Debian's package).
if ! command -v prometheus >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1; then
        SUDO=""
        if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends prometheus >/dev/null
    else
        echo "prometheus not found and apt-get unavailable: the Prometheus integration test will fail in CI" >&2
    fi
fi
# A prometheus package may start its own service; the tests start their own on free ports.
if command -v systemctl >/dev/null 2>&1; then systemctl stop prometheus >/dev/null 2>&1 || true; fi

python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[dev]"

echo "== ruff"
.venv/bin/ruff check src tests examples benchmarks
.venv/bin/ruff format --check src
echo "== mypy --strict"
.venv/bin/mypy src/errorlens
echo "== pytest"
.venv/bin/python -m pytest -q "$@"
