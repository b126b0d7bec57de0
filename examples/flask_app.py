"""A Flask app under a real WSGI server: every line of a request carries that request's id.

Run the demo (waitress on a free port of 127.0.0.1, one request, then a clean stop)::

    .venv/bin/python examples/flask_app.py

or serve it with gunicorn (access lines included, in the same JSON stream), and try
``curl -i -H 'x-request-id: abc-1' localhost:8000/customers``::

    VENDOR_URL=... .venv/bin/gunicorn --chdir examples --access-logfile - flask_app:app

The middleware takes the client's ``x-request-id`` (or makes one), binds it as
``http.request.id`` to every line of the request and echoes it on the response. With
``OTEL_EXPORTER_OTLP_ENDPOINT`` set, spans and log records go over OTLP and are flushed
when the worker stops, by SIGTERM too; ``SENTRY_DSN`` adds Sentry.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from typing import Any

import requests
import structlog
import waitress
from _vendor import FakeVendor
from flask import Flask, jsonify
from opentelemetry import trace

import errorlens
from errorlens.wsgi import RequestContextMiddleware

errorlens.configure(
    service="shop-web",
    otel=bool(os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")),
    sentry_dsn=os.environ.get("SENTRY_DSN"),
)

app = Flask(__name__)
app.wsgi_app = RequestContextMiddleware(app.wsgi_app)
log = structlog.get_logger("shop.web")
audit = logging.getLogger("shop.audit")  # a stdlib logger: its lines carry the id too
tracer = trace.get_tracer("shop.web")


@app.post("/customers")
def create_customer() -> Any:
    with tracer.start_as_current_span("create customer"):
        log.info("creating the customer")
        audit.info("customer creation attempted")
        response = requests.post(
            os.environ["VENDOR_URL"] + "/v1/customers", json={"email": "x"}, timeout=5
        )
        try:
            response.raise_for_status()
        except requests.HTTPError:
            log.exception("customer creation failed")
            return jsonify(error="vendor_rejected"), 502
        return jsonify(response.json()), 201


def _serve_once() -> None:
    """Start waitress on a free loopback port, send one request, stop."""
    server = waitress.create_server(app, host="127.0.0.1", port=0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    port = server.socket.getsockname()[1]
    reply = requests.post(
        f"http://127.0.0.1:{port}/customers",
        # "Connection: close": no kept-alive connection holds the server open after.
        headers={"x-request-id": "demo-2", "Connection": "close"},
        timeout=10,
    )
    print(reply.status_code, reply.headers["x-request-id"], reply.text.strip())
    server.close()
    thread.join(10)
    server.task_dispatcher.shutdown()


def main() -> None:
    with FakeVendor() as vendor:
        os.environ["VENDOR_URL"] = vendor.url
        if "--serve" in sys.argv:
            waitress.serve(app, host="127.0.0.1", port=8000)
        else:
            _serve_once()


if __name__ == "__main__":
    main()
