"""``errorlens demo``: call emulated vendors, log each failure, print the records.

Runs offline in about a second: the vendors are answered by :mod:`errorlens.cli.emulator`
on 127.0.0.1. The clients still address the vendors' real host names (the emulator is
their HTTP proxy), so each record shows the vendor's URL and the vendor it names::

    $ errorlens demo --jsonl demo.jsonl
    $ errorlens report demo.jsonl -o demo.html
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import logging
import os
import shutil
import socket
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

from errorlens import (
    ErrorRecord,
    configure,
    extract,
    from_http,
    register_vendor,
    unconfigure,
    unregister_vendor,
)
from errorlens.cli.emulator import (
    ALL_ROUTES,
    INHOUSE_HOSTS,
    INHOUSE_RETRYABLE_CODES,
    INHOUSE_VENDOR,
    Emulator,
    Route,
)
from errorlens.cli.text import cap, printable
from errorlens.stdlib import ApiErrorFilter

__all__ = ["run_demo"]

_SERVICE = "errorlens-demo"
_LOGGER = "errorlens.demo"
_TIMEOUT = 5.0

_PROBE_TIMEOUT = 0.5
_DEFAULT_OTLP = "http://localhost:4318"

# A call gives what the application holds for the failure (the exception, or the
# response of a 200 that carries errors) and the record errorlens reads from it.
Call = Callable[[Route, str], "tuple[object, ErrorRecord | None]"]


def run_demo(argv: Sequence[str] | None = None) -> int:
    """Run the demo; returns the process exit code (0).

    >>> run_demo(["--jsonl", "demo.jsonl"])  # doctest: +SKIP
    0

    .. versionadded:: 0.1.0
    """
    args = _parser().parse_args(list(argv) if argv is not None else None)
    call, client_name = _client(args.client)
    telemetry = _Telemetry(args.otel)
    out = sys.stdout
    # Logging as an application sets it up: errorlens's console lines on stdout (and,
    # with --otel and a collector that answers, OpenTelemetry export from OTEL_*).
    configure(service=_SERVICE, stream=out, json=False, otel=telemetry.enabled)
    register_vendor(INHOUSE_VENDOR, hosts=INHOUSE_HOSTS, retryable_codes=INHOUSE_RETRYABLE_CODES)
    log = logging.getLogger(_LOGGER)
    jsonl = _jsonl_handler(args.jsonl) if args.jsonl else None
    try:
        if jsonl is not None:
            log.addHandler(jsonl)
        with Emulator() as emu:
            print(
                f"errorlens demo: {len(ALL_ROUTES)} vendor API errors emulated at {emu.base_url}"
                f" (no network), called with {client_name}\n",
                file=out,
                flush=True,
            )
            rows = _rounds(args, call, client_name, emu.base_url, log, telemetry)
        print(file=out)
        print(_table(rows), file=out)
        if args.jsonl:
            print(f"\nlog lines appended to {args.jsonl}", file=out)
        telemetry.report(out)
    finally:
        if jsonl is not None:
            log.removeHandler(jsonl)
            jsonl.close()
        unconfigure()
        telemetry.close()
        unregister_vendor(INHOUSE_VENDOR)
    return 0


def _rounds(
    args: argparse.Namespace,
    call: Call,
    client_name: str,
    proxy: str,
    log: logging.Logger,
    telemetry: _Telemetry,
) -> list[tuple[Route, ErrorRecord | None]]:
    """Call every route ``--rounds`` times, logging each failure; the last round's rows."""
    rows: list[tuple[Route, ErrorRecord | None]] = []
    for round_number in range(args.rounds):
        if round_number:
            time.sleep(args.pause)
        rows = []
        for route in ALL_ROUTES:
            with telemetry.span(route):
                error, record = call(route, proxy)
                # errorlens reads the error off the log line (its filter on the handlers)
                # and sends it to spans and metrics too. urllib's error is read by hand.
                logged = record if client_name == "urllib" else error
                log.error(route.action, extra={"error": logged})
            rows.append((route, record))
    return rows


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="errorlens demo",
        description=(
            "Call emulated vendor APIs on 127.0.0.1 (no network), log each failure"
            " with errorlens and print the records."
        ),
    )
    parser.add_argument(
        "--jsonl", metavar="PATH", help="also append the log lines to PATH as JSON lines"
    )
    parser.add_argument(
        "--client",
        choices=("auto", "requests", "urllib"),
        default="auto",
        help="HTTP client for the calls (default: requests if installed, else urllib)",
    )
    parser.add_argument(
        "--otel",
        action="store_true",
        help=(
            "send spans, metrics and logs with OpenTelemetry (OTLP to localhost:4318 unless"
            " OTEL_* variables say otherwise; needs errorlens[otel])"
        ),
    )
    parser.add_argument(
        "--rounds", type=_positive_int, default=1, help="call every vendor this many times"
    )
    parser.add_argument(
        "--pause", type=float, default=2.0, metavar="SECONDS", help="pause between rounds"
    )
    return parser


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _otlp_endpoint() -> str:
    """Where the OTLP/HTTP exporter sends traces, as the OTEL_* variables say."""
    return (
        os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or _DEFAULT_OTLP
    )


