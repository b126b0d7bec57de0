"""The README's aiohttp pattern, with real aiohttp against a loopback vendor.

``resp.raise_for_status()`` raises ``ClientResponseError`` without the body: the vendor's
code is lost. Reading the body before raising keeps it.
"""

from __future__ import annotations

import asyncio

import errorlens
from _servers import LoopbackServer
from conftest import require

CARD_DECLINED = {
    "error": {"type": "card_error", "code": "card_declined", "message": "Your card was declined."}
}


def test_raise_for_status_loses_the_code_reading_the_body_keeps_it(
    loopback: LoopbackServer,
) -> None:
    aiohttp = require("aiohttp")
    loopback.respond(402, {"Request-Id": "req_aio"}, CARD_DECLINED)

    async def usual() -> BaseException:
        async with aiohttp.ClientSession() as session:
            async with session.post(loopback.url + "/v1/charges") as resp:
                try:
                    resp.raise_for_status()
                except aiohttp.ClientResponseError as exc:
                    return exc
        raise AssertionError("no error raised")

    async def readme_pattern() -> errorlens.ErrorRecord:
        async with aiohttp.ClientSession() as session:
            async with session.post(loopback.url + "/v1/charges") as resp:
                assert resp.status >= 400
                body = await resp.read()  # before raising: the exception will not carry it
                return errorlens.from_http(
                    resp.status, resp.headers, body, url=str(resp.url), method=resp.method
                )

    lost = errorlens.extract(asyncio.run(usual()))
    assert lost is None or lost.code is None  # the status at best, never the vendor's code

    record = asyncio.run(readme_pattern())
    assert record.status == 402
    assert record.code == "card_declined"
    assert record.type == "card_error"
    assert record.request_id == "req_aio"
    assert record.method == "POST" and record.url == loopback.url + "/v1/charges"
