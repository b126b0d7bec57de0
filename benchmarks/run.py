"""errorlens's budgets, measured as ratios against a baseline timed in the same run.

    python benchmarks/run.py            # full run (a few minutes)
    python benchmarks/run.py --quick    # a smoke run: same code paths, few repetitions
    python benchmarks/run.py --json     # the rows as JSON
    python benchmarks/run.py --strict   # exit 1 when a budget is missed or a row failed
    python benchmarks/run.py --only sentry,structlog   # rows whose name has one of these

Machines are shared and noisy, so every figure is a ratio to a baseline measured in
the same process, interleaved with it (the order of the sides alternates between
rounds) and kept at its best round, never an absolute time. Times are the process's
CPU time (``time.process_time``), so that being preempted on a loaded machine does not
count as cost.

Every logging pipeline is measured the way applications run it: an API error that is
a real ``requests.HTTPError`` carrying the ``Response`` a loopback server returned,
raised afresh by ``raise_for_status()`` a few calls deep for every call (a fresh
exception, a fresh traceback: no per-exception cache can make a row look cheap) and
logged with ``log.exception(...)`` inside its ``except``. Two situations, each against
its own baseline:

- no OpenTelemetry SDK as provider (the API's no-op proxies): a non-error line and an
  API error line through each pipeline, against the same pipeline without errorlens;
- then the SDK installed (a real ``TracerProvider`` and ``MeterProvider``, exporting
  to nothing), each API error inside a span of its own: errorlens's structlog chain
  against the same outputs written by hand for one vendor (``json.loads`` of the body,
  the span's exception event, status, ``error.type``, the counter, the retry-after
  histogram, the ``api_error`` field and trace ids on the line). Providers are set once
  per process, so the rows without the SDK run first. Sentry's rows run with the SDK on.

Only errorlens's public API is used, so the harness keeps working whatever the
internals are. A row whose optional piece (sentry-sdk, python-json-logger, the
OpenTelemetry SDK) is missing says so instead of a figure; a row whose measurement
raised says why. The exit code is 0 whatever the figures; ``--strict`` makes a missed
budget or a failed row exit 1 (a skipped row does not).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import http.server
import io
import json
import logging
import math
import sys
import threading
import time
import timeit
import tracemalloc
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from opentelemetry import trace as otel_trace  # the API: a dependency of errorlens

import errorlens

# A typical error body (~300 bytes) with the headers that come with it.
TYPICAL_BODY = json.dumps(
    {
        "error": {
            "message": "Rate limit reached for gpt-4o in organization org-abc123 on tokens "
            "per min (TPM): Limit 30000, Used 29000, Requested 2000. Please try again in 2s.",
            "type": "tokens",
            "param": None,
            "code": "rate_limit_exceeded",
        }
    }
).encode()
TYPICAL_HEADERS = {
    "content-type": "application/json",
    "x-request-id": "req_abc123",
    "retry-after-ms": "2000",
}

# nginx's own 502 page, as a gateway in front of an API returns it.
GATEWAY_PAGE = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.25.3</center>\r\n"
    b"</body>\r\n</html>\r\n"
    + b"<!-- a padding to disable MSIE and Chrome friendly error page -->\r\n"
    * 6
)
HTML_HEADERS = {"content-type": "text/html", "server": "nginx/1.25.3"}
HOSTILE_SIZE = 64 * 1024


def _fill(unit: bytes, size: int = HOSTILE_SIZE) -> bytes:
    return (unit * (size // len(unit) + 1))[:size]


# 64 KiB bodies (the largest size that is still parsed whole) built to make an HTML
# reader backtrack, rescan or nest: the worst of them is the row's figure.
HOSTILE_PAGES = {
    "all '<'": _fill(b"<"),
    "'<title' opens": _fill(b"<title"),
    "unclosed tags": _fill(b"<div class='a' <span <a href=\"x "),
    "'<title>' + unclosed comment": b"<html><title>" + _fill(b"<!-- -", HOSTILE_SIZE - 13),
}

NON_ERROR_BUDGET = 1.03
API_ERROR_BUDGET = 1.25
OTEL_BUDGET = 1.15
SENTRY_BUDGET = 1.2


# --- results -----------------------------------------------------------------------


@dataclass
class Row:
    name: str
    budget: float
    baseline: float | None = None  # per call, in `unit`
    errorlens: float | None = None
    ratio: float | None = None
    unit: str = "us"
    detail: str = ""
    skipped: str | None = None  # why there is no figure (an optional piece is missing)
    error: str | None = None  # the measurement itself failed
    notes: list[str] = field(default_factory=list)

    @property
    def measured(self) -> bool:
        return self.ratio is not None and math.isfinite(self.ratio)

    @property
    def ok(self) -> bool | None:
        """None for a row without a figure, and for an informative row (no budget)."""
        if self.skipped or self.error or not self.measured or not math.isfinite(self.budget):
            return None
        assert self.ratio is not None
        return self.ratio <= self.budget

    def as_json(self) -> dict[str, Any]:
        out = asdict(self) | {"ok": self.ok}
        for key, value in out.items():
            if isinstance(value, float) and not math.isfinite(value):
                out[key] = None
        return out


# --- timing ------------------------------------------------------------------------


@dataclass
class Side:
    """One configuration of a comparison: set up, time ``call``, tear down."""

    name: str
    call: Callable[[], Any]
    enter: Callable[[], Any] = lambda: None
    exit: Callable[[], Any] = lambda: None


@dataclass
class Timing:
    """How long each timed round lasts, and how many rounds each side gets."""

    round_s: float
    repeat: int


# CPU time of the process (every thread: work a library hands to a thread of its own
# counts too), immune to preemption; wall time would charge other tenants' load.
TIMER = time.process_time


def _calls_per_round(side: Side, round_s: float) -> tuple[int, bool]:
    """Calls making a round of about ``round_s``, and whether a warm-up call is cheap."""
    side.enter()
    try:
        side.call()  # warm: caches, first-use binding
        started = TIMER()
        side.call()
        once = TIMER() - started
    finally:
        side.exit()
    return max(1, min(1_000_000, round(round_s / max(once, 1e-9)))), once < round_s / 4


def measure(sides: list[Side], timing: Timing) -> dict[str, float]:
    """Best per-call time of each side; every round runs every side, in rotating order.

    Each side is set up just before its round and torn down just after, so stateful
    setups (attach/detach, a Sentry client) never overlap; an untimed call warms it.
    Each side gets as many calls per round as fill ``timing.round_s``, so a slow side
    (a pathological body) does not stretch the run.
    """
    plan = {side.name: _calls_per_round(side, timing.round_s) for side in sides}
    best = {side.name: math.inf for side in sides}
    for round_ in range(timing.repeat):
        shift = round_ % len(sides)
        order = sides[shift:] + sides[:shift]
        if round_ % 2:
            order.reverse()
        for side in order:
            calls, warm = plan[side.name]
            side.enter()
            try:
                if warm:
                    side.call()
                elapsed = timeit.Timer(side.call, timer=TIMER).timeit(calls) / calls
            finally:
                side.exit()
            best[side.name] = min(best[side.name], elapsed)
    return best


def pair_row(name: str, budget: float, base: Side, ours: Side, timing: Timing) -> Row:
    times = measure([base, ours], timing)
    b, o = times[base.name] * 1e6, times[ours.name] * 1e6
    return Row(name, budget, baseline=b, errorlens=o, ratio=o / b)


# --- the environment: OpenTelemetry SDK, errorlens's own complaints -------------------


class _Otel:
    """The OpenTelemetry SDK, installed globally (exporting to nothing) by :meth:`install`.

    Until then no provider is set: the API's proxies are no-ops, as in an application
    without the SDK. Providers are set once per process, so the rows without the SDK
    run first.
    """

    def __init__(self) -> None:
        self.tracer: Any = None
        self.reader: Any = None
        self.missing: str | None = "OpenTelemetry SDK not installed as provider"

    def install(self) -> None:
        if self.tracer is not None:
            return
        try:
            from opentelemetry import metrics, trace
            from opentelemetry.sdk.metrics import MeterProvider
            from opentelemetry.sdk.metrics.export import InMemoryMetricReader
            from opentelemetry.sdk.trace import TracerProvider
            from opentelemetry.sdk.trace.export import (
                SimpleSpanProcessor,
                SpanExporter,
                SpanExportResult,
            )
        except ImportError as exc:
            self.missing = f"OpenTelemetry SDK not installed ({exc.name})"
            return

        holder = self

        class Discard(SpanExporter):
            def export(self, spans: Any) -> SpanExportResult:
                holder.last_span = spans[-1]  # what the checks read
                return SpanExportResult.SUCCESS

        self.last_span: Any = None
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(Discard()))
        trace.set_tracer_provider(provider)
        self.reader = InMemoryMetricReader()
        metrics.set_meter_provider(MeterProvider(metric_readers=[self.reader]))
        self.tracer = trace.get_tracer("errorlens-benchmarks")
        self.missing = None

    def span(self, name: str = "POST /checkout") -> contextlib.AbstractContextManager[Any]:
        if self.tracer is None:
            return contextlib.nullcontext()
        return self.tracer.start_as_current_span(name)


class _Complaints(logging.Handler):
    """Counts what errorlens logs about itself: a guarded failure makes a fast, wrong row."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0
        self.first: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        if self.first is None:
            self.first = record.getMessage()[:120]


