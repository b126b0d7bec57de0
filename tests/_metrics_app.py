"""A small application for the dashboard tests: errorlens metrics on a /metrics endpoint.

Run by the tests as a child process (OpenTelemetry's global providers can be set once
per process, so the application gets a process of its own)::

    OTEL_METRICS_EXPORTER=prometheus OTEL_EXPORTER_PROMETHEUS_PORT=9464 \\
        python tests/_metrics_app.py

It does what an application does: ``errorlens.otel.setup`` installs the SDK with the
real Prometheus exporter, each emulated vendor is called with ``requests``, and every
failure goes through ``errorlens.record_error``. Route number ``i`` is called ``i + 1``
times per round, so that each series has a count of its own.

Protocol on stdout/stdin, one JSON object per line:
- after the first round: ``{"ready": true, "recorded": [...]}``, the label values and
  retry-after of every error recorded;
- on a line ``round`` from stdin: another identical round, then ``{"round": n}``;
- on a line ``burst NAME N``: ``N`` more errors from the route named ``NAME``, then
  ``{"burst": NAME, "recorded": [...]}``;
- on end of input: shutdown and exit.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import errorlens
from errorlens import otel
from errorlens.cli.demo import _raise_with_requests
from errorlens.cli.emulator import (
    INHOUSE_HOSTS,
    INHOUSE_RETRYABLE_CODES,
    INHOUSE_VENDOR,
    ROUTES,
    Emulator,
)


def _one_round(base_url: str) -> list[dict[str, Any]]:
    recorded: list[dict[str, Any]] = []
    for index, route in enumerate(ROUTES):
        for _ in range(index + 1):
            record = errorlens.record_error(_raise_with_requests(route, base_url))
            if record is None:
                raise SystemExit(f"errorlens read no API error from {route.name}")
            recorded.append(_facts(record))
    return recorded


def _facts(record: errorlens.ErrorRecord) -> dict[str, Any]:
    return {
        "vendor": record.vendor,
        "code": record.code,
        "status": record.status,
        "retryable": record.retryable,
        "retry_after": record.retry_after,
        "category": record.category,
    }


def _burst(base_url: str, name: str, count: int) -> list[dict[str, Any]]:
    (route,) = (route for route in ROUTES if route.name == name)
    recorded = []
    for _ in range(count):
        record = errorlens.record_error(_raise_with_requests(route, base_url))
        if record is None:
            raise SystemExit(f"errorlens read no API error from {route.name}")
        recorded.append(_facts(record))
    return recorded


def _say(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def main() -> int:
    otel.setup(service="errorlens-dashboard-test", logs=False)
    errorlens.register_vendor(
        INHOUSE_VENDOR, hosts=INHOUSE_HOSTS, retryable_codes=INHOUSE_RETRYABLE_CODES
    )
    rounds = 1
    try:
        with Emulator() as emulator:
            _say({"ready": True, "recorded": _one_round(emulator.base_url)})
            for line in sys.stdin:
                words = line.split()
                if words == ["round"]:
                    _one_round(emulator.base_url)
                    rounds += 1
                    _say({"round": rounds})
                elif len(words) == 3 and words[0] == "burst":
                    recorded = _burst(emulator.base_url, words[1], int(words[2]))
                    _say({"burst": words[1], "recorded": recorded})
    finally:
        otel.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
