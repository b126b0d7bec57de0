"""A stdlib-logging app with python-json-logger: errorlens attaches, nothing is rewritten.

Run it (it starts its own fake vendor on 127.0.0.1)::

    bash scripts/demo.sh                        # once: .venv with all the examples need
    .venv/bin/python examples/stdlib_json_app.py

The app keeps its own handler and JsonFormatter. After ``errorlens.attach()``, the line
logged with ``log.exception`` carries a nested ``api_error`` object: code, message,
request id, retryability, without a line of parsing in the app.
"""

from __future__ import annotations

import logging
import sys

import requests
from _vendor import FakeVendor
from pythonjsonlogger.json import JsonFormatter

import errorlens


def setup_logging() -> None:
    # The application's logging, as it already was.
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)


def charge(vendor_url: str, amount: int) -> None:
    log = logging.getLogger("shop.payments")
    log.info("charging card", extra={"amount": amount})
    try:
        response = requests.post(
            f"{vendor_url}/v1/charges",
            data={"amount": amount, "currency": "eur", "source": "tok_visa"},
            headers={"Authorization": "Bearer sk_test_4eC39HqLyjWDarjtT1zdp7dc"},
            timeout=5,
        )
        response.raise_for_status()
    except requests.HTTPError:
        log.exception("charge failed", extra={"amount": amount})


def main() -> None:
    setup_logging()
    errorlens.attach()  # the root logger's handlers: every logger of the app
    with FakeVendor() as vendor:
        charge(vendor.url, 1999)
    errorlens.detach()


if __name__ == "__main__":
    main()
