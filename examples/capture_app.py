"""Capture at the client: every error response is recorded where it arrives.

Run it (it starts its own fake vendor on 127.0.0.1)::

    bash scripts/demo.sh                        # once: .venv with all the examples need
    .venv/bin/python examples/capture_app.py
    ERRORLENS_FORMAT=json .venv/bin/python examples/capture_app.py

One call turns capture on for every httpx client. The price lookup's 429 is handled by
the application (it falls back to a cached price) and never logged by it: capture still
writes a WARNING line with the vendor's code and request id. The charge's 402 is raised
and logged by the application: its ERROR line carries the facts too, and the error is
counted once. Each request carries an ``x-correlation-id`` the records keep.
"""

from __future__ import annotations

import httpx
import structlog
from _vendor import FakeVendor

import errorlens
from errorlens import capture

log = structlog.get_logger("shop.checkout")
CACHED_PRICE = 1999


def price(client: httpx.Client) -> int:
    response = client.get("/v1/models")
    if response.status_code == 429:
        return CACHED_PRICE  # handled here: no log line of ours, capture still records it
    return int(response.json()["price"])


def charge(client: httpx.Client, amount: int) -> None:
    try:
        client.post("/v1/charges", json={"amount": amount}).raise_for_status()
    except httpx.HTTPStatusError:
        log.exception("charge failed", amount=amount)


def main() -> None:
    errorlens.configure(service="shop", level="INFO")
    errorlens.instrument_httpx(correlation_header="x-correlation-id")
    try:
        # One checkout: both calls carry one correlation id.
        with (
            FakeVendor() as vendor,
            httpx.Client(base_url=vendor.url, timeout=5) as client,
            capture.operation(),
        ):
            charge(client, price(client))
    finally:
        errorlens.uninstrument()


if __name__ == "__main__":
    main()
