"""errorlens: one structured record for any vendor's API error.

>>> import errorlens
>>> record = errorlens.from_http(404, {"x-request-id": "req_1"},
...                              b'{"error": {"code": "not_found", "message": "No such prompt"}}')
>>> record.code, record.request_id, record.retryable
('not_found', 'req_1', False)

Integrations live in public modules: :mod:`errorlens.processors` (structlog),
:mod:`errorlens.stdlib` (``logging``), :mod:`errorlens.capture` (HTTP clients),
:mod:`errorlens.otel`, :mod:`errorlens.sentry` and :mod:`errorlens.testing`; web
applications get request ids from :mod:`errorlens.asgi`, :mod:`errorlens.wsgi` and
:mod:`errorlens.django`.
"""

from __future__ import annotations

from errorlens._internal.categories import CodeInfo, register_codes, unregister_codes
from errorlens._internal.config import configure, unconfigure
from errorlens._internal.events import ErrorEvent, record_error
from errorlens._internal.reader.extract import extract, from_http
from errorlens._internal.reader.vendors import VendorRule, register_vendor, unregister_vendor
from errorlens._internal.scrub import add_pattern as add_redaction_pattern
from errorlens._internal.storm import StormPolicy
from errorlens._internal.version import VERSION as __version__
from errorlens.capture import (
    Instrumentation,
    instrument_aiohttp,
    instrument_httpx,
    instrument_requests,
    uninstrument,
)
from errorlens.processors import structlog_processor
from errorlens.record import ErrorRecord, FieldError
from errorlens.stdlib import attach, detach

# Outputs register themselves with the event hub when imported. Spans and metrics are
# always on: importing them here registers their sink before any error can be logged.
from errorlens import otel as otel  # isort: skip

__all__ = [
    "CodeInfo",
    "ErrorEvent",
    "ErrorRecord",
    "FieldError",
    "Instrumentation",
    "StormPolicy",
    "VendorRule",
    "__version__",
    "add_redaction_pattern",
    "attach",
    "configure",
    "detach",
    "extract",
    "from_http",
    "instrument_aiohttp",
    "instrument_httpx",
    "instrument_requests",
    "record_error",
    "register_codes",
    "register_vendor",
    "structlog_processor",
    "unconfigure",
    "uninstrument",
    "unregister_codes",
    "unregister_vendor",
]
