"""Every PromQL query of the metrics dashboard and every alert rule, run by a real Prometheus.

The Prometheus server (Debian's ``prometheus`` package) scrapes the real OpenTelemetry
Prometheus exporter of ``tests/_metrics_app.py``, where errorlens records the errors of
the emulated vendors through ``errorlens.record_error``, and evaluates
``dashboards/alerts.yml``. Each query must answer, and answer what the recorded errors
imply.

Panels: each vendor route ``i`` fails ``i + 1`` times per round. Two identical rounds
are scraped (the second after Prometheus has seen the first), so every series grows by
the same factor of its count and every rate is proportional to it: shares and ratios are
exact, whatever Prometheus's extrapolation.

Alerts: after one round has been scraped, a second application drives a few vendors
into bursts (OpenAI into 429s, Anthropic into 529s, Salesforce into 500s) and Google
into a handful of 400s; each rule must pick exactly the vendors it is about.
"""

from __future__ import annotations

import json
import math
import subprocess
import time
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from _dashboards import (
    ALERTS,
    METRICS_DASHBOARD,
    MetricsApp,
    alert_rules,
    binary,
    free_port,
    load,
    substitute,
    targets,
)
from conftest import require

pytestmark = pytest.mark.integration

JOB = "errorlens-app"
SELECTOR = f'api_client_errors_total{{job="{JOB}"}}'
DEADLINE = 30.0  # seconds, for each wait on the server


class Prometheus:
    def __init__(self, binary: str, workdir: Path, target: str, rules: Path | None = None) -> None:
        self.port = free_port()
        # Queries are evaluated at one instant once it is set: their windows then
        # hold the same samples, and their values can be compared exactly.
        self.at: float | None = None
        config = workdir / "prometheus.yml"
        config.write_text(
            "global:\n"
            "  scrape_interval: 1s\n"
            "  scrape_timeout: 1s\n"
            "  evaluation_interval: 1s\n"
            + (f"rule_files: ['{rules}']\n" if rules else "")
            + "scrape_configs:\n"
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


@contextmanager
def _serving(app: MetricsApp, workdir: Path, rules: Path | None = None) -> Iterator[Prometheus]:
    """A Prometheus server scraping ``app``, ready, that has seen two scrapes of it."""
    server = Prometheus(binary("prometheus"), workdir, f"127.0.0.1:{app.port}", rules)
    try:
        server.wait_for("the server", lambda: server.get("/-/ready") == 200)

        def scraped_twice() -> bool:
            result = server.query(f"min(count_over_time({SELECTOR}[1m]))")
            return bool(result) and float(result[0]["value"][1]) >= 2

        server.wait_for("two scrapes of the first round", scraped_twice)
        yield server
    finally:
        server.stop()


def _wait_for_total(server: Prometheus, what: str, total: int) -> None:
    def seen() -> bool:
        result = server.query(f"sum({SELECTOR})")
        return bool(result) and float(result[0]["value"][1]) == total

    server.wait_for(what, seen)


@pytest.fixture(scope="module")
def scraped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Prometheus, MetricsApp]]:
    with MetricsApp() as app, _serving(app, tmp_path_factory.mktemp("prometheus")) as server:
        total = len(app.recorded)
        app.another_round()
        _wait_for_total(server, "the second round", 2 * total)
        server.at = time.time()
        yield server, app


