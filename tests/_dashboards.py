"""Helpers for the dashboard tests: the dashboards' queries, and the metrics app.

``MetricsApp`` runs ``tests/_metrics_app.py`` (errorlens + the OpenTelemetry SDK + the
real Prometheus exporter) in a child process on a free loopback port.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from queue import Empty, Queue
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DASHBOARDS = ROOT / "dashboards"
METRICS_DASHBOARD = DASHBOARDS / "errorlens-api-errors.json"
LOGS_TRACES_DASHBOARD = DASHBOARDS / "errorlens-logs-traces.json"

# Grafana's built-in variables and what the tests put in their place.
BUILTINS = {"__rate_interval": "1m", "__range": "1m", "__auto": "1m", "__interval": "1m"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def dashboard_files() -> list[Path]:
    return sorted(DASHBOARDS.glob("*.json"))


def panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in dashboard["panels"]:
        yield panel
        yield from panel.get("panels", [])


def targets(dashboard: dict[str, Any], datasource_type: str) -> list[tuple[str, str]]:
    """``(panel title, query)`` of every target whose datasource has that type."""
    found = []
    for panel in panels(dashboard):
        for target in panel.get("targets", []):
            source = target.get("datasource") or panel.get("datasource") or {}
            if source.get("type") != datasource_type:
                continue
            query = target.get("expr") if "expr" in target else target.get("query")
            found.append((panel["title"], query))
    return found


_VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)")


def variables_used(text: str) -> set[str]:
    return {a or b for a, b in _VARIABLE.findall(text)}


def substitute(query: str, values: dict[str, str]) -> str:
    """Replace Grafana variables as Grafana would for one value each."""
    merged = {**BUILTINS, **values}

    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name not in merged:
            raise KeyError(f"no value for ${name} in {query!r}")
        return merged[name]

    return _VARIABLE.sub(replace, query)


# -- PromQL: which metric names and labels an expression uses -----------------------

_PROMQL_WORDS = {
    # aggregations, functions and keywords the dashboards may use
    "sum", "avg", "min", "max", "count", "topk", "bottomk", "by", "without", "on",
    "ignoring", "group_left", "group_right", "and", "or", "unless", "rate", "irate",
    "increase", "histogram_quantile", "clamp_min", "clamp_max", "label_replace", "offset",
    "bool", "vector", "scalar", "abs", "round", "sort", "sort_desc", "time", "delta",
    "idelta", "deriv", "avg_over_time", "sum_over_time", "max_over_time", "count_over_time",
    "label_values",
}  # fmt: skip
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_SELECTOR = re.compile(r"\{([^}]*)\}")
_MATCHER = re.compile(r"([A-Za-z_]\w*)\s*(?:=~|!~|!=|=)")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring)\s*\(([^)]*)\)")
_RANGE = re.compile(r"\[[^\]]*\]")
_IDENT = re.compile(r"[A-Za-z_:][\w:]*")


def promql_names(expr: str) -> tuple[set[str], set[str]]:
    """``(metric names, label names)`` referenced by a PromQL expression."""
    labels: set[str] = set()
    for body in _SELECTOR.findall(_STRING.sub('""', expr)):
        labels.update(_MATCHER.findall(body))
    for body in _GROUPING.findall(expr):
        labels.update(name.strip() for name in body.split(",") if name.strip())
    rest = _STRING.sub(" ", expr)
    rest = _SELECTOR.sub(" ", rest)
    rest = _GROUPING.sub(" ", rest)
    rest = _RANGE.sub(" ", rest)
    metrics = {
        name
        for name in _IDENT.findall(rest)
        if name not in _PROMQL_WORDS and not re.fullmatch(r"\d.*", name)
    }
    return metrics, labels


def exposed_series(text: str) -> dict[str, set[str]]:
    """Sample name -> label names, read from Prometheus exposition text."""
    from prometheus_client.parser import text_string_to_metric_families

    series: dict[str, set[str]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            series.setdefault(sample.name, set()).update(sample.labels)
    return series


# -- the metrics app -----------------------------------------------------------------


class MetricsApp:
    """``tests/_metrics_app.py`` in a child process, its /metrics on a free port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.recorded: list[dict[str, Any]] = []
        self._lines: Queue[str] = Queue()
        env = {
            **os.environ,
            "OTEL_METRICS_EXPORTER": "prometheus",
            "OTEL_TRACES_EXPORTER": "none",
            "OTEL_LOGS_EXPORTER": "none",
            "OTEL_EXPORTER_PROMETHEUS_HOST": "127.0.0.1",
            "OTEL_EXPORTER_PROMETHEUS_PORT": str(self.port),
        }
        env.pop("OTEL_SDK_DISABLED", None)
        self._process = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("_metrics_app.py"))],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        threading.Thread(target=self._read, daemon=True).start()
        try:
            ready = self._next(timeout=20)
        except Exception:
            self.stop()
            raise
        self.recorded = ready["recorded"]

    def _read(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            self._lines.put(line)

    def _next(self, timeout: float) -> dict[str, Any]:
        try:
            line = self._lines.get(timeout=timeout)
        except Empty:
            raise RuntimeError(f"the metrics app said nothing in {timeout} s") from None
        return json.loads(line)

    @property
    def metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/metrics"

    def scrape(self) -> str:
        with urllib.request.urlopen(self.metrics_url, timeout=5) as response:
            return response.read().decode("utf-8")

    def another_round(self) -> None:
        assert self._process.stdin is not None
        self._process.stdin.write("round\n")
        self._process.stdin.flush()
        self._next(timeout=20)

    def stop(self) -> str:
        """Stop the app (closing its input ends it); returns what it wrote to stderr."""
        process = self._process
        try:
            if process.stdin is not None:
                process.stdin.close()
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        return process.stderr.read() if process.stderr is not None else ""

    def __enter__(self) -> MetricsApp:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
