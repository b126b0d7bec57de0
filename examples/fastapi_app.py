"""A FastAPI app under uvicorn: every line of a request carries that request's id.

Run the demo (uvicorn on a free port of 127.0.0.1, one request, then a clean stop)::

    .venv/bin/python examples/fastapi_app.py

or serve it, and try ``curl -i -H 'x-request-id: abc-1' localhost:8000/checkout``::

    VENDOR_URL=... .venv/bin/uvicorn --app-dir examples fastapi_app:app

The middleware takes the client's ``x-request-id`` (or makes one), binds it as
``http.request.id`` to every line of the request (yours, the vendor error's, uvicorn's
access line) and echoes it on the response. uvicorn's own lines come out in the same
JSON stream. With ``OTEL_EXPORTER_OTLP_ENDPOINT`` set, spans and log records go over
OTLP and are flushed when uvicorn stops, by SIGTERM too; ``SENTRY_DSN`` adds Sentry.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import threading
import time
from typing import Any

import httpx
import structlog
import uvicorn
from _vendor import FakeVendor
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from opentelemetry import trace

import errorlens
from errorlens.asgi import RequestContextMiddleware

errorlens.configure(
    service="shop-api",
    otel=bool(os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")),
    sentry_dsn=os.environ.get("SENTRY_DSN"),
)

app = FastAPI()
app.add_middleware(RequestContextMiddleware)
log = structlog.get_logger("shop.api")
audit = logging.getLogger("shop.audit")  # a stdlib logger: its lines carry the id too
tracer = trace.get_tracer("shop.api")


@app.get("/checkout")
async def checkout() -> Any:
    with tracer.start_as_current_span("checkout"):
        log.info("charging the card")
        audit.info("checkout attempted")
        async with httpx.AsyncClient(base_url=os.environ["VENDOR_URL"]) as client:
            response = await client.post("/v1/charges", json={"amount": 1200})
        try:
            response.raise_for_status()
        except httpx.HTTPStatusError:
            log.exception("charge failed")
            return JSONResponse({"error": "payment_declined"}, status_code=402)
        return {"ok": True}


def _serve_once() -> None:
    """Start uvicorn on a free loopback port, send one request, stop."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_config=None))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    reply = httpx.get(f"http://127.0.0.1:{port}/checkout", headers={"x-request-id": "demo-1"})
    print(reply.status_code, reply.headers["x-request-id"], reply.text)
    server.should_exit = True
    thread.join(10)


def main() -> None:
    with FakeVendor() as vendor:
        os.environ["VENDOR_URL"] = vendor.url
        if "--serve" in sys.argv:
            uvicorn.run(app, host="127.0.0.1", port=8000, log_config=None)
        else:
            _serve_once()


if __name__ == "__main__":
    main()
