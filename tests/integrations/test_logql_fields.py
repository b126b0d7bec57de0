"""The Loki queries of the logs dashboard name only fields errorlens really writes.

A line is rendered the way an application gets it: ``errorlens.configure(json=True)``,
then an API error (a real ``requests.HTTPError`` from the emulated OpenAI, a 429)
logged with its exception, through ``logging`` and through structlog. Loki's ``| json``
turns the nested ``api_error.code`` into ``api_error_code``; every field a query filters
on, groups by or shows in its legend must be among those names. The demo's JSON lines
(what the local stack feeds Loki) are checked the same way.
"""

from __future__ import annotations

import io
import json
import logging
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from _dashboards import LOGS_TRACES_DASHBOARD, load, logql_fields, loki_flattened, panels
from conftest import require

# Fields the dashboard must keep reading: a query that drops them is a changed panel.
EXPECTED = {"api_error_vendor", "api_error_code", "api_error_status", "api_error_retryable"}


def _loki_queries() -> list[tuple[str, str, str]]:
    """``(panel title, expr, legend)`` of every Loki target of the logs dashboard."""
    found = []
    for panel in panels(load(LOGS_TRACES_DASHBOARD)):
        for target in panel.get("targets", []):
            if (target.get("datasource") or {}).get("type") == "loki":
                found.append((panel["title"], target["expr"], target.get("legendFormat", "")))
    return found


def _rate_limited_openai_error() -> BaseException:
    require("requests")
    from errorlens.cli.demo import _raise_with_requests
    from errorlens.cli.emulator import ROUTES, Emulator

    route = next(route for route in ROUTES if route.name == "openai")
    with Emulator() as emulator:
        return _raise_with_requests(route, emulator.base_url)


def _configured_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    structlog = require("structlog")
    error = _rate_limited_openai_error()
    try:
        raise error
    except Exception:
        logging.getLogger("checkout.payments").exception("charge failed")
        structlog.get_logger("checkout.payments").exception("charge failed")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert len(lines) == 2, lines
    return lines


def test_a_configured_json_line_has_every_field_the_queries_name(
    configured: io.StringIO,
) -> None:
    lines = _configured_lines(configured)
    for line in lines:
        # The line is what it claims to be: an API error, with its traceback.
        assert line["api_error"]["vendor"] == "openai"
        assert line["api_error"]["status"] == 429
        assert "Traceback" in line["exception"]
    queries = _loki_queries()
    assert len(queries) >= 3
    used: set[str] = set()
    for line in lines:
        fields = loki_flattened(line)
        for title, expr, legend in queries:
            named = logql_fields(expr, legend)
            assert named, f"{title}: names no field"
            missing = named - fields
            assert not missing, f"{title}: {missing} not in the line {sorted(fields)}"
            used |= named
    assert used >= EXPECTED


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


def test_the_demo_lines_have_the_fields_of_the_filters(tmp_path: Path) -> None:
    # The local stack's Loki gets these lines. Every API error line has the field the
    # queries select lines by; the other fields are there when the error has them (an
    # unknown vendor or a missing code leaves its key out), so across the demo's
    # vendors each field a query names appears.
    lines = _demo_lines(tmp_path)
    kept = [line for line in lines if isinstance(line.get("api_error"), dict)]
    assert len(kept) >= 5
    seen: set[str] = set()
    for line in kept:
        fields = loki_flattened(line)
        assert "api_error_retryable" in fields, line
        seen |= fields
    for title, expr, legend in _loki_queries():
        missing = logql_fields(expr, legend) - seen
        assert not missing, f"{title}: {missing} in no demo line"


def test_the_queries_select_streams_loki_accepts() -> None:
    for title, expr, _ in _loki_queries():
        assert "| json" in expr, title
        # A stream selector Loki accepts: not one that matches the empty string.
        assert re.search(r"\{service_name=~\"\$service\"\}", expr), title
    service = next(
        var for var in load(LOGS_TRACES_DASHBOARD)["templating"]["list"] if var["name"] == "service"
    )
    assert service["allValue"] == ".+"


def test_logql_fields_reader_sees_what_is_there() -> None:
    # The check above is only as good as this reader: it must not miss names.
    fields = logql_fields(
        'sum by (a_b, c) (count_over_time({x=~"$y"} |= "q" | json | d=~"1|2" | e > 3 [5m]))',
        "{{f}} {{ .g }}",
    )
    assert fields == {"a_b", "c", "d", "e", "f", "g"}
    assert loki_flattened({"api_error": {"code": "x", "fields": {"a-b": 1}}, "k": 2}) == {
        "api_error_code",
        "api_error_fields_a_b",
        "k",
    }
    with pytest.raises(ValueError, match="unknown LogQL stage"):
        logql_fields('{x="y"} | json | line_format "{{.z}}"')
