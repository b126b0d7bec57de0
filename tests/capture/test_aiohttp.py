"""aiohttp capture against a real loopback server."""

from __future__ import annotations

import asyncio
from typing import Any

import _capture
import aiohttp
import pytest
from _capture import DECLINED

import errorlens
from _servers import closed_port_url
from errorlens.testing import capture_api_errors

server, undo_capture = _capture.server, _capture.undo_capture

pytestmark = pytest.mark.integration


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def test_error_read_by_the_caller_recorded_with_body_facts(server) -> None:
    url = server.route("/charge", 402, DECLINED, x_request_id="req_3")
    errorlens.instrument_aiohttp()

    async def call() -> Any:
        async with aiohttp.ClientSession() as session, session.get(url) as response:
            return await response.json()

    with capture_api_errors() as seen:
        assert run(call()) == DECLINED
    assert [(e.record.status, e.record.code, e.record.request_id) for e in seen] == [
        (402, "card_declined", "req_3")
    ]


def test_module_level_request_is_captured(server) -> None:
    url = server.route("/x", 500, {"error": {"code": "internal"}})
    errorlens.instrument_aiohttp()

    async def call() -> None:
        async with aiohttp.request("GET", url) as response:
            await response.read()

    with capture_api_errors() as seen:
        run(call())
    assert [e.record.code for e in seen] == ["internal"]


def test_unread_error_recorded_from_status_and_headers_on_release(server) -> None:
    url = server.route("/x", 503, {"error": {"code": "overloaded"}}, x_request_id="req_8")
    errorlens.instrument_aiohttp()

    async def call() -> int:
        async with aiohttp.ClientSession() as session, session.get(url) as response:
            return response.status

    with capture_api_errors() as seen:
        assert run(call()) == 503
    assert [(e.record.status, e.record.code, e.record.request_id) for e in seen] == [
        (503, None, "req_8")
    ]


def test_success_records_nothing_and_graphql_errors_count(server) -> None:
    ok = server.route("/ok", 200, {"data": {"a": 1}})
    graphql = server.route("/graphql", 200, {"errors": [{"message": "Not authorised"}]})
    errorlens.instrument_aiohttp()

    async def call(url: str) -> Any:
        async with aiohttp.ClientSession() as session, session.get(url) as response:
            return await response.json()

    with capture_api_errors() as seen:
        run(call(ok))
        assert seen == []
        run(call(graphql))
    assert [(e.record.status, e.record.message) for e in seen] == [(200, "Not authorised")]


def test_one_session_only_and_uninstrument(server) -> None:
    url = server.route("/x", 404, {"error": {"code": "not_found"}})
    release = aiohttp.ClientResponse.__dict__["release"]

    async def call() -> tuple[int, int]:
        async with aiohttp.ClientSession() as mine, aiohttp.ClientSession() as other:
            before = list(mine.trace_configs)
            handle = errorlens.instrument_aiohttp(mine)
            assert errorlens.instrument_aiohttp(mine) is handle
            with capture_api_errors() as seen:
                async with other.get(url) as response:
                    await response.read()
                async with mine.get(url) as response:
                    await response.read()
            handle.uninstrument()
            assert mine.trace_configs == before
            with capture_api_errors() as after:
                async with mine.get(url) as response:
                    await response.read()
            return len(seen), len(after)

    assert run(call()) == (1, 0)
    assert aiohttp.ClientResponse.__dict__["release"] is release


def test_global_uninstrument_restores_sessions(server) -> None:
    init = aiohttp.ClientSession.__dict__["__init__"]

    async def call() -> None:
        handle = errorlens.instrument_aiohttp()
        async with aiohttp.ClientSession() as session:
            assert len(session.trace_configs) == 1
            handle.uninstrument()
            assert session.trace_configs == []

    run(call())
    assert aiohttp.ClientSession.__dict__["__init__"] is init


def test_redirect_timeout_refused_and_correlation(server) -> None:
    server.route("/old", 307, b"", Location="/new")
    url = server.route("/new", 422, {"error": {"code": "invalid"}})
    errorlens.instrument_aiohttp(correlation_header="x-correlation-id")

    async def call() -> None:
        async with aiohttp.ClientSession() as session:
            async with session.get(server.url + "/old") as response:
                await response.read()
            with pytest.raises(asyncio.TimeoutError):
                timeout = aiohttp.ClientTimeout(sock_read=0.2)
                async with session.get(server.url + "/stall", timeout=timeout) as response:
                    await response.read()
            with pytest.raises(aiohttp.ClientConnectionError):
                async with session.get(closed_port_url() + "/v1") as response:
                    pass

    with capture_api_errors() as seen:
        run(call())
    statuses = [(e.record.status, e.record.url) for e in seen]
    assert statuses[0] == (422, url)
    # /stall: its status arrived, then the body timed out: the 504 is recorded on release.
    assert [s for s, _ in statuses[1:]] in ([504, None], [None, 504], [504, None, None])
    sent = dict(server.seen)["/new"]["x-correlation-id"]
    assert seen[0].record.correlation_id == sent
