"""The Grafana dashboards, provisioning and local stack agree with what errorlens emits.

Metric names and labels are not assumed: they are read from the real OpenTelemetry
Prometheus exporter fed by errorlens (``tests/_metrics_app.py``). Log keys come from the
demo's JSON lines, span attributes from spans errorlens marked with the real SDK.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from _dashboards import (
    DASHBOARDS,
    LOGS_TRACES_DASHBOARD,
    METRICS_DASHBOARD,
    MetricsApp,
    dashboard_files,
    exposed_series,
    load,
    panels,
    promql_names,
    targets,
    variables_used,
)
from conftest import require

STACK = DASHBOARDS / "stack"
PROVISIONING = DASHBOARDS / "provisioning"
# Labels Prometheus itself puts on every scraped series.
TARGET_LABELS = {"job", "instance"}
GRAFANA_BUILTINS = {"__rate_interval", "__range", "__auto", "__interval"}


@pytest.fixture(scope="module")
def exposition() -> Iterator[str]:
    with MetricsApp() as app:
        yield app.scrape()


def test_there_are_two_dashboards() -> None:
    names = {path.name for path in dashboard_files()}
    assert names == {METRICS_DASHBOARD.name, LOGS_TRACES_DASHBOARD.name}


@pytest.mark.parametrize("path", dashboard_files(), ids=lambda p: p.name)
def test_dashboard_structure(path: Path) -> None:
    dashboard = load(path)
    assert dashboard["uid"] and len(dashboard["uid"]) <= 40
    assert dashboard["title"].startswith("errorlens")
    assert "errorlens" in dashboard["tags"]
    assert isinstance(dashboard["schemaVersion"], int)
    all_panels = list(panels(dashboard))
    ids = [panel["id"] for panel in all_panels]
    assert len(ids) == len(set(ids)), "panel ids must be unique"

    variables = {var["name"]: var for var in dashboard["templating"]["list"]}
    cells: set[tuple[int, int]] = set()
    for panel in all_panels:
        grid = panel["gridPos"]
        assert 0 <= grid["x"] and grid["x"] + grid["w"] <= 24, panel["title"]
        # No two panels cover the same grid cell.
        for x in range(grid["x"], grid["x"] + grid["w"]):
            for y in range(grid["y"], grid["y"] + grid["h"]):
                assert (x, y) not in cells, f"{panel['title']} overlaps another panel"
                cells.add((x, y))
        if panel["type"] == "row":
            continue
        assert panel.get("description"), f"{panel['title']} needs a description"
        assert panel["targets"], f"{panel['title']} has no query"
        source = panel["datasource"]
        uid_variable = source["uid"].strip("${}")
        assert variables[uid_variable]["type"] == "datasource"
        assert variables[uid_variable]["query"] == source["type"]
        for target in panel["targets"]:
            query = target.get("expr") or target.get("query")
            assert isinstance(query, str) and query, panel["title"]
            unknown = variables_used(query) - set(variables) - GRAFANA_BUILTINS
            assert not unknown, f"{panel['title']}: undefined variables {unknown}"


def test_promql_uses_only_what_the_exporter_emits(exposition: str) -> None:
    series = exposed_series(exposition)
    # The names errorlens.otel documents are the ones the exporter really gives.
    assert "api_client_errors_total" in series
    assert {
        "api_client_retry_after_seconds_bucket",
        "api_client_retry_after_seconds_sum",
        "api_client_retry_after_seconds_count",
    } <= set(series)
    assert {
        "api_error_vendor",
        "api_error_code",
        "http_response_status_code",
        "api_error_retryable",
    } <= series["api_client_errors_total"]

    dashboard = load(METRICS_DASHBOARD)
    queries = targets(dashboard, "prometheus")
    for var in dashboard["templating"]["list"]:
        if var["type"] == "query":
            # label_values(SELECTOR, LABEL): a selector, and a label it must carry.
            found = re.fullmatch(r"label_values\((.*),\s*(\w+)\)", var["definition"])
            assert found, var["definition"]
            selector, label = found.groups()
            queries.append((var["name"], f"count by ({label}) ({selector})"))
    assert len(queries) >= 10
    for title, expr in queries:
        metrics, labels = promql_names(expr)
        assert metrics, f"{title}: no metric in {expr!r}"
        assert metrics <= set(series), f"{title}: unknown metrics {metrics - set(series)}"
        allowed = set().union(*(series[name] for name in metrics)) | TARGET_LABELS
        assert labels <= allowed, f"{title}: labels not exported {labels - allowed}"


def test_promql_names_reader_sees_what_is_there() -> None:
    # The checker above is only as good as this reader: it must not miss names.
    metrics, labels = promql_names(
        'sum by (le, a_b) (rate(x_total{job=~"$job", c!="1"}[5m])) / on (d) y_count'
    )
    assert metrics == {"x_total", "y_count"}
    assert labels == {"le", "a_b", "job", "c", "d"}


def _demo_lines(tmp_path: Path) -> list[dict[str, Any]]:
    path = tmp_path / "demo.jsonl"
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from errorlens.cli.demo import run_demo; sys.exit(run_demo(sys.argv[1:]))",
            "--jsonl",
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return [json.loads(line) for line in path.read_text().splitlines()]


def _flatten(value: Any, prefix: str, out: set[str]) -> None:
    # What Loki's `| json` makes of a line: nested keys joined by "_".
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(item, f"{prefix}_{key}" if prefix else key, out)
    else:
        out.add(prefix)


def test_logql_uses_keys_of_the_json_lines(tmp_path: Path) -> None:
    lines = _demo_lines(tmp_path)
    assert lines
    keys: set[str] = set()
    for line in lines:
        _flatten(line, "", keys)
    queries = targets(load(LOGS_TRACES_DASHBOARD), "loki")
    assert len(queries) >= 2
    for title, query in queries:
        assert "| json" in query, title
        used = set(re.findall(r"\bapi_error_\w+", query))
        assert used, f"{title}: filters on no api_error key"
        assert used <= keys, f"{title}: {used - keys} are not in errorlens's JSON lines"
        # A stream selector Loki accepts: not one that matches the empty string.
        assert re.search(r"\{service_name=~\"\$service\"\}", query), title
    service = next(
        var for var in load(LOGS_TRACES_DASHBOARD)["templating"]["list"] if var["name"] == "service"
    )
    assert service["allValue"] == ".+"


def test_traceql_uses_attributes_errorlens_sets() -> None:
    require("opentelemetry.sdk")
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.trace import SpanKind, StatusCode

    import errorlens
    from errorlens.cli.demo import _call_with_requests
    from errorlens.cli.emulator import ROUTES, Emulator

    require("requests")
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    openai = next(route for route in ROUTES if route.status == 429)
    with Emulator() as emu:
        exc, _ = _call_with_requests(openai, emu.base_url)
        with tracer.start_as_current_span("POST", kind=SpanKind.CLIENT):
            assert errorlens.record_error(exc) is not None
    (span,) = exporter.get_finished_spans()
    assert span.status.status_code is StatusCode.ERROR
    attributes = {f"span.{key}": value for key, value in (span.attributes or {}).items()}
    attributes.update({f"resource.{key}": value for key, value in span.resource.attributes.items()})
    event_attributes = {f"event.{key}" for event in span.events for key in (event.attributes or {})}

    for title, query in targets(load(LOGS_TRACES_DASHBOARD), "tempo"):
        used = set(re.findall(r"\b(?:span|resource|event)\.[\w.]+", query))
        assert used, title
        missing = used - set(attributes) - event_attributes
        assert not missing, f"{title}: errorlens sets no {missing}"
        if "status_code = 429" in query:
            assert attributes["span.http.response.status_code"] == 429


def test_provisioning_matches_the_dashboards_and_the_stack() -> None:
    yaml = require("yaml")
    datasources = yaml.safe_load((PROVISIONING / "datasources" / "errorlens.yaml").read_text())
    by_type = {source["type"]: source for source in datasources["datasources"]}
    assert set(by_type) == {"prometheus", "loki", "tempo"}
    for path in dashboard_files():
        for var in load(path)["templating"]["list"]:
            if var["type"] == "datasource":
                assert var["current"]["value"] == by_type[var["query"]]["uid"]

    providers = yaml.safe_load((PROVISIONING / "dashboards" / "errorlens.yaml").read_text())
    (provider,) = providers["providers"]
    dashboards_path = provider["options"]["path"]

    compose = yaml.safe_load((STACK / "docker-compose.yml").read_text())
    services = compose["services"]
    grafana_mounts = {
        mount.split(":")[1]: mount.split(":")[0] for mount in services["grafana"]["volumes"]
    }
    for path in dashboard_files():
        source = grafana_mounts[f"{dashboards_path}/{path.name}"]
        assert (STACK / source).resolve() == path.resolve()
    for target, source in grafana_mounts.items():
        if target.startswith("/etc/grafana/provisioning"):
            assert (STACK / source).resolve().is_dir(), source
    # Every container port the datasources use is a service's port.
    container_ports = {"prometheus": 9090, "loki": 3100, "tempo": 3200}
    for source in by_type.values():
        host, port = re.match(r"http://([\w-]+):(\d+)", source["url"]).groups()
        assert host in services
        assert int(port) == container_ports[host]
        assert any(str(mapping).endswith(f":{port}") for mapping in services[host].get("ports", []))
    for name, service in services.items():
        for mount in service.get("volumes", []):
            source = mount.split(":")[0]
            if source.startswith("."):
                assert (STACK / source).exists(), f"{name} mounts missing {source}"
        for mapping in service.get("ports", []):
            assert str(mapping).startswith("127.0.0.1:"), f"{name} must listen on loopback only"


def test_collector_pipelines_feed_the_backends() -> None:
    yaml = require("yaml")
    config = yaml.safe_load((STACK / "otel-collector.yaml").read_text())
    pipelines = config["service"]["pipelines"]
    assert set(pipelines) == {"metrics", "logs", "traces"}
    for pipeline in pipelines.values():
        assert set(pipeline["receivers"]) <= set(config["receivers"])
        assert set(pipeline["processors"]) <= set(config["processors"])
        assert set(pipeline["exporters"]) <= set(config["exporters"])
    assert pipelines["metrics"]["exporters"] == ["prometheus"]
    assert config["exporters"]["otlphttp/loki"]["endpoint"] == "http://loki:3100/otlp"
    assert config["exporters"]["otlp/tempo"]["endpoint"] == "tempo:4317"

    tempo = yaml.safe_load((STACK / "tempo.yaml").read_text())
    tempo_otlp = tempo["distributor"]["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"]
    assert tempo_otlp.endswith(":4317")

    # Prometheus scrapes the collector's exporter, keeping its job label (service.name).
    exporter_port = config["exporters"]["prometheus"]["endpoint"].rsplit(":", 1)[1]
    prometheus = yaml.safe_load((STACK / "prometheus.yml").read_text())
    (job,) = prometheus["scrape_configs"]
    assert job["honor_labels"] is True
    assert job["static_configs"][0]["targets"] == [f"otel-collector:{exporter_port}"]
    # The JSONL folder the filelog receiver reads is the one the stack mounts.
    compose = yaml.safe_load((STACK / "docker-compose.yml").read_text())
    mounts = {
        mount.split(":")[1]: mount.split(":")[0]
        for mount in compose["services"]["otel-collector"]["volumes"]
    }
    (pattern,) = config["receivers"]["filelog"]["include"]
    assert mounts[pattern.rsplit("/", 1)[0]] == "./logs"
    assert (STACK / "logs").is_dir()
