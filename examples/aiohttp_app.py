"""aiohttp: keep the vendor's error code by reading the body before raising.

Run it (it starts its own fake vendor on 127.0.0.1)::

    bash scripts/demo.sh                        # once: .venv with all the examples need
    .venv/bin/python examples/aiohttp_app.py

``resp.raise_for_status()`` raises ``ClientResponseError`` without the body, so the
vendor's code, message and field errors are lost. Read the body first and hand the parts
to ``errorlens.from_http``: the record keeps them, and ``error=record`` puts them on the
log line.
"""

from __future__ import annotations

import asyncio

import aiohttp
import structlog
from _vendor import FakeVendor

import errorlens

log = structlog.get_logger("billing")


async def charge(session: aiohttp.ClientSession, url: str) -> None:
    async with session.post(url, data={"amount": 1999}) as resp:
        if resp.status >= 400:
            body = await resp.read()  # before raising: the exception will not carry it
            record = errorlens.from_http(
                resp.status, resp.headers, body, url=str(resp.url), method=resp.method
            )
            log.error("charge failed", api_error=record.as_dict())
            return
        log.info("charged")


async def main() -> None:
    errorlens.configure(service="billing")
    with FakeVendor() as vendor:
        async with aiohttp.ClientSession() as session:
            await charge(session, f"{vendor.url}/v1/charges")


if __name__ == "__main__":
    asyncio.run(main())
