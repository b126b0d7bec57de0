"""A structlog app: one ``errorlens.configure()`` call at startup.

Run it (it starts its own fake vendor on 127.0.0.1)::

    bash scripts/demo.sh                        # once: .venv with all the examples need
    .venv/bin/python examples/structlog_app.py                          # console in a terminal
    ERRORLENS_FORMAT=json .venv/bin/python examples/structlog_app.py    # JSON lines

structlog lines and stdlib lines (here from a "legacy" module and from httpx itself)
come out alike; the failed call carries ``api_error`` with the vendor's code, request
id and how long to wait before retrying.
"""

from __future__ import annotations

import logging

import httpx
import structlog
from _vendor import FakeVendor

import errorlens


def sync_models(client: httpx.Client) -> None:
    log = structlog.get_logger("catalog.sync")
    log.info("sync started")
    try:
        client.get("/v1/models").raise_for_status()
    except httpx.HTTPStatusError:
        log.exception("model list failed")
    logging.getLogger("catalog.legacy").warning("falling back to the cached list of %d", 12)


def main() -> None:
    errorlens.configure(service="catalog", level="INFO")
    with FakeVendor() as vendor, httpx.Client(base_url=vendor.url, timeout=5) as client:
        structlog.contextvars.bind_contextvars(job_id="sync-42")
        sync_models(client)
        structlog.contextvars.clear_contextvars()


if __name__ == "__main__":
    main()