def _label_key(series: dict[str, Any], labels: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(series["metric"].get(label, "") for label in labels)


def _recorded_counts(app: MetricsApp, labels: tuple[str, ...]) -> Counter[tuple[str, ...]]:
    names = {
        "api_error_vendor": "vendor",
        "api_error_code": "code",
        "http_response_status_code": "status",
        "api_error_retryable": "retryable",
        "api_error_category": "category",
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
    values = {"prometheus": "", "job": JOB, "vendor": ".*", "category": ".*"}
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

    labels = ("api_error_category",)
    by_category = server.query(queries["Errors / s by category"])
    _assert_proportional(by_category, _recorded_counts(app, labels), labels)
    assert sum(float(s["value"][1]) for s in by_category) == pytest.approx(per_second, rel=1e-9)
    labels = ("api_error_category", "api_error_vendor")
    category_table = server.query(queries["Errors in range by category and vendor"])
    _assert_proportional(category_table, _recorded_counts(app, labels), labels)


def test_the_category_variable_filters_every_panel(
    scraped: tuple[Prometheus, MetricsApp],
) -> None:
    # With $category set to one value, the errors per second are that category's.
    server, app = scraped
    expr = next(
        expr
        for title, expr in targets(load(METRICS_DASHBOARD), "prometheus")
        if title == "API errors / s"
    )
    everything = float(
        server.query(substitute(expr, {"job": JOB, "vendor": ".*", "category": ".*"}))[0]["value"][
            1
        ]
    )
    limited = server.query(substitute(expr, {"job": JOB, "vendor": ".*", "category": "rate_limit"}))
    share = sum(record["category"] == "rate_limit" for record in app.recorded) / len(app.recorded)
    assert 0 < share < 1
    assert float(limited[0]["value"][1]) == pytest.approx(everything * share, rel=1e-9)


@pytest.mark.parametrize(
    ("title", "counted"),
    [
        ("Rate-limited share of errors by vendor (429, 529)", lambda status: status in (429, 529)),
        (
            "Server-error share of errors by vendor (5xx but 529)",
            lambda status: 500 <= status <= 599 and status != 529,
        ),
    ],
)
def test_share_by_vendor_panels(
    scraped: tuple[Prometheus, MetricsApp], title: str, counted: Callable[[int], bool]
) -> None:
    server, app = scraped
    got = {
        series["metric"].get("api_error_vendor", ""): float(series["value"][1])
        for series in server.query(_queries()[title])
    }
    errors: Counter[str] = Counter()
    matching: Counter[str] = Counter()
    for record in app.recorded:
        vendor = record["vendor"] or ""
        errors[vendor] += 1
        matching[vendor] += counted(record["status"])
    assert set(got) == set(errors)
    assert any(matching.values()) and not all(matching.values())
    for vendor, count in errors.items():
        assert got[vendor] == pytest.approx(matching[vendor] / count, rel=1e-9), vendor


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
        elif label == "api_error_category":
            assert values == {r["category"] for r in app.recorded}
        else:
            assert label == "api_error_vendor"
            assert values == {r["vendor"] for r in app.recorded if r["vendor"] is not None}


# -- the alert rules ------------------------------------------------------------------

# Route name -> errors driven in a burst, after Prometheus has seen the first round.
BURSTS = {"openai": 150, "anthropic": 60, "soap": 60, "google": 3}


@pytest.fixture(scope="module")
def bursts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Prometheus, MetricsApp]]:
    require("yaml")
    workdir = tmp_path_factory.mktemp("prometheus-alerts")
    with MetricsApp() as app, _serving(app, workdir, rules=ALERTS) as server:
        total = len(app.recorded)
        for route, count in BURSTS.items():
            total += len(app.burst(route, count))
        _wait_for_total(server, "the bursts", total)
        server.at = time.time()
        yield server, app


def _vendors(server: Prometheus, expr: str) -> set[str]:
    return {series["metric"].get("api_error_vendor", "") for series in server.query(expr)}


def test_rules_load_into_prometheus(bursts: tuple[Prometheus, MetricsApp]) -> None:
    server, _ = bursts
    answer = server.get("/api/v1/rules")
    loaded = {rule["name"]: rule for group in answer["data"]["groups"] for rule in group["rules"]}
    assert set(loaded) == set(alert_rules())
    for name, rule in loaded.items():
        assert rule["health"] == "ok", (name, rule.get("lastError"))


