"""``errorlens demo``: call nine emulated vendors, log each failure, print the records.

Runs offline in about a second: the vendors are answered by :mod:`errorlens.cli.emulator`
on 127.0.0.1. The clients still address the vendors' real host names (the emulator is
their HTTP proxy), so each record shows the vendor's URL and the vendor it names::

    $ errorlens demo --jsonl demo.jsonl
    $ errorlens report demo.jsonl -o demo.html
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import shutil
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from errorlens._internal.config import configure, unconfigure, utc_timestamp
from errorlens._internal.reader.extract import extract, from_http
from errorlens._internal.reader.vendors import register_vendor, unregister_vendor
from errorlens._internal.text import cap
from errorlens.cli.emulator import (
    INHOUSE_HOSTS,
    INHOUSE_RETRYABLE_CODES,
    INHOUSE_VENDOR,
    ROUTES,
    Emulator,
    Route,
)
from errorlens.record import ErrorRecord
from errorlens.stdlib import ApiErrorFilter

__all__ = ["run_demo"]

_SERVICE = "errorlens-demo"
_LOGGER = "errorlens.demo"
_TIMEOUT = 5.0

# What each call stands for in the application: the log line's event.
_ACTIONS = {
    "openai": "chat completion failed",
    "anthropic": "message request failed",
    "stripe": "charge failed",
    "aws": "report download failed",
    "google": "sentiment analysis failed",
    "github": "issue creation failed",
    "gateway": "search failed",
    "soap": "CRM sync failed",
    "inhouse": "ledger posting failed",
}

Call = Callable[[Route, str], "tuple[BaseException, ErrorRecord | None]"]


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
    # with --otel, OpenTelemetry export from the OTEL_* variables).
    configure(service=_SERVICE, stream=out, json=False, otel=args.otel)
    register_vendor(INHOUSE_VENDOR, hosts=INHOUSE_HOSTS, retryable_codes=INHOUSE_RETRYABLE_CODES)
    log = logging.getLogger(_LOGGER)
    jsonl: logging.Handler | None = None
    try:
        if args.jsonl:
            jsonl = _jsonl_handler(args.jsonl)
            log.addHandler(jsonl)
        rows: list[tuple[Route, ErrorRecord | None]] = []
        with Emulator() as emu:
            print(
                f"errorlens demo: {len(ROUTES)} vendor APIs emulated at {emu.base_url}"
                f" (no network), called with {client_name}\n",
                file=out,
                flush=True,
            )
            for round_number in range(args.rounds):
                if round_number:
                    time.sleep(args.pause)
                rows = []
                for route in ROUTES:
                    with telemetry.span(route):
                        exc, record = call(route, emu.base_url)
                        # errorlens reads the error off the log line (its filter on the
                        # handlers) and sends it to spans and metrics too.
                        error = record if client_name == "urllib" else exc
                        log.error(_ACTIONS.get(route.name, "call failed"), extra={"error": error})
                    rows.append((route, record))
        print(file=out)
        print(_table(rows), file=out)
        if args.jsonl:
            print(f"\nlog lines appended to {args.jsonl}", file=out)
        if telemetry.enabled:
            print("\ntelemetry sent with OpenTelemetry (OTEL_* settings)", file=out)
    finally:
        if jsonl is not None:
            log.removeHandler(jsonl)
            jsonl.close()
        unconfigure()
        telemetry.close()
        unregister_vendor(INHOUSE_VENDOR)
    return 0


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


class _Telemetry:
    """A span per call when --otel is given (configure(otel=True) installs the SDK)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        if enabled:
            try:
                import opentelemetry.sdk  # noqa: F401 - export needs the SDK
            except ImportError:
                raise SystemExit(
                    "errorlens demo: --otel needs `pip install 'errorlens[otel]'`"
                ) from None

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


def _call_with_requests(route: Route, proxy: str) -> tuple[BaseException, ErrorRecord | None]:
    exc = _raise_with_requests(route, proxy)
    return exc, extract(exc)


def _raise_with_requests(route: Route, proxy: str) -> BaseException:
    """The ``requests.HTTPError`` that calling ``route`` through the emulator raises."""
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
        try:
            response.raise_for_status()
        except requests.HTTPError as exc:
            return exc
    raise RuntimeError(f"the emulator answered {route.name} without an error")


def _call_with_urllib(route: Route, proxy: str) -> tuple[BaseException, ErrorRecord | None]:
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
        opener.open(request, timeout=_TIMEOUT).close()
    except urllib.error.HTTPError as exc:
        with exc:
            body = exc.read()
        record = from_http(exc.code, exc.headers, body, url=route.vendor_url, method=route.method)
        return exc, record
    raise RuntimeError(f"the emulator answered {route.name} without an error")


def _jsonl_handler(path: str) -> logging.Handler:
    # The stdlib way to JSON lines: errorlens's filter puts ``api_error`` (and the trace
    # ids) on the record, the formatter writes them.
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.addFilter(ApiErrorFilter(handler=handler))
    handler.setFormatter(_JsonLineFormatter())
    return handler


class _JsonLineFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "timestamp": utc_timestamp(record.created),
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
    header = ("VENDOR", "STATUS", "CODE", "RETRY", "REQUEST ID", "MESSAGE")
    body: list[tuple[str, ...]] = []
    for route, record in rows:
        if record is None:
            body.append((route.name, "-", "-", "-", "-", "(no API error read)"))
            continue
        retry = "no"
        if record.retryable:
            retry = f"in {record.retry_after:g}s" if record.retry_after is not None else "yes"
        body.append(
            (
                record.vendor or "-",
                str(record.status) if record.status is not None else "-",
                record.code or "-",
                retry,
                record.request_id or "-",
                (record.message or "-").replace("\n", " "),
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