COMPLAINTS = _Complaints()


def _watch_errorlens_logger() -> None:
    own = logging.getLogger("errorlens")
    own.addHandler(COMPLAINTS)
    own.propagate = False


# --- a real API error, as applications meet it ----------------------------------------


# What OpenAI sends besides: the loopback vendor is recognised by its headers.
OPENAI_HEADERS = {"openai-version": "2020-10-01", "openai-processing-ms": "312"}


class _VendorHandler(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        self.send_response(429)
        for key, value in {**TYPICAL_HEADERS, **OPENAI_HEADERS}.items():
            self.send_header(key, value)
        self.send_header("content-length", str(len(TYPICAL_BODY)))
        self.end_headers()
        self.wfile.write(TYPICAL_BODY)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class ApiFailure:
    """Raises a fresh client exception carrying a real response, a few frames deep."""

    raise_it: Callable[[], None]
    exc_type: type[BaseException]
    how: str

    def in_handler(self) -> None:
        _handler(self.raise_it)


def _client_call(raise_it: Callable[[], None]) -> None:
    raise_it()


def _service_layer(raise_it: Callable[[], None]) -> None:
    _client_call(raise_it)


def _handler(raise_it: Callable[[], None]) -> None:
    _service_layer(raise_it)


def _requests_failure() -> ApiFailure:
    import requests

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _VendorHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        response = requests.post(
            f"http://127.0.0.1:{port}/v1/chat/completions",
            json={"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]},
            headers={"Authorization": "Bearer sk-proj-abcdefghijklmnopqrstuvwx"},
            timeout=5,
        )
        response.content  # noqa: B018 - read, as a client that checks the status does
    finally:
        server.shutdown()
        server.server_close()
    assert response.status_code == 429

    def raise_it() -> None:
        # A fresh response and body object for every error, as every failed call has.
        fresh = requests.Response()
        fresh.__dict__.update(response.__dict__)
        fresh._content = bytes(bytearray(response.content))
        fresh.raise_for_status()

    return ApiFailure(raise_it, requests.HTTPError, "requests, loopback 429")


def _httpx_failure() -> ApiFailure:
    import httpx

    def vendor(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers=TYPICAL_HEADERS, content=TYPICAL_BODY)

    with httpx.Client(transport=httpx.MockTransport(vendor)) as client:
        response = client.post("https://api.openai.com/v1/chat/completions", json={})

    def raise_it() -> None:
        # A fresh response and body object for every error, as every failed call has.
        fresh = httpx.Response(
            response.status_code,
            headers=response.headers,
            content=bytes(bytearray(response.content)),
            request=response.request,
        )
        fresh.raise_for_status()

    return ApiFailure(raise_it, httpx.HTTPStatusError, "httpx, MockTransport 429")


def api_failure() -> ApiFailure:
    errors = []
    for build in (_requests_failure, _httpx_failure):
        try:
            return build()
        except Exception as exc:  # a missing client or a sandbox without loopback
            errors.append(f"{build.__name__}: {exc!r}")
    raise RuntimeError("no client to build an API error with: " + "; ".join(errors))


# --- rows: extraction --------------------------------------------------------------


def bench_from_http(timing: Timing) -> list[Row]:
    row = pair_row(
        "from_http / json.loads (300 B body)",
        5.0,
        Side("json.loads", lambda: json.loads(TYPICAL_BODY)),
        Side("from_http", lambda: errorlens.from_http(429, TYPICAL_HEADERS, TYPICAL_BODY)),
        timing,
    )
    return [row]


def bench_body_size(timing: Timing) -> list[Row]:
    small = json.dumps({"error": {"code": "too_big", "message": "x" * 900}}).encode()
    large = (
        b'{"error": {"code": "too_big", "message": "first"}, "pad": "'
        + b"a" * (50 * 1024 * 1024)
        + b'"}'
    )
    row = pair_row(
        "50 MB body / 1 KB body",
        2.0,
        Side("1 KB", lambda: errorlens.from_http(500, {}, small)),
        Side("50 MB", lambda: errorlens.from_http(500, {}, large)),
        timing,
    )
    return [row]


def bench_hostile_html(timing: Timing) -> list[Row]:
    sides = [Side("gateway page", lambda: errorlens.from_http(502, HTML_HEADERS, GATEWAY_PAGE))]
    for label, body in HOSTILE_PAGES.items():
        side = Side(label, lambda body=body: errorlens.from_http(502, HTML_HEADERS, body))
        sides.append(side)
    times = measure(sides, timing)
    base = times["gateway page"]
    worst = max(HOSTILE_PAGES, key=lambda label: times[label])
    row = Row(
        "hostile 64 KiB HTML / gateway page (worst variant)",
        10.0,
        baseline=base * 1e6,
        errorlens=times[worst] * 1e6,
        ratio=times[worst] / base,
    )
    row.detail = f"worst: {worst}; " + ", ".join(
        f"{label} {times[label] / base:.1f}x" for label in HOSTILE_PAGES
    )
    return [row]


def bench_memory(count: int) -> list[Row]:
    bodies = [
        TYPICAL_BODY,
        b"<Error><Code>NoSuchKey</Code><Message>gone</Message><RequestId>1</RequestId></Error>",
        b'{"errors": [{"field": "email", "message": "invalid"}], "message": "Validation failed"}',
        b"<html><title>502 Bad Gateway</title></html>",
    ]

    def run(n: int) -> None:
        for i in range(n):
            body = bodies[i % len(bodies)]
            record = errorlens.from_http(400 + i % 100, {"x-request-id": str(i)}, body)
            record.as_dict()

    run(20_000)  # warm caches (role, header-name, host caches are bounded)
    gc.collect()
    tracemalloc.start()
    try:
        run(count // 2)
        gc.collect()
        middle = tracemalloc.get_traced_memory()[0]
        run(count // 2)
        gc.collect()
        end = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    growth = max(end - middle, 0)
    # Budget: less than 64 KiB retained by the second half of the run.
    row = Row(
        f"memory growth over {count:,} extractions (KiB)",
        64.0,
        baseline=middle / 1024,
        errorlens=end / 1024,
        ratio=growth / 1024,
        unit="KiB",
        detail="traced memory after the first half / at the end; the figure is the growth",
    )
    return [row]


# --- rows: client capture ----------------------------------------------------------


class _OkHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the client reuses one connection
    body = b'{"id": "obj_1", "status": "ok"}'

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def bench_capture(timing: Timing) -> list[Row]:
    """A successful httpx call over loopback: a client errorlens instruments, and a plain one."""
    import httpx

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _OkHandler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/v1/objects/obj_1"
    plain, instrumented = httpx.Client(), httpx.Client()
    handle = errorlens.instrument_httpx(instrumented)
    try:
        return [
            pair_row(
                "httpx client: success response, instrumented / plain",
                1.03,
                Side("plain", lambda: plain.get(url)),
                Side("errorlens", lambda: instrumented.get(url)),
                timing,
            )
        ]
    finally:
        handle.uninstrument()
        plain.close()
        instrumented.close()
        server.shutdown()
        server.server_close()


# --- rows: logging pipelines --------------------------------------------------------


@dataclass
class Bench:
    """What every logging row shares."""

    otel: _Otel
    failure: ApiFailure
    timing: Timing

    def round_span(self) -> tuple[Callable[[], None], Callable[[], None]]:
        """enter/exit keeping one span active across a whole timing round."""
        holder: list[Any] = []

        def enter() -> None:
            manager = self.otel.span("GET /orders")
            manager.__enter__()
            holder.append(manager)

        def exit() -> None:
            holder.pop().__exit__(None, None, None)

        return enter, exit


def _stream() -> tuple[io.StringIO, Callable[[], None]]:
    sink = io.StringIO()

    def clear() -> None:
        sink.seek(0)
        sink.truncate()

    return sink, clear


def _chain(*steps: Callable[[], Any]) -> Callable[[], None]:
    def run() -> None:
        for step in steps:
            step()

    return run


def _structlog_logger(sink: io.StringIO, processors: list[Any]) -> Any:
    import structlog

    return structlog.wrap_logger(
        structlog.WriteLogger(sink),
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        context_class=dict,
        cache_logger_on_first_use=True,
    )


def _stamp() -> Any:
    import structlog

    return structlog.processors.TimeStamper(fmt="iso", utc=True)


def _readme_chain(el: Any) -> list[Any]:
    """The structlog chain the README shows."""
    import structlog

    return [
        structlog.processors.add_log_level,
        _stamp(),
        el.add_trace_context,
        errorlens.structlog_processor(),
        el.format_exc_info,
        el.redact,
        structlog.processors.JSONRenderer(),
    ]


def bench_structlog(bench: Bench) -> list[Row]:
    import structlog

    from errorlens import processors as el

    sink, clear = _stream()
    # Without errorlens, the same line: trace ids added by hand, as OpenTelemetry
    # users do, so that both sides write the same fields.
    plain = _structlog_logger(
        sink,
        [
            structlog.processors.add_log_level,
            _stamp(),
            _trace_ids_by_hand,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
    )
    ours = _structlog_logger(sink, _readme_chain(el))
    return _logging_rows(
        bench,
        "structlog chain",
        info=lambda log: lambda: log.info("order placed", order_id=42, amount=1999),
        exception=lambda log: lambda: log.exception("chat completion failed"),
        plain=(plain, _nothing, _nothing),
        ours=(ours, _nothing, _nothing),
        clear=clear,
        output=sink,
    )


OTEL_ROW = "OpenTelemetry SDK on: API error / the same outputs by hand (structlog chain)"
# The statuses a client retries (RFC 9110's transient ones, as the vendors' SDKs do).
_RETRYABLE = frozenset({408, 409, 429})


def _outputs_by_hand(vendor: str) -> Callable[[Any, str, Any], Any]:
    """The structlog processor an application writes for one vendor, by hand: the body
    read with ``json.loads``, the span's exception event with the facts, ``error.type``,
    the response attributes, ERROR status, the error counter, the retry-after histogram,
    and the ``api_error`` field on the line (trace ids come from ``_trace_ids_by_hand``).
    The traceback is formatted once and shared by the span event and the line, as
    errorlens does: the lowest cost of these outputs, not a careless one."""
    import traceback
    from urllib.parse import urlsplit

    from opentelemetry import metrics, trace
    from opentelemetry.trace import Status, StatusCode

    meter = metrics.get_meter("errorlens-benchmarks-by-hand")
    counter = meter.create_counter("api.client.errors")
    histogram = meter.create_histogram("api.client.retry_after", unit="s")

    def api_error_by_hand(logger: Any, method_name: str, event_dict: Any) -> Any:
        exc = sys.exc_info()[1] if event_dict.get("exc_info") else None
        response = getattr(exc, "response", None)
        if response is None:
            return event_dict
        status = response.status_code
        error = json.loads(response.content)["error"]
        code, message = error.get("code"), error.get("message")
        request_id = response.headers.get("x-request-id")
        wait = response.headers.get("retry-after-ms")
        retry_after = int(wait) / 1000 if wait else None
        retryable = status in _RETRYABLE or status >= 500
        # This vendor's codes, sorted by hand into the categories the dashboards use.
        category = "rate_limit" if status == 429 else "server" if status >= 500 else "client"
        url = str(response.url)
        facts = {
            "api_error.vendor": vendor,
            "api_error.category": category,
            "api_error.code": code,
            "api_error.type": error.get("type"),
            "http.response.status_code": status,
            "api_error.request_id": request_id,
            "api_error.retry_after": retry_after,
            "api_error.retryable": retryable,
            "server.address": urlsplit(url).hostname,
        }
        # The traceback formatted once, for the span event and the line alike.
        stacktrace = "".join(traceback.format_exception(exc)).rstrip("\n")
        span = trace.get_current_span()
        span.add_event(
            "exception",
            {
                "exception.type": f"{type(exc).__module__}.{type(exc).__qualname__}",
                "exception.message": str(exc),
                "exception.stacktrace": stacktrace,
                **{key: value for key, value in facts.items() if value is not None},
            },
        )
        span.set_attributes(
            {
                "error.type": code,
                "http.response.status_code": status,
                "http.response.header.x-request-id": [request_id],
            }
        )
        span.set_status(Status(StatusCode.ERROR, f"{code}: {message}"))
        labels = {
            "api_error.vendor": vendor,
            "api_error.code": code,
            "http.response.status_code": status,
            "api_error.retryable": retryable,
        }
        counter.add(1, labels)
        if retry_after is not None:
            histogram.record(retry_after, {"api_error.vendor": vendor, "api_error.code": code})
        event_dict["api_error"] = {
            "vendor": vendor,
            "status": status,
            "code": code,
            "type": error.get("type"),
            "message": message,
            "request_id": request_id,
            "retry_after": retry_after,
            "retryable": retryable,
            "category": category,
            "method": response.request.method,
            "url": url,
        }
        del event_dict["exc_info"]
        event_dict["exception"] = stacktrace
        return event_dict

    return api_error_by_hand


def bench_otel_by_hand(bench: Bench) -> list[Row]:
    """With the SDK on and a span active, errorlens against the same outputs written
    by hand for one vendor: what a generic reader is held to (DESIGN's budget)."""
    import structlog

    from errorlens import processors as el

    if bench.otel.tracer is None:
        return [_skipped(OTEL_ROW, bench.otel.missing or "no OpenTelemetry SDK")]
    sink, clear = _stream()
    by_hand = _structlog_logger(
        sink,
        [
            structlog.processors.add_log_level,
            _stamp(),
            _trace_ids_by_hand,
            _outputs_by_hand("openai"),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
    )
    ours = _structlog_logger(sink, _readme_chain(el))
    failure = bench.failure

    def logged(log: Any, tidy: bool = True) -> Callable[[], None]:
        def call() -> None:
            with bench.otel.span():
                try:
                    failure.in_handler()
                except failure.exc_type:
                    log.exception("chat completion failed")
            if tidy:
                clear()

        return call

    complaints = COMPLAINTS.count
    row = pair_row(
        OTEL_ROW,
        OTEL_BUDGET,
        Side("by hand", logged(by_hand)),
        Side("errorlens", logged(ours)),
        bench.timing,
    )
    row = _with_complaints(row, complaints)
    seen = []
    for log in (by_hand, ours):
        clear()
        logged(log, tidy=False)()
        seen.append(_outputs_seen(bench.otel.last_span, sink.getvalue()))
    clear()
    parts = ("exception event", "span attributes", "span status", "line", "api_error")
    row.notes.extend(
        f"{part} differs: by hand {a}, errorlens {b}"
        for part, a, b in zip(parts, *seen, strict=True)
        if a != b
    )
    row.detail = "one vendor's outputs written by hand: the limit a generic reader is held to"
    return [row]


def _outputs_seen(span: Any, line: str) -> tuple[Any, ...]:
    """The names of what one side wrote: span event, span attributes, status, line."""
    event = next((e for e in span.events if e.name == "exception"), None)
    fields = json.loads(line) if line else {}
    return (
        sorted(set(event.attributes) - {"exception.escaped"}) if event else [],
        sorted(span.attributes),
        span.status.status_code.name,
        sorted(fields),
        sorted(fields.get("api_error", {})),
    )


def _trace_ids_by_hand(logger: Any, method_name: str, event_dict: Any) -> Any:
    """The processor OpenTelemetry users write: the active span's ids in hex."""
    context = otel_trace.get_current_span().get_span_context()
    if context.is_valid:
        event_dict["trace_id"] = format(context.trace_id, "032x")
        event_dict["span_id"] = format(context.span_id, "016x")
    return event_dict


def _nothing() -> None:
    pass


def _logging_rows(
    bench: Bench,
    pipeline: str,
    *,
    info: Callable[[Any], Callable[[], None]],
    exception: Callable[[Any], Callable[[], None]],
    plain: tuple[Any, Callable[[], Any], Callable[[], Any]],
    ours: tuple[Any, Callable[[], Any], Callable[[], Any]],
    clear: Callable[[], None],
    output: io.StringIO | None = None,
) -> list[Row]:
    """The non-error row and the API-error row of one pipeline, with and without."""
    span_enter, span_exit = bench.round_span()
    failure = bench.failure
    rows = []

    def sides(make: Callable[[Any], Callable[[], None]], round_span: bool) -> tuple[Side, Side]:
        """without/with errorlens; ``round_span``: one span across the round, not per call."""
        made = []
        for label, (log, enter, exit) in (("without", plain), ("with", ours)):
            call = make(log)
            if round_span:
                made.append(
                    Side(
                        label,
                        _chain(call, clear),
                        _chain(enter, span_enter),
                        _chain(span_exit, exit),
                    )
                )
            else:
                made.append(Side(label, _chain(call, clear), enter, exit))
        return made[0], made[1]

    rows.append(
        _compare(f"{pipeline}: non-error line", NON_ERROR_BUDGET, sides(info, True), bench.timing)
    )

    def logged(log: Any) -> Callable[[], None]:
        log_it = exception(log)

        def call() -> None:
            with bench.otel.span():
                try:
                    failure.in_handler()
                except failure.exc_type:
                    log_it()

        return call

    row = _compare(
        f"{pipeline}: API error with exception",
        API_ERROR_BUDGET,
        sides(logged, False),
        bench.timing,
    )
    if output is not None:
        # Does the errorlens side really say what errorlens adds?
        clear()
        ours[1]()
        try:
            logged(ours[0])()
        finally:
            ours[2]()
        if "api_error" not in output.getvalue():
            row.notes.append("no api_error in the errorlens side's output")
        clear()
    rows.append(row)
    return rows


def _compare(name: str, budget: float, pair: tuple[Side, Side], timing: Timing) -> Row:
    before = COMPLAINTS.count
    return _with_complaints(pair_row(name, budget, *pair, timing), before)


def _with_complaints(row: Row, before: int) -> Row:
    if COMPLAINTS.count > before:
        row.notes.append(
            f"errorlens logged {COMPLAINTS.count - before} internal problem(s): {COMPLAINTS.first}"
        )
    return row


class _StdlibState:
    """Switches the root logger between two handlers, attach()ing on the errorlens side."""

    def __init__(self) -> None:
        self.root = logging.getLogger()
        self.factory = logging.getLogRecordFactory()
        self.leftovers: set[str] = set()

    def side(
        self, handler: logging.Handler, attach: bool
    ) -> tuple[Any, Callable[[], Any], Callable[[], Any]]:
        def enter() -> None:
            self.root.handlers[:] = [handler]
            self.root.setLevel(logging.INFO)
            if attach:
                errorlens.attach()

        def exit() -> None:
            if attach:
                errorlens.detach()
            self.root.handlers[:] = []
            self._check(handler)

        return logging.getLogger("app.orders"), enter, exit

    def _check(self, handler: logging.Handler) -> None:
        if handler.filters:
            self.leftovers.add(f"detach() left {len(handler.filters)} filter(s) on the handler")
        if self.root.filters:
            self.leftovers.add("detach() left a filter on the root logger")
        if logging.getLogRecordFactory() is not self.factory:
            self.leftovers.add("detach() left a log record factory")


def _stdlib_rows(
    bench: Bench, pipeline: str, formatter: Callable[[], logging.Formatter]
) -> list[Row]:
    state = _StdlibState()
    plain_sink, plain_clear = _stream()
    our_sink, our_clear = _stream()
    plain_handler = logging.StreamHandler(plain_sink)
    plain_handler.setFormatter(formatter())
    our_handler = logging.StreamHandler(our_sink)
    our_handler.setFormatter(formatter())
    rows = _logging_rows(
        bench,
        pipeline,
        info=lambda log: lambda: log.info("order placed", extra={"order_id": 42, "amount": 1999}),
        exception=lambda log: lambda: log.exception("chat completion failed"),
        plain=state.side(plain_handler, attach=False),
        ours=state.side(our_handler, attach=True),
        clear=_chain(plain_clear, our_clear),
        output=our_sink if pipeline.endswith("python-json-logger") else None,
    )
    for row in rows:
        row.notes.extend(sorted(state.leftovers))
    return rows


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def bench_stdlib_text(bench: Bench) -> list[Row]:
    return _stdlib_rows(bench, "stdlib + logging.Formatter", lambda: logging.Formatter(TEXT_FORMAT))


def bench_stdlib_json(bench: Bench) -> list[Row]:
    names = [
        "stdlib + python-json-logger: non-error line",
        "stdlib + python-json-logger: API error with exception",
    ]
    try:
        try:
            from pythonjsonlogger.json import JsonFormatter
        except ImportError:
            from pythonjsonlogger.jsonlogger import JsonFormatter  # python-json-logger < 3
    except ImportError:
        return [_skipped(name, "python-json-logger not installed") for name in names]
    return _stdlib_rows(
        bench,
        "stdlib + python-json-logger",
        lambda: JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"),
    )


# --- rows: Sentry ------------------------------------------------------------------

SENTRY_DSN = "https://0123456789abcdef0123456789abcdef@o1.ingest.sentry.invalid/1"


def _recording_transport() -> Any:
    from sentry_sdk.transport import Transport

    class Recording(Transport):
        """Keeps the size of every event envelope, serialized as the HTTP transport would."""

        def __init__(self) -> None:
            super().__init__()
            self.events = 0
            self.bytes = 0
            self.last: bytes = b""

        def capture_envelope(self, envelope: Any) -> None:
            data = envelope.serialize()
            if any(item.type == "event" for item in envelope.items):
                self.events += 1
                self.bytes += len(data)
                self.last = data

        def flush(self, timeout: float, callback: Any = None) -> None:
            pass

        def kill(self) -> None:
            pass

    return Recording()


def _sentry_off() -> None:
    import sentry_sdk

    client = sentry_sdk.get_client()
    if client.is_active():
        client.close(timeout=0)
    sentry_sdk.get_global_scope().set_client(None)


def bench_sentry(bench: Bench) -> list[Row]:
    names = ["Sentry on: time per API error event", "Sentry on: bytes per API error event"]
    try:
        import sentry_sdk
    except ImportError:
        return [_skipped(name, "sentry-sdk not installed") for name in names]
    import errorlens.sentry as el_sentry

    failure = bench.failure
    log = logging.getLogger("app.payments")
    root = logging.getLogger()
    plain_sink, plain_clear = _stream()
    our_sink, our_clear = _stream()
    plain_handler = logging.StreamHandler(plain_sink)
    plain_handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    plain_transport = _recording_transport()
    our_transport = _recording_transport()

    def request() -> None:
        # One request, as a client with two retries (the OpenAI SDK's default) meets a
        # failing vendor: a line, two API errors retried (warnings: breadcrumbs), the
        # last one logged with its exception (the event).
        with bench.otel.span(), sentry_sdk.isolation_scope():
            log.info("charging card", extra={"order_id": 42})
            for _attempt in range(2):
                try:
                    failure.in_handler()
                except failure.exc_type:
                    log.warning("vendor error, retrying", exc_info=True)
            try:
                failure.in_handler()
            except failure.exc_type:
                log.exception("charge failed")
        plain_clear()
        our_clear()

    def plain_enter(sentry: bool) -> Callable[[], None]:
        def enter() -> None:
            root.handlers[:] = [plain_handler]
            root.setLevel(logging.INFO)
            if sentry:
                sentry_sdk.init(dsn=SENTRY_DSN, transport=plain_transport)

        return enter

    def plain_exit() -> None:
        _sentry_off()
        root.handlers[:] = []

    def ours_enter(sentry: bool) -> Callable[[], None]:
        def enter() -> None:
            root.handlers[:] = []
            # Every line written: the budgets compare a whole API error line with the
            # plain one, not a storm's summary.
            options: dict[str, Any] = {"service": "checkout", "level": "INFO", "storm": None}
            if sentry:
                options |= {
                    "sentry_dsn": SENTRY_DSN,
                    "sentry_options": {"transport": our_transport},
                }
            errorlens.configure(stream=our_sink, json=True, **options)

        return enter

    def ours_exit() -> None:
        errorlens.unconfigure()
        teardown = getattr(el_sentry, "teardown", None)
        if teardown is not None:
            teardown()
        _sentry_off()
        root.handlers[:] = []

    sides = [
        Side("plain", request, plain_enter(False), plain_exit),
        Side("plain+sentry", request, plain_enter(True), plain_exit),
        Side("errorlens", request, ours_enter(False), ours_exit),
        Side("errorlens+sentry", request, ours_enter(True), ours_exit),
    ]
    complaints = COMPLAINTS.count
    # Requests made with Sentry on (the warm-up call included, as the transport sees it).
    sentry_errors = {"plain": 0, "ours": 0}

    def counted(side: Side, key: str) -> Side:
        def call() -> None:
            side.call()
            sentry_errors[key] += 1

        return Side(side.name, call, side.enter, side.exit)

    sides[1] = counted(sides[1], "plain")
    sides[3] = counted(sides[3], "ours")
    times = measure(sides, bench.timing)
    us = {name: value * 1e6 for name, value in times.items()}
    plain_cost = us["plain+sentry"] - us["plain"]
    our_cost = us["errorlens+sentry"] - us["errorlens"]
    time_row = Row(
        names[0],
        SENTRY_BUDGET,
        baseline=plain_cost,
        errorlens=our_cost,
        ratio=our_cost / plain_cost if plain_cost > 0 else math.nan,
        detail=(
            "what Sentry adds to one request (a line, two API errors retried as warnings, "
            "the last logged with its exception): "
            f"plain logging {us['plain']:.0f} -> {us['plain+sentry']:.0f} us with sentry_sdk.init; "
            f"errorlens.configure() {us['errorlens']:.0f} -> {us['errorlens+sentry']:.0f} us "
            "with sentry_dsn="
        ),
    )
    time_row = _with_complaints(time_row, complaints)
    per_error = {
        "plain": plain_transport.bytes / max(sentry_errors["plain"], 1),
        "ours": our_transport.bytes / max(sentry_errors["ours"], 1),
    }
    events = {
        "plain": plain_transport.events / max(sentry_errors["plain"], 1),
        "ours": our_transport.events / max(sentry_errors["ours"], 1),
    }
    bytes_row = Row(
        names[1],
        SENTRY_BUDGET,
        baseline=per_error["plain"],
        errorlens=per_error["ours"],
        ratio=per_error["ours"] / per_error["plain"] if per_error["plain"] else math.nan,
        unit="B",
        detail=(
            "serialized event envelope bytes per API error logged; events per API error: "
            f"plain {events['plain']:.2f}, errorlens {events['ours']:.2f}"
        ),
    )
    if b"api_error" in plain_transport.last:
        bytes_row.notes.append(
            "the plain side's event mentions api_error: errorlens leaked into it"
        )
    if our_transport.events and b"api_error" not in our_transport.last:
        bytes_row.notes.append("the errorlens side's event has no api_error")
    for row in (time_row, bytes_row):
        if abs(events["ours"] - 1) > 0.01 or abs(events["plain"] - 1) > 0.01:
            row.notes.append("not exactly one event per API error")
    return [time_row, bytes_row]


# --- running -------------------------------------------------------------------------


def _skipped(name: str, why: str) -> Row:
    return Row(name, math.nan, skipped=why)


def _guarded(names: list[str], run: Callable[[], list[Row]]) -> list[Row]:
    try:
        return run()
    except Exception as exc:
        return [Row(name, math.nan, error=f"{type(exc).__name__}: {exc}"[:300]) for name in names]


LOGGING_ROWS = {
    "structlog chain": bench_structlog,
    "stdlib + logging.Formatter": bench_stdlib_text,
    "stdlib + python-json-logger": bench_stdlib_json,
}


def run_all(quick: bool, only: list[str] | None = None) -> list[Row]:
    timing = Timing(0.01, 3) if quick else Timing(0.25, 11)
    count = 20_000 if quick else 1_000_000
    _watch_errorlens_logger()
    otel = _Otel()

    def wanted(name: str) -> bool:
        return not only or any(word.lower() in name.lower() for word in only)

    rows: list[Row] = []

    def add(names: list[str], run: Callable[[], list[Row]]) -> None:
        if any(wanted(name) for name in names):
            rows.extend(_guarded(names, run))

    add(["from_http / json.loads (300 B body)"], lambda: bench_from_http(timing))
    add(["50 MB body / 1 KB body"], lambda: bench_body_size(timing))
    add(["httpx client: success response, instrumented / plain"], lambda: bench_capture(timing))
    add(
        ["hostile 64 KiB HTML / gateway page (worst variant)"],
        lambda: bench_hostile_html(timing),
    )

    failure: ApiFailure | None = None
    failure_error = ""
    try:
        failure = api_failure()
    except Exception as exc:
        failure_error = str(exc)

    def with_bench(names: list[str], run: Callable[[Bench], list[Row]]) -> None:
        if failure is None:
            add(names, lambda: [Row(name, math.nan, error=failure_error) for name in names])
            return
        bench = Bench(otel, failure, timing)
        add(names, lambda: run(bench))

    # No OpenTelemetry SDK as provider yet: each line against the plain line.
    for pipeline, run in LOGGING_ROWS.items():
        with_bench([f"{pipeline}: non-error line", f"{pipeline}: API error with exception"], run)
    # From here on the SDK is the provider, a span active: against the outputs by hand.
    otel.install()
    with_bench([OTEL_ROW], bench_otel_by_hand)
    with_bench(
        ["Sentry on: time per API error event", "Sentry on: bytes per API error event"],
        bench_sentry,
    )
    add([f"memory growth over {count:,} extractions (KiB)"], lambda: bench_memory(count))

    CONTEXT.clear()
    CONTEXT.append(f"Python {sys.version.split()[0]}")
    CONTEXT.append(
        "logging rows without an OpenTelemetry SDK; the SDK on, a span active: "
        + (otel.missing or "the by-hand row and Sentry's")
    )
    CONTEXT.append(f"API error: {failure.how}" if failure else f"no API error: {failure_error}")
    CONTEXT.append(
        "quick run" if quick else f"best of {timing.repeat} rounds of {timing.round_s} s"
    )
    return rows


CONTEXT: list[str] = []


def _figure(value: float | None, unit: str) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    if unit == "us":
        return f"{value:.1f} us" if value >= 10 else f"{value:.2f} us"
    return f"{value:,.0f} {unit}"


def table(rows: list[Row]) -> str:
    header = ["benchmark", "baseline", "errorlens", "ratio", "budget", "ok", "detail"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        if row.skipped or row.error:
            verdict = "skipped" if row.skipped else "FAILED"
            detail = row.skipped or row.error or ""
            cells = [row.name, "-", "-", "-", _budget(row), verdict, detail]
        else:
            ok = row.ok
            verdict = "info" if ok is None else "ok" if ok else "**over**"
            detail = "; ".join([row.detail, *row.notes]) if row.detail else "; ".join(row.notes)
            cells = [
                row.name,
                _figure(row.baseline, row.unit),
                _figure(row.errorlens, row.unit),
                f"{row.ratio:.2f}",
                _budget(row),
                verdict,
                detail,
            ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _budget(row: Row) -> str:
    return f"{row.budget:.2f}" if math.isfinite(row.budget) else "-"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few repetitions: a smoke run")
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when a budget is missed or a row failed"
    )
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    parser.add_argument(
        "--only", default="", help="comma-separated words: run only rows whose name has one"
    )
    args = parser.parse_args(argv)
    only = [word.strip() for word in args.only.split(",") if word.strip()]
    # The same error logged thousands of times is a storm: here every line is written,
    # so that each row measures the whole line (see configure(storm=None) above).
    from errorlens._internal import storm

    storm.set_current(None)
    rows = run_all(args.quick, only)
    if args.json:
        print(json.dumps([row.as_json() for row in rows], indent=2, allow_nan=False, default=str))
    else:
        print(table(rows))
        print()
        print("; ".join(CONTEXT))
    bad = [row for row in rows if row.error or row.ok is False]
    return 1 if args.strict and bad else 0


if __name__ == "__main__":
    sys.exit(main())
