"""Request ids in and out: the middleware's reading of headers, binding and echo.

The real servers are in tests/integrations/test_servers.py; here each piece alone:
which incoming ids are accepted (W3C Trace Context for ``traceparent``), what a request
binds and for how long, what the response gets, and what configure() does to the
server loggers and the stop signals.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import signal
from collections.abc import Iterator
from typing import Any

import pytest
import structlog

import errorlens
from conftest import KeepRecords, require
from errorlens._internal.context import current_request_ids
from errorlens._internal.incoming import trace_id_of_traceparent, valid_id
from errorlens.asgi import RequestContextMiddleware as AsgiMiddleware
from errorlens.wsgi import RequestContextMiddleware as WsgiMiddleware

# The example of the W3C Trace Context recommendation, section 3.2.
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


# -- which incoming ids are accepted ------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "0b9e7a3c-94c4-4f3b-9a5e-3a4d2f1c8e7d",  # a UUID
        "req_7Hq2LmZ4",
        "Root=1-5759e988-bd862e3fe1be46a994272793",  # AWS X-Ray's trace header value
        "YWJjZGVm/Zw==",  # base64
        "a" * 128,
    ],
)
def test_ordinary_ids_are_accepted(value: str) -> None:
    assert valid_id(value) == value


@pytest.mark.parametrize(
    "value",
    [
        "a" * 129,  # over the cap
        "",
        "two words",
        'quote"d',
        "line\nbreak",  # a forged log line
        "tab\tbed",
        "list,of,ids",  # a header list separator
        "x\x00y",
        "caf\u00e9",
    ],
)
def test_untrusted_ids_out_of_shape_are_refused(value: str) -> None:
    assert valid_id(value) is None


def test_traceparent_gives_its_trace_id() -> None:
    assert trace_id_of_traceparent(TRACEPARENT) == "4bf92f3577b34da6a3ce929d0e0e4736"


@pytest.mark.parametrize(
    "value",
    [
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  # all-zero trace id
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  # version ff is invalid
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",  # must be lowercase
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",  # no flags
        "garbage",
    ],
)
def test_traceparent_out_of_the_spec_gives_nothing(value: str) -> None:
    assert trace_id_of_traceparent(value) is None


# -- ASGI -------------------------------------------------------------------------------


def _asgi_call(
    middleware: AsgiMiddleware, headers: list[tuple[bytes, bytes]], seen: dict[str, Any]
) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/", "headers": headers}
    asyncio.run(middleware(scope, receive, send))
    return sent


def _recording_asgi_app(seen: dict[str, Any], own_headers: list[tuple[bytes, bytes]]) -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen["ids"] = current_request_ids()
        seen["structlog"] = structlog.contextvars.get_contextvars()
        await send({"type": "http.response.start", "status": 200, "headers": own_headers})
        await send({"type": "http.response.body", "body": b"ok"})

    return app


def test_asgi_binds_the_incoming_ids_and_echoes_them() -> None:
    seen: dict[str, Any] = {}
    middleware = AsgiMiddleware(_recording_asgi_app(seen, []))
    sent = _asgi_call(
        middleware, [(b"x-request-id", b"req-in-1"), (b"x-correlation-id", b"corr-9")], seen
    )
    assert seen["ids"] == ("req-in-1", "corr-9")
    assert seen["structlog"] == {
        "http.request.id": "req-in-1",
        "http.request.correlation_id": "corr-9",
    }
    assert (b"x-request-id", b"req-in-1") in sent[0]["headers"]
    assert (b"x-correlation-id", b"corr-9") in sent[0]["headers"]
    # Unbound once the request is done.
    assert current_request_ids() is None
    assert structlog.contextvars.get_contextvars() == {}


def test_asgi_replaces_a_hostile_id_and_keeps_the_apps_own_header() -> None:
    seen: dict[str, Any] = {}
    middleware = AsgiMiddleware(_recording_asgi_app(seen, [(b"X-Request-Id", b"from-app")]))
    sent = _asgi_call(middleware, [(b"x-request-id", b"evil\r\nset-cookie: a=b")], seen)
    made = seen["ids"].request_id
    assert made and "evil" not in made and len(made) == 32
    names = [name.lower() for name, _ in sent[0]["headers"]]
    assert names.count(b"x-request-id") == 1  # the application's header, not a second one
    assert seen["ids"].correlation_id is None


def test_asgi_reads_traceparent_only_when_asked() -> None:
    headers = [(b"traceparent", TRACEPARENT.encode())]
    seen: dict[str, Any] = {}
    _asgi_call(AsgiMiddleware(_recording_asgi_app(seen, []), traceparent=True), headers, seen)
    assert seen["ids"].correlation_id == "4bf92f3577b34da6a3ce929d0e0e4736"
    _asgi_call(AsgiMiddleware(_recording_asgi_app(seen, []), traceparent=False), headers, seen)
    assert seen["ids"].correlation_id is None


def test_asgi_lifespan_passes_through_untouched() -> None:
    seen: dict[str, Any] = {}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen["ids"] = current_request_ids()

    asyncio.run(AsgiMiddleware(app)({"type": "lifespan"}, None, None))  # type: ignore[arg-type]
    assert seen["ids"] is None


# -- WSGI -------------------------------------------------------------------------------


def test_wsgi_keeps_the_ids_bound_until_the_server_closes_the_body() -> None:
    seen: list[Any] = []

    def app(environ: Any, start_response: Any) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        seen.append(current_request_ids())
        yield b"streamed"
        seen.append(current_request_ids())  # a streamed body's lines carry the id too

    started: list[Any] = []
    middleware = WsgiMiddleware(app)
    body = middleware({"HTTP_X_REQUEST_ID": "req-w-1"}, lambda s, h, *a: started.append(h))
    assert list(body) == [b"streamed"]
    assert seen == [("req-w-1", None), ("req-w-1", None)]
    assert ("x-request-id", "req-w-1") in started[0]
    assert current_request_ids() is not None  # the server's access line comes before close
    body.close()  # type: ignore[attr-defined]
    assert current_request_ids() is None
    assert structlog.contextvars.get_contextvars() == {}


def test_wsgi_unbinds_when_the_app_raises() -> None:
    def app(environ: Any, start_response: Any) -> list[bytes]:
        raise RuntimeError("app failure")

    with pytest.raises(RuntimeError, match="app failure"):
        WsgiMiddleware(app)({}, lambda *a: None)
    assert current_request_ids() is None


# -- lines: configure()'s chain and attach()'d loggers --------------------------------------


def test_every_line_of_a_request_carries_its_ids(configured: io.StringIO) -> None:
    def app(environ: Any, start_response: Any) -> list[bytes]:
        structlog.get_logger("app").info("from structlog")
        logging.getLogger("app.stdlib").warning("from stdlib")
        start_response("200 OK", [])
        return [b""]

    WsgiMiddleware(app)({"HTTP_X_REQUEST_ID": "req-lines"}, lambda *a: None).close()  # type: ignore[attr-defined]
    logging.getLogger("app").warning("outside any request")
    lines = [json.loads(line) for line in configured.getvalue().splitlines()]
    assert [line.get("http.request.id") for line in lines] == ["req-lines", "req-lines", None]
    # The vendor's id keeps its own name: nothing here is called request_id.
    assert all("request_id" not in line for line in lines)


def test_attach_puts_the_ids_on_stdlib_records() -> None:
    logger = logging.getLogger("attached.app")
    keep = KeepRecords()
    logger.addHandler(keep)
    errorlens.attach(logger)
    try:

        def app(environ: Any, start_response: Any) -> list[bytes]:
            logger.warning("inside")
            return [b""]

        WsgiMiddleware(app)({"HTTP_X_CORRELATION_ID": "corr-a"}, lambda *a: None).close()  # type: ignore[attr-defined]
    finally:
        errorlens.detach(logger)
        logger.removeHandler(keep)
    record = keep.records[0].__dict__
    assert record["http.request.correlation_id"] == "corr-a"
    assert len(record["http.request.id"]) == 32


# -- configure(): the server loggers, the stop signals ------------------------------------


def test_server_loggers_join_the_one_stream_and_come_back_after() -> None:
    access = logging.getLogger("uvicorn.access")
    own = logging.StreamHandler(io.StringIO())
    access.addHandler(own)
    access.propagate = False
    out = io.StringIO()
    errorlens.configure(json=True, stream=out)
    try:
        assert access.handlers == [] and access.propagate
        access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", "/", "1.1", 200)
    finally:
        errorlens.unconfigure()
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["event"] for line in lines] == ['127.0.0.1:5000 - "GET / HTTP/1.1" 200']
    assert own.stream.getvalue() == ""  # type: ignore[attr-defined]
    assert access.handlers == [own] and not access.propagate
    access.removeHandler(own)
    access.propagate = True


def test_server_loggers_left_alone_when_asked() -> None:
    gunicorn_error = logging.getLogger("gunicorn.error")
    own = logging.NullHandler()
    gunicorn_error.addHandler(own)
    gunicorn_error.propagate = False
    errorlens.configure(json=True, stream=io.StringIO(), server_loggers=False)
    try:
        assert gunicorn_error.handlers == [own] and not gunicorn_error.propagate
    finally:
        errorlens.unconfigure()
        gunicorn_error.removeHandler(own)
        gunicorn_error.propagate = True


def test_stop_signals_chain_to_the_handler_in_place_and_give_it_back() -> None:
    called: list[int] = []

    def servers_handler(signum: int, frame: Any) -> None:
        called.append(signum)

    before = {sig: signal.signal(sig, servers_handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        errorlens.configure(json=True, stream=io.StringIO())
        try:
            ours = signal.getsignal(signal.SIGTERM)
            assert ours is not servers_handler
            signal.raise_signal(signal.SIGTERM)  # the server's handler still runs
        finally:
            errorlens.unconfigure()
        assert called == [signal.SIGTERM]
        assert signal.getsignal(signal.SIGTERM) is servers_handler
        assert signal.getsignal(signal.SIGINT) is servers_handler
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)


def test_an_ignored_signal_stays_ignored() -> None:
    previous = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        errorlens.configure(json=True, stream=io.StringIO())
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN
        errorlens.unconfigure()
    finally:
        signal.signal(signal.SIGTERM, previous)


# -- Django -----------------------------------------------------------------------------

_django_seen: list[Any] = []


def _django_view(request: Any) -> Any:
    from django.http import HttpResponse

    _django_seen.append(current_request_ids())
    return HttpResponse("ok")


urlpatterns: list[Any] = []  # this module is the test's ROOT_URLCONF


def test_django_middleware_binds_and_echoes() -> None:
    require("django")
    from django.conf import settings
    from django.test import Client
    from django.urls import path

    if not settings.configured:
        settings.configure(
            ROOT_URLCONF=__name__,
            MIDDLEWARE=["errorlens.django.RequestContextMiddleware"],
            ALLOWED_HOSTS=["testserver"],
            SECRET_KEY="test-only",
        )
        import django

        django.setup()
    urlpatterns[:] = [path("", _django_view)]
    reply = Client().get("/", headers={"X-Request-Id": "dj-1", "X-Correlation-Id": "corr-dj"})
    assert _django_seen[-1] == ("dj-1", "corr-dj")
    assert reply.headers["x-request-id"] == "dj-1"
    assert reply.headers["x-correlation-id"] == "corr-dj"
    assert current_request_ids() is None


def test_lines_keep_the_ids_when_the_app_clears_structlogs_context(
    configured: io.StringIO,
) -> None:
    def app(environ: Any, start_response: Any) -> list[bytes]:
        structlog.contextvars.clear_contextvars()  # a common first step of a request hook
        structlog.get_logger("app").info("after clearing")
        return [b""]

    WsgiMiddleware(app)({"HTTP_X_REQUEST_ID": "req-kept"}, lambda *a: None).close()  # type: ignore[attr-defined]
    line = json.loads(configured.getvalue().splitlines()[0])
    assert line["http.request.id"] == "req-kept"


def test_outgoing_calls_of_a_request_carry_its_correlation_id_else_its_request_id() -> None:
    from errorlens._internal.context import correlation_id_for_outgoing

    sent: list[str] = []

    def app(environ: Any, start_response: Any) -> list[bytes]:
        sent.append(correlation_id_for_outgoing())  # what client capture sends out
        return [b""]

    middleware = WsgiMiddleware(app)
    middleware({"HTTP_X_CORRELATION_ID": "corr-out"}, lambda *a: None).close()  # type: ignore[attr-defined]
    middleware({"HTTP_X_REQUEST_ID": "req-out"}, lambda *a: None).close()  # type: ignore[attr-defined]
    assert sent == ["corr-out", "req-out"]


@pytest.mark.tolerates_internal_errors
def test_a_failure_inside_the_middleware_never_reaches_the_app() -> None:
    def broken_id() -> str:
        raise RuntimeError("no ids today")

    served: list[Any] = []

    def app(environ: Any, start_response: Any) -> list[bytes]:
        served.append(current_request_ids())
        start_response("200 OK", [])
        return [b"served"]

    started: list[Any] = []
    body = WsgiMiddleware(app, make_id=broken_id)({}, lambda s, h, *a: started.append(h))
    assert list(body) == [b"served"]
    assert served == [None] and started == [[]]  # served as without the middleware
