"""Every PromQL query of the metrics dashboard, run by a real Prometheus server.

The Prometheus server (Debian's ``prometheus`` package) scrapes the real OpenTelemetry
Prometheus exporter of ``tests/_metrics_app.py``, where errorlens records the errors of
the emulated vendors through ``errorlens.record_error``. Each query must answer, and
answer what the recorded errors imply.

Each vendor route ``i`` fails ``i + 1`` times per round. Two identical rounds are
scraped (the second after Prometheus has seen the first), so every series grows by the
same factor of its count and every rate is proportional to it: shares and ratios are
exact, whatever Prometheus's extrapolation.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from _dashboards import METRICS_DASHBOARD, MetricsApp, free_port, load, substitute, targets

pytestmark = pytest.mark.integration

JOB = "errorlens-app"
DEADLINE = 30.0  # seconds, for each wait on the server


def _prometheus_binary() -> str:
    found = shutil.which("prometheus") or (
        "/usr/bin/prometheus" if os.path.exists("/usr/bin/prometheus") else None
    )
    if found is None:
        message = "the prometheus binary is missing: apt-get install -y prometheus"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


class Prometheus:
    def __init__(self, binary: str, workdir: Path, target: str) -> None:
        self.port = free_port()
        # Queries are evaluated at one instant once it is set: their windows then
        # hold the same samples, and their values can be compared exactly.
        self.at: float | None = None
        config = workdir / "prometheus.yml"
        config.write_text(
            "global:\n"
            "  scrape_interval: 1s\n"
            "  scrape_timeout: 1s\n"
            "scrape_configs:\n"
            f"  - job_name: {JOB}\n"
            "    static_configs:\n"
            f"      - targets: ['{target}']\n"
        )
        self.log = workdir / "prometheus.log"
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [
                    binary,
                    f"--config.file={config}",
                    f"--storage.tsdb.path={workdir / 'data'}",
                    f"--web.listen-address=127.0.0.1:{self.port}",
                    "--log.level=warn",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def get(self, path: str, **params: str) -> Any:
        url = f"http://127.0.0.1:{self.port}{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        with urllib.request.urlopen(url, timeout=5) as response:
            return json.loads(response.read()) if path.startswith("/api/") else response.status

    def query(self, expr: str) -> list[dict[str, Any]]:
        params = {"query": expr}
        if self.at is not None:
            params["time"] = f"{self.at:.3f}"
        answer = self.get("/api/v1/query", **params)
        assert answer["status"] == "success", (expr, answer)
        result: list[dict[str, Any]] = answer["data"]["result"]
        return result

    def wait_for(self, what: str, check: Callable[[], bool]) -> None:
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"prometheus exited:\n{self.log.read_text()[-2000:]}")
            try:
                if check():
                    return
            except OSError:
                pass  # not listening yet
            time.sleep(0.25)
        pytest.fail(f"timed out waiting for {what}:\n{self.log.read_text()[-2000:]}")


@pytest.fixture(scope="module")
def scraped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Prometheus, MetricsApp]]:
    binary = _prometheus_binary()
    with MetricsApp() as app:
        server = Prometheus(binary, tmp_path_factory.mktemp("prometheus"), f"127.0.0.1:{app.port}")
        try:
            server.wait_for("the server", lambda: server.get("/-/ready") == 200)
            total = len(app.recorded)
            selector = f'api_client_errors_total{{job="{JOB}"}}'

            def scraped_twice() -> bool:
                result = server.query(f"min(count_over_time({selector}[1m]))")
                return bool(result) and float(result[0]["value"][1]) >= 2

            server.wait_for("two scrapes of the first round", scraped_twice)
            app.another_round()

            def second_round_seen() -> bool:
                result = server.query(f"sum({selector})")
                return bool(result) and float(result[0]["value"][1]) == 2 * total

            server.wait_for("the second round", second_round_seen)
            server.at = time.time()
            yield server, app
        finally:
            server.stop()


def _label_key(series: dict[str, Any], labels: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(series["metric"].get(label, "") for label in labels)


def _recorded_counts(app: MetricsApp, labels: tuple[str, ...]) -> Counter[tuple[str, ...]]:
    names = {
        "api_error_vendor": "vendor",
        "api_error_code": "code",
        "http_response_status_code": "status",
        "api_error_retryable": "retryable",
    }
    counts: Counter[tuple[str, ...]] = Counter()
    for record in app.recorded:
        key = []
        for label in labels:
            value = record[names[label]]
            if isinstance(value, bool):
                value = "true" if value else "false"
            key.append("" if value is None else str(value))
        counts[tuple(key)] += 1
    return counts


def _assert_proportional(
    result: list[dict[str, Any]], expected: Counter[tuple[str, ...]], labels: tuple[str, ...]
) -> None:
    got = {_label_key(series, labels): float(series["value"][1]) for series in result}
    assert set(got) == set(expected)
    total_got, total_expected = sum(got.values()), sum(expected.values())
    assert total_got > 0
    for key, count in expected.items():
        assert got[key] / total_got == pytest.approx(count / total_expected, rel=1e-9), key


def _queries() -> dict[str, str]:
    values = {"prometheus": "", "job": JOB, "vendor": ".*"}
    return {
        title: substitute(expr, values)
        for title, expr in targets(load(METRICS_DASHBOARD), "prometheus")
    }


def test_every_panel_query_answers(scraped: tuple[Prometheus, MetricsApp]) -> None:
    server, _ = scraped
    queries = _queries()
    assert len(queries) >= 10
    for title, expr in queries.items():
        result = server.query(expr)
        assert result, f"{title}: no data for {expr}"
        for series in result:
            value = float(series["value"][1])
            assert math.isfinite(value) and value >= 0, (title, series)


def test_panel_values_match_the_recorded_errors(scraped: tuple[Prometheus, MetricsApp]) -> None:
    server, app = scraped
    queries = _queries()
    recorded = app.recorded
    total = len(recorded)

    def single(title: str) -> float:
        (series,) = server.query(queries[title])
        return float(series["value"][1])

    per_second = single("API errors / s")
    assert per_second > 0
    # $__range and $__rate_interval are both 1m here: increase = rate * 60 s.
    assert single("API errors in range") == pytest.approx(per_second * 60, rel=1e-9)
    retryable = sum(record["retryable"] for record in recorded)
    assert single("Retryable share") == pytest.approx(retryable / total, rel=1e-9)
    limited = sum(record["status"] == 429 for record in recorded)
    assert single("Rate limited (429) share") == pytest.approx(limited / total, rel=1e-9)
    server_side = sum(500 <= record["status"] <= 599 for record in recorded)
    assert single("Server errors (5xx) share") == pytest.approx(server_side / total, rel=1e-9)

    by_vendor = server.query(queries["Errors / s by vendor"])
    labels: tuple[str, ...] = ("api_error_vendor",)
    _assert_proportional(by_vendor, _recorded_counts(app, labels), labels)
    assert sum(float(s["value"][1]) for s in by_vendor) == pytest.approx(per_second, rel=1e-9)

    labels = ("http_response_status_code",)
    by_status = server.query(queries["Errors / s by HTTP status"])
    _assert_proportional(by_status, _recorded_counts(app, labels), labels)

    labels = ("api_error_retryable",)
    retry_split = server.query(queries["Retryable vs not"])
    _assert_proportional(retry_split, _recorded_counts(app, labels), labels)

    labels = ("api_error_vendor", "api_error_code", "http_response_status_code")
    top = server.query(queries["Top error codes in range"])
    _assert_proportional(top, _recorded_counts(app, labels), labels)


def test_retry_after_panels(scraped: tuple[Prometheus, MetricsApp]) -> None:
    server, app = scraped
    queries = _queries()
    waits: dict[str, set[float]] = {}
    for record in app.recorded:
        if record["retry_after"] is not None:
            waits.setdefault(record["vendor"], set()).add(record["retry_after"])
    assert waits, "no emulated vendor sent a retry-after"

    mean = {
        s["metric"]["api_error_vendor"]: float(s["value"][1])
        for s in server.query(queries["Mean retry-after by vendor"])
    }
    assert set(mean) == set(waits)
    for vendor, values in waits.items():
        (wait,) = values
        assert mean[vendor] == pytest.approx(wait, rel=1e-9)

    bounds = sorted(
        {
            float(s["metric"]["le"])
            for s in server.query(f'api_client_retry_after_seconds_bucket{{job="{JOB}"}}')
            if s["metric"]["le"] != "+Inf"
        }
    )
    p95 = {
        s["metric"]["api_error_vendor"]: float(s["value"][1])
        for s in server.query(queries["p95 retry-after by vendor"])
    }
    assert set(p95) == set(waits)
    for vendor, values in waits.items():
        (wait,) = values
        upper = min(bound for bound in bounds if bound >= wait)
        lower = max((bound for bound in bounds if bound < wait), default=0.0)
        # Prometheus interpolates inside the bucket that holds every observation.
        assert lower < p95[vendor] <= upper, (vendor, wait, p95[vendor])


def test_variable_queries_list_the_recorded_values(scraped: tuple[Prometheus, MetricsApp]) -> None:
    server, app = scraped
    for var in load(METRICS_DASHBOARD)["templating"]["list"]:
        if var["type"] != "query":
            continue
        inner = var["query"][len("label_values(") : -1]
        selector, label = (part.strip() for part in inner.rsplit(",", 1))
        selector = substitute(selector, {"job": JOB})
        answer = server.get("/api/v1/series", **{"match[]": selector})
        values = {series[label] for series in answer["data"] if label in series}
        if label == "job":
            assert values == {JOB}
        else:
            assert label == "api_error_vendor"
            assert values == {r["vendor"] for r in app.recorded if r["vendor"] is not None}
