"""Helpers for the dashboard tests: the dashboards' queries, and the metrics app.

``MetricsApp`` runs ``tests/_metrics_app.py`` (errorlens + the OpenTelemetry SDK + the
real Prometheus exporter) in a child process on a free loopback port.
``binary`` finds the Prometheus tools (Debian's ``prometheus`` package).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from queue import Empty, Queue
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
DASHBOARDS = ROOT / "dashboards"
METRICS_DASHBOARD = DASHBOARDS / "errorlens-api-errors.json"
LOGS_TRACES_DASHBOARD = DASHBOARDS / "errorlens-logs-traces.json"
ALERTS = DASHBOARDS / "alerts.yml"
ALERTS_TEST = DASHBOARDS / "alerts.test.yml"

# Grafana's built-in variables and what the tests put in their place.
BUILTINS = {"__rate_interval": "1m", "__range": "1m", "__auto": "1m", "__interval": "1m"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def binary(name: str) -> str:
    """A Prometheus tool's path; skip without it locally, fail in CI (CI=true)."""
    found = shutil.which(name) or (
        f"/usr/bin/{name}" if os.path.exists(f"/usr/bin/{name}") else None
    )
    if found is None:
        message = f"the {name} binary is missing: apt-get install -y prometheus"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


def generator() -> ModuleType:
    """``dashboards/generate.py``, imported (it is a script, not a package)."""
    spec = importlib.util.spec_from_file_location(
        "errorlens_dashboards", DASHBOARDS / "generate.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def alert_rules() -> dict[str, dict[str, Any]]:
    """alerts.yml's rules by alert name."""
    import yaml

    document = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))
    return {rule["alert"]: rule for group in document["groups"] for rule in group["rules"]}


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


# -- LogQL: which fields a query names --------------------------------------------------

_LOG_GROUPING = re.compile(r"\b(?:by|without)\s*\(([^)]*)\)")
# A pipeline stage, split at "|" but not at the line filters "|=" and "|~".
_STAGE_SPLIT = re.compile(r"\|(?![=~])")
_LABEL_FILTER = re.compile(r"([A-Za-z_]\w*)\s*(?:=~|!~|!=|==|>=|<=|=|>|<)\s*(?:\"\"|[\w.]+)")
_PARSERS = {"json", "logfmt"}


def logql_fields(query: str, legend: str = "") -> set[str]:
    """Field names a LogQL query reads after its parser: filters, groupings, legend.

    Fails on a pipeline stage it does not know, so a new kind of stage cannot slip
    past the check unread.
    """
    text = _STRING.sub('""', query)
    fields = {
        name.strip()
        for body in _LOG_GROUPING.findall(text)
        for name in body.split(",")
        if name.strip()
    }
    fields.update(re.findall(r"\{\{\s*\.?(\w+)\s*\}\}", legend))
    _, _, pipeline = text.partition("}")  # after the stream selector
    pipeline = pipeline.split("[", 1)[0]  # before a range
    for stage in _STAGE_SPLIT.split(pipeline)[1:]:
        stage = stage.strip().rstrip(")").strip()
        if stage in _PARSERS:
            continue
        found = _LABEL_FILTER.fullmatch(stage)
        if found is None:
            raise ValueError(f"unknown LogQL stage {stage!r} in {query!r}")
        fields.add(found.group(1))
    return fields


def loki_flattened(value: Any, prefix: str = "") -> set[str]:
    """The field names Loki's ``| json`` makes of a JSON line: nested keys joined by _."""
    if isinstance(value, dict):
        names: set[str] = set()
        for key, item in value.items():
            name = re.sub(r"[^\w]", "_", str(key))
            names |= loki_flattened(item, f"{prefix}_{name}" if prefix else name)
        return names
    return {prefix}


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

    def burst(self, route: str, count: int) -> list[dict[str, Any]]:
        """``count`` more errors from one emulated vendor route; returns their facts."""
        assert self._process.stdin is not None
        self._process.stdin.write(f"burst {route} {count}\n")
        self._process.stdin.flush()
        recorded: list[dict[str, Any]] = self._next(timeout=60)["recorded"]
        self.recorded.extend(recorded)
        return recorded

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
