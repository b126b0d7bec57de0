"""A Flask app whose handler calls a vendor and logs the failure.

Run the demo (one request through Flask's test client, against a fake vendor that the
example starts on 127.0.0.1)::

    bash scripts/demo.sh                        # once: .venv with all the examples need
    .venv/bin/python examples/web_app.py

or serve it on http://127.0.0.1:8000 and try ``curl -X POST localhost:8000/customers``::

    .venv/bin/python examples/web_app.py --serve

The log line of the failure carries ``api_error`` (the vendor's field errors included)
and the request's id bound with ``structlog.contextvars``; the client gets a clean 502
with the vendor's request id, never the raw vendor body.
"""

from __future__ import annotations

import json
import sys
import uuid
from typing import Any

import requests
import structlog
from _vendor import FakeVendor
from flask import Flask, Response, g, jsonify, request

import errorlens

app = Flask(__name__)
log = structlog.get_logger("shop.web")


@app.before_request
def bind_request() -> None:
    g.request_id = request.headers.get("X-Request-Id") or uuid.uuid4().hex[:12]
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id=g.request_id, path=request.path)


@app.after_request
def log_request(response: Response) -> Response:
    log.info("request finished", status=response.status_code)
    return response


@app.post("/customers")
def create_customer() -> Any:
    payload = request.get_json(silent=True) or {"email": "not-an-email", "name": ""}
    try:
        response = requests.post(
            f"{app.config['VENDOR_URL']}/v1/customers",
            json=payload,
            headers={"Authorization": "Bearer sk_live_51HdemoSecretKeyNeverLogged"},
            timeout=5,
        )
        response.raise_for_status()
    except requests.HTTPError as error:
        log.exception("customer creation failed", email=payload.get("email"))
        record = errorlens.extract(error)
        return jsonify(
            error="vendor_rejected",
            code=record.code if record else None,
            fields=[f.field for f in record.fields] if record else [],
            vendor_request_id=record.request_id if record else None,
        ), 502
    return jsonify(response.json()), 201


def main() -> None:
    errorlens.configure(service="shop-web")
    with FakeVendor() as vendor:
        app.config["VENDOR_URL"] = vendor.url
        if "--serve" in sys.argv:
            app.run(host="127.0.0.1", port=8000)
            return
        reply = app.test_client().post(
            "/customers",
            json={"email": "not-an-email", "name": ""},
            headers={"X-Request-Id": "demo-1"},
        )
        print(reply.status_code, json.dumps(reply.get_json(), sort_keys=True))


if __name__ == "__main__":
    main()
