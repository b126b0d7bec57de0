"""The benchmark script runs and reports every budget (figures are not asserted here)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).parent.parent / "benchmarks" / "run.py"


def test_benchmark_smoke_run_reports_every_budget() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    rows = json.loads(done.stdout)
    names = " | ".join(row["name"] for row in rows)
    for expected in (
        "from_http",
        "50 MB body",
        "memory growth",
        "non-error event",
        "API error logged",
    ):
        assert expected in names
    for row in rows:
        assert math.isfinite(row["ratio"]) and row["ratio"] >= 0
        assert row["budget"] > 0
