"""Retries that wait what the vendor asks, and log every attempt with its facts.

Run it (it starts its own fake vendor on 127.0.0.1, rate limited for two calls)::

    bash scripts/demo.sh                        # once: .venv with all the examples need
    .venv/bin/python examples/retry_app.py

tenacity retries while the API error is retryable, waits the vendor's ``retry_after``
(here ``retry-after-ms: 300``; exponential backoff when a vendor names no wait), and
``errorlens.retry.before_sleep`` logs one line per retry with ``attempt``, ``wait`` and
the ``api_error`` object.
"""

from __future__ import annotations

from typing import Any

import httpx
import structlog
import tenacity
from _vendor import FakeVendor

import errorlens
from errorlens import retry

log = structlog.get_logger("search.embed")


@tenacity.retry(
    retry=retry.retry_if_retryable,
    wait=retry.wait_retry_after(fallback=tenacity.wait_exponential(max=30), max_wait=60),
    before_sleep=retry.before_sleep,
    stop=tenacity.stop_after_attempt(5),
    reraise=True,
)
def embed(client: httpx.Client, text: str) -> Any:
    response = client.post("/v1/embeddings", json={"input": text})
    response.raise_for_status()
    return response.json()


def main() -> None:
    errorlens.configure(service="search", level="INFO")
    with FakeVendor() as vendor, httpx.Client(base_url=vendor.url, timeout=5) as client:
        result = embed(client, "hello")
        log.info("embedded", vectors=len(result["data"]))


if __name__ == "__main__":
    main()