def test_alert_expressions_pick_the_vendors_driven_into_them(
    bursts: tuple[Prometheus, MetricsApp],
) -> None:
    server, _ = bursts
    rules = alert_rules()
    # Bursts well above the spike's floor of 6 a minute; Google's 3 errors are not.
    assert _vendors(server, rules["ErrorlensApiErrorRateSpike"]["expr"]) == {
        "openai",
        "anthropic",
        "salesforce",
    }
    # 429 (OpenAI) and 529 (Anthropic) are rate limiting; Salesforce's 500s are not.
    assert _vendors(server, rules["ErrorlensApiRateLimitStorm"]["expr"]) == {"openai", "anthropic"}
    # 5xx but 529: Salesforce only, not Anthropic's 529s.
    assert _vendors(server, rules["ErrorlensApiServerErrorShare"]["expr"]) == {"salesforce"}
    # By its source, Salesforce's invalid session is an auth error: its burst pages.
    # No route of the burst is out of quota (promtool's unit tests cover that rule);
    # of the rate limits, OpenAI's burst of 429s is over 0.5/s.
    assert _vendors(server, rules["ErrorlensApiAuthFailing"]["expr"]) == {"salesforce"}
    assert _vendors(server, rules["ErrorlensApiQuotaExhausted"]["expr"]) == set()
    assert _vendors(server, rules["ErrorlensApiRateLimited"]["expr"]) == {"openai"}


def test_storm_and_share_values_are_the_share_of_the_burst(
    bursts: tuple[Prometheus, MetricsApp],
) -> None:
    server, _ = bursts
    rules = alert_rules()
    # Each bursting vendor has one route, so every error of its burst is of one status:
    # the share the rule reports is 1 for the vendors it picks.
    for name in ("ErrorlensApiRateLimitStorm", "ErrorlensApiServerErrorShare"):
        for series in server.query(rules[name]["expr"]):
            assert float(series["value"][1]) == pytest.approx(1.0), (name, series)
    # The spike's value is the vendor's error rate over 5 minutes: OpenAI's burst,
    # the largest, leads.
    spike = {
        series["metric"]["api_error_vendor"]: float(series["value"][1])
        for series in server.query(rules["ErrorlensApiErrorRateSpike"]["expr"])
    }
    assert max(spike, key=spike.__getitem__) == "openai"
    assert spike["openai"] > spike["anthropic"]


def test_new_error_code_expression_lists_every_code_of_a_fresh_server(
    bursts: tuple[Prometheus, MetricsApp],
) -> None:
    # The server has no history: every code counted is new (the unit tests of
    # alerts.test.yml cover a code that was seen before).
    server, app = bursts
    got = {
        (
            series["metric"].get("api_error_vendor", ""),
            series["metric"]["api_error_code"],
            series["metric"].get("http_response_status_code", ""),
        )
        for series in server.query(alert_rules()["ErrorlensApiNewErrorCode"]["expr"])
    }
    expected = {
        (record["vendor"] or "", record["code"], str(record["status"]))
        for record in app.recorded
        if record["code"] is not None
    }
    assert got == expected
    assert any(record["code"] is None for record in app.recorded)  # those are left out


def test_prometheus_raises_the_alerts_with_vendor_and_codes(
    bursts: tuple[Prometheus, MetricsApp],
) -> None:
    server, _ = bursts
    alerts: list[dict[str, Any]] = []

    def storms_pending() -> bool:
        alerts[:] = server.get("/api/v1/alerts")["data"]["alerts"]
        names = {alert["labels"]["alertname"] for alert in alerts}
        return {"ErrorlensApiRateLimitStorm", "ErrorlensApiServerErrorShare"} <= names

    server.wait_for("the alerts", storms_pending)
    storms = {
        alert["labels"]["api_error_vendor"]: alert
        for alert in alerts
        if alert["labels"]["alertname"] == "ErrorlensApiRateLimitStorm"
    }
    assert set(storms) == {"openai", "anthropic"}
    for alert in storms.values():
        # for: 5m has not passed: pending, not firing.
        assert alert["state"] == "pending"
        assert alert["labels"]["severity"] == "warning"
    openai = storms["openai"]["annotations"]
    assert openai["summary"] == f"Rate-limit storm at openai ({JOB})"
    # The annotation ran its own query on the server: the code of the 429s is named.
    assert "100% of" in openai["description"]
    assert "Codes: rate_limit_exceeded (429, " in openai["description"]
    assert "Codes: overloaded_error (529, " in storms["anthropic"]["annotations"]["description"]
    (server_side,) = (
        alert for alert in alerts if alert["labels"]["alertname"] == "ErrorlensApiServerErrorShare"
    )
    assert server_side["labels"]["api_error_vendor"] == "salesforce"
    assert "INVALID_SESSION_ID (500, " in server_side["annotations"]["description"]