def probe(url: str, timeout: float = _PROBE_TIMEOUT) -> str | None:
    """None when something accepts a connection at ``url``'s host and port, else why not."""
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return "the url has no valid port"
    try:
        with socket.create_connection((parts.hostname or "localhost", port), timeout=timeout):
            return None
    except OSError as exc:
        return exc.strerror or str(exc) or type(exc).__name__


class _Telemetry:
    """With --otel: export only when a collector answers, and say which happened."""

    def __init__(self, requested: bool) -> None:
        self.requested = requested
        self.enabled = False
        self.endpoint = _otlp_endpoint()
        self.problem: str | None = None
        if not requested:
            return
        try:
            import opentelemetry.sdk  # noqa: F401 - export needs the SDK
        except ImportError:
            raise SystemExit(
                "errorlens demo: --otel needs `pip install 'errorlens[otel]'`"
            ) from None
        # Without a collector the exporters would retry for seconds and print pages of
        # warnings: look first, and say so plainly.
        self.problem = probe(self.endpoint)
        self.enabled = self.problem is None
        if self.problem is not None:
            print(self._not_sent(), file=sys.stderr, flush=True)

    def _not_sent(self) -> str:
        return (
            f"errorlens demo: telemetry NOT sent: no OpenTelemetry collector answers at"
            f" {self.endpoint} ({self.problem}). Start one (cd dashboards/stack && docker"
            " compose up -d) or set OTEL_EXPORTER_OTLP_ENDPOINT."
        )

    def report(self, out: Any) -> None:
        if self.enabled:
            print(
                f"\ntelemetry: spans, metrics and logs handed to the OTLP exporter for"
                f" {self.endpoint} (a collector accepted the connection)",
                file=out,
            )
        elif self.requested:
            print(f"\n{self._not_sent()}", file=out)

    @contextlib.contextmanager
    def span(self, route: Route) -> Iterator[None]:
        if not self.enabled:
            yield
            return
        from opentelemetry import trace
        from opentelemetry.trace import SpanKind

        with trace.get_tracer(_LOGGER).start_as_current_span(
            f"{route.method} {route.host}",
            kind=SpanKind.CLIENT,
            attributes={
                "http.request.method": route.method,
                "server.address": route.host,
                "url.full": route.vendor_url,
            },
        ):
            yield

    def close(self) -> None:
        if self.enabled:
            from errorlens import otel

            otel.shutdown()  # flushes what is still buffered


def _client(choice: str) -> tuple[Call, str]:
    if choice in ("auto", "requests"):
        try:
            import requests  # noqa: F401
        except ImportError:
            if choice == "requests":
                raise SystemExit(
                    "errorlens demo: --client requests needs `pip install requests`"
                ) from None
        else:
            return _call_with_requests, "requests"
    return _call_with_urllib, "urllib"


def _call_with_requests(route: Route, proxy: str) -> tuple[object, ErrorRecord | None]:
    failure = _fail_with_requests(route, proxy)
    if isinstance(failure, BaseException):
        return failure, extract(failure)
    # A 200 that says it failed: read its parts (extract() of a 2xx response gives None).
    response: Any = failure
    record = from_http(
        response.status_code,
        response.headers,
        response.content,
        url=route.vendor_url,
        method=route.method,
    )
    return record, record


