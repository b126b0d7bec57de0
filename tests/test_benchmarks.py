"""The benchmark script runs and reports every budget (figures are not asserted here)."""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).parent.parent / "benchmarks" / "run.py"

ROWS = {
    "from_http / json.loads": None,
    "50 MB body / 1 KB body": None,
    "hostile 64 KiB HTML": None,
    "memory growth": None,
    "httpx client: success response": None,
    "structlog chain: non-error line": None,
    "structlog chain: API error with exception": None,
    "stdlib + logging.Formatter: non-error line": None,
    "stdlib + logging.Formatter: API error with exception": None,
    "stdlib + python-json-logger: non-error line": "pythonjsonlogger",
    "stdlib + python-json-logger: API error with exception": "pythonjsonlogger",
    "OpenTelemetry SDK on: API error / the same outputs by hand": "opentelemetry.sdk",
    "Sentry on: time per API error event": "sentry_sdk",
    "Sentry on: bytes per API error event": "sentry_sdk",
}


def test_benchmark_smoke_run_reports_every_budget() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--json"],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    rows = json.loads(done.stdout)
    for expected, optional_module in ROWS.items():
        matching = [row for row in rows if row["name"].startswith(expected)]
        assert len(matching) == 1, (expected, [row["name"] for row in rows])
        row = matching[0]
        assert row["error"] is None, row
        if row["skipped"] is not None:
            # Only a missing optional piece may skip a row.
            assert optional_module is not None, row
            assert importlib.util.find_spec(optional_module) is None, row
            continue
        assert row["ratio"] is not None and math.isfinite(row["ratio"]), row
        assert row["ratio"] >= 0, row
        assert row["budget"] > 0, row
        assert row["ok"] in (True, False), row
    assert len(rows) == len(ROWS)


def test_benchmark_table_has_every_column() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--only", "from_http"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    header = done.stdout.splitlines()[0]
    for column in ("benchmark", "baseline", "errorlens", "ratio", "budget", "ok"):
        assert column in header