def _raise_with_requests(route: Route, proxy: str) -> BaseException:
    """The ``requests.HTTPError`` that calling ``route`` (an HTTP error status) raises."""
    failure = _fail_with_requests(route, proxy)
    if not isinstance(failure, BaseException):
        raise RuntimeError(f"the emulator answered {route.name} without an error status")
    return failure


def _fail_with_requests(route: Route, proxy: str) -> object:
    """The ``requests.HTTPError`` calling ``route`` raises; for a 200, the response."""
    import requests

    with requests.Session() as session:
        # Ignore proxy settings from the environment: every call must go to the emulator.
        session.trust_env = False
        response = session.request(
            route.method,
            route.vendor_url,
            json={} if route.method == "POST" else None,
            proxies={"http": proxy, "https": proxy},
            allow_redirects=False,
            timeout=_TIMEOUT,
        )
        if response.status_code < 400:
            # Slack's ok:false, GraphQL's errors: a 200 whose body says it failed.
            return response
        try:
            response.raise_for_status()
        except requests.HTTPError as exc:
            return exc
    raise RuntimeError(f"the emulator answered {route.name} without an error")


def _call_with_urllib(route: Route, proxy: str) -> tuple[object, ErrorRecord | None]:
    import urllib.error
    import urllib.request

    # No ProxyHandler from the environment: the request is sent to the emulator only.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(
        route.vendor_url,
        data=b"{}" if route.method == "POST" else None,
        method=route.method,
        headers={"Content-Type": "application/json"},
    )
    request.set_proxy(proxy.removeprefix("http://"), "http")
    try:
        with opener.open(request, timeout=_TIMEOUT) as response:
            # A 200 whose body says it failed (Slack's ok:false, GraphQL's errors).
            status, headers, body = response.status, response.headers, response.read()
            failure: object = response
    except urllib.error.HTTPError as exc:
        with exc:
            status, headers, body, failure = exc.code, exc.headers, exc.read(), exc
    record = from_http(status, headers, body, url=route.vendor_url, method=route.method)
    return failure, record


def _jsonl_handler(path: str) -> logging.Handler:
    # The stdlib way to JSON lines: errorlens's filter puts ``api_error`` (and the trace
    # ids) on the record, the formatter writes them.
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.addFilter(ApiErrorFilter(handler=handler))
    handler.setFormatter(_JsonLineFormatter())
    return handler


def _timestamp(created: float) -> str:
    """ISO 8601 UTC with microseconds, as errorlens's own JSON lines have it."""
    when = dt.datetime.fromtimestamp(created, tz=dt.timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class _JsonLineFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "timestamp": _timestamp(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "service": _SERVICE,
            "event": record.getMessage(),
        }
        for key in ("api_error", "trace_id", "span_id"):
            value = record.__dict__.get(key)
            if value is not None:
                line[key] = value
        return json.dumps(line, ensure_ascii=False, default=str)


def _table(rows: Sequence[tuple[Route, ErrorRecord | None]]) -> str:
    header = ("VENDOR", "STATUS", "CODE", "RETRY", "REQUEST ID", "CATEGORY", "MESSAGE")
    body: list[tuple[str, ...]] = []
    for route, record in rows:
        if record is None:
            body.append((route.name, "-", "-", "-", "-", "-", "(no API error read)"))
            continue
        retry = "no"
        if record.retryable:
            retry = f"in {record.retry_after:g}s" if record.retry_after is not None else "yes"
        body.append(
            (
                printable(record.vendor or "-"),
                str(record.status) if record.status is not None else "-",
                printable(record.code or "-"),
                retry,
                printable(record.request_id or "-"),
                record.category,
                printable(record.message or "-"),
            )
        )
    widths = [max(len(row[i]) for row in (header, *body)) for i in range(len(header) - 1)]
    room = shutil.get_terminal_size((120, 24)).columns - sum(widths) - 2 * len(widths)
    room = max(room, 24)

    def line(row: tuple[str, ...]) -> str:
        message = cap(row[-1], room, "...")
        return (
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
            + "  "
            + message
        )

    return "\n".join(line(row).rstrip() for row in (header, *body))
