"""Sentry forwarding: one enriched, well-grouped event per API error.

The real sentry-sdk sends with its real HTTP transport to a loopback receiver
(``_sentry_server.SentryReceiver``) that decodes envelopes with
``sentry_sdk.envelope.Envelope``; every event received is also run through Relay's
``StoreNormalizer`` (the ``sentry-relay`` package) to show Sentry would accept it.
"""

from __future__ import annotations

import io
import json
import logging
import os
import statistics
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

try:
    import sentry_sdk
    from sentry_sdk.integrations.dedupe import DedupeIntegration
    from sentry_sdk.integrations.logging import LoggingIntegration
    from sentry_sdk.integrations.stdlib import StdlibIntegration
except ImportError:  # pragma: no cover - the dev extra installs it
    if os.environ.get("CI", "").lower() == "true":
        raise
    pytest.skip("sentry-sdk is not installed", allow_module_level=True)

import requests
import structlog

import errorlens
from _sentry_server import SentryReceiver, VendorStub, closed_port_dsn
from conftest import in_forked_child, require
from errorlens import processors as errorlens_processors
from errorlens import sentry as errorlens_sentry
from errorlens import stdlib as errorlens_stdlib
from errorlens._internal.events import ErrorEvent, emit
from errorlens._internal.guard import internal_logger
from errorlens.sentry import scrub as sentry_scrub

# Secrets the application holds while calling the vendor; none may reach Sentry.
API_KEY = "sk_live_51HdQpLq0TOKENabcdef0123456789"
SESSION_COOKIE = "Zq8vN2mKp4Lr7sT1xW"
QUERY_SECRET = "qs9f8e7d6c5b4a3f2e1d"
SECRETS = (API_KEY, SESSION_COOKIE, QUERY_SECRET)

STRIPE_HEADERS = {"Stripe-Version": "2024-06-20", "Content-Type": "application/json"}


def stripe_body(code: str, message: str) -> bytes:
    return json.dumps({"error": {"type": "card_error", "code": code, "message": message}}).encode()


# --- fixtures --------------------------------------------------------------------------


@pytest.fixture
def receiver() -> Iterator[SentryReceiver]:
    with SentryReceiver() as server:
        yield server


@pytest.fixture
def vendor() -> Iterator[VendorStub]:
    stub = VendorStub(
        402,
        {**STRIPE_HEADERS, "Request-Id": "req_first"},
        stripe_body("card_declined", "Your card was declined."),
    )
    yield stub
    stub.close()


@pytest.fixture(autouse=True)
def fresh_sentry() -> Iterator[None]:
    """Each test starts without a Sentry client and leaves none behind."""
    yield
    errorlens_sentry.teardown()
    client = sentry_sdk.get_client()
    if client.is_active():
        client.close(timeout=2)
    sentry_sdk.Scope.get_global_scope().set_client(None)
    for scope in (
        sentry_sdk.Scope.get_global_scope(),
        sentry_sdk.Scope.get_isolation_scope(),
        sentry_sdk.Scope.get_current_scope(),
    ):
        scope.clear()


def sentry_integrations(logging_integration: bool) -> list[Any]:
    """Explicit integrations: the HTTP client breadcrumbs, and logging when asked.

    Defaults are off because sentry-sdk keeps an integration once any client in the
    process installed it (``disabled_integrations`` would not turn logging off again),
    and Dedupe is off so that no duplicate could hide.
    """
    integrations: list[Any] = [StdlibIntegration()]
    if logging_integration:
        integrations.append(LoggingIntegration(level=logging.INFO, event_level=logging.ERROR))
    return integrations


def init_sentry(dsn: str, *, logging_integration: bool, **options: Any) -> None:
    """The application's own ``sentry_sdk.init``."""
    sentry_sdk.init(
        dsn=dsn,
        default_integrations=False,
        integrations=sentry_integrations(logging_integration),
        shutdown_timeout=1,
        **options,
    )
    active = sentry_sdk.get_client().get_integration(LoggingIntegration) is not None
    assert active is logging_integration


def received(receiver: SentryReceiver, expected: int) -> list[dict[str, Any]]:
    """Flush, then exactly ``expected`` events, each accepted by Relay's normaliser."""
    sentry_sdk.flush(timeout=5)
    events = receiver.wait_for_events(expected, timeout=5)
    if expected == 0:
        time.sleep(0.2)  # anything in flight would arrive now
        events = receiver.events()
    assert len(events) == expected, [e.get("logentry") or e.get("exception") for e in events]
    for event in events:
        assert_sentry_accepts(event)
    return events


def logentry_text(event: dict[str, Any]) -> str:
    """The event's log text (older sentry-sdk sends ``formatted`` only with arguments)."""
    entry = event["logentry"]
    return str(entry.get("formatted") or entry["message"])


def assert_sentry_accepts(event: dict[str, Any]) -> None:
    relay = require("sentry_relay")
    normalized = relay.StoreNormalizer().normalize_event(event)
    assert not normalized.get("errors"), normalized.get("errors")
    assert normalized.get("_meta") is None or "tags" not in normalized["_meta"]


def call_vendor(
    vendor: VendorStub, *, code: str = "card_declined", customer: str | None = None
) -> None:
    """The application's one call site: a charge that the vendor refuses."""
    suffix = f" for {customer}" if customer else ""
    vendor.body = stripe_body(code, f"Your card was declined{suffix}.")
    vendor.headers = {**STRIPE_HEADERS, "Request-Id": f"req_{code}_{customer or 0}"}
    path = f"/v1/customers/{customer}/charges" if customer else "/v1/charges"
    response = requests.post(
        vendor.url + path,
        params={"api_key": QUERY_SECRET},
        headers={"Authorization": f"Bearer {API_KEY}"},
        cookies={"sessionid": SESSION_COOKIE},
        data={"amount": "100"},
        timeout=5,
    )
    response.raise_for_status()


def vendor_error(vendor: VendorStub, **kwargs: Any) -> requests.HTTPError:
    try:
        call_vendor(vendor, **kwargs)
    except requests.HTTPError as error:
        return error
    raise AssertionError("the vendor stub must answer with an error")


APP_LOGGERS = ("shop.payments", "shop.refunds", "shop.hostile")


@pytest.fixture(autouse=True)
def attached_loggers() -> Iterator[None]:
    """The application's stdlib loggers, with errorlens attached as a user would."""
    for name in APP_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
        errorlens_stdlib.attach(name)
    yield
    for name in APP_LOGGERS:
        errorlens_stdlib.detach(name)


# The three ways an application logs: a standalone structlog chain, stdlib logging, and
# a structlog chain that renders its line and hands it to a stdlib logger.
PATHS = ["structlog", "stdlib", "structlog-stdlib"]


def structlog_chain() -> list[Any]:
    return [
        structlog.processors.add_log_level,
        errorlens_processors.structlog_processor(),
        errorlens_processors.format_exc_info,
        errorlens_processors.redact,
        structlog.processors.JSONRenderer(),
    ]


def structlog_logger(name: str = "shop.payments") -> Any:
    """A standalone structlog chain (no stdlib underneath) with errorlens in it."""
    return structlog.wrap_logger(
        structlog.PrintLogger(io.StringIO()),
        processors=structlog_chain(),
        wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG),
    ).bind(logger=name)


def structlog_over_stdlib(name: str = "shop.payments") -> Any:
    """structlog rendering to a stdlib logger (its handlers, Sentry's among them)."""
    return structlog.wrap_logger(
        logging.getLogger(name),
        processors=structlog_chain(),
        wrapper_class=structlog.stdlib.BoundLogger,
    )


def logger_for(path: str, name: str) -> Any:
    if path == "stdlib":
        return logging.getLogger(name)
    if path == "structlog":
        return structlog_logger(name)
    return structlog_over_stdlib(name)


def log_api_error(
    path: str, error: BaseException, message: str = "charge failed", level: int = logging.ERROR
) -> None:
    """Log ``error`` (with its traceback) as the application would on ``path``."""
    try:
        raise error
    except type(error):
        logger_for(path, "shop.payments").log(level, message, exc_info=True)


# --- setup: errorlens starts Sentry, or keeps the application's ------------------------


def test_setup_initialises_sentry_when_the_app_has_not(
    receiver: SentryReceiver, vendor: VendorStub
) -> None:
    assert not sentry_sdk.get_client().is_active()
    errorlens_sentry.setup(receiver.dsn, shutdown_timeout=1, auto_enabling_integrations=False)
    client = sentry_sdk.get_client()
    assert client.is_active()
    assert client.dsn == receiver.dsn

    errorlens_sentry.setup(receiver.dsn, shutdown_timeout=1)  # idempotent
    assert sentry_sdk.get_client() is client

    errorlens.record_error(vendor_error(vendor))
    (event,) = received(receiver, 1)
    assert event["tags"]["api_error.vendor"] == "stripe"
    assert event["tags"]["api_error.code"] == "card_declined"


def test_setup_keeps_the_apps_own_client_and_before_send(
    receiver: SentryReceiver, vendor: VendorStub
) -> None:
    seen_by_app: list[dict[str, Any]] = []

    def app_before_send(event: Any, hint: Any) -> Any:
        seen_by_app.append(dict(event.get("tags") or {}))
        event.setdefault("tags", {})["team"] = "payments"
        return event

    init_sentry(
        receiver.dsn, logging_integration=True, before_send=app_before_send, release="shop@1.2.3"
    )
    client = sentry_sdk.get_client()
    with SentryReceiver() as other:
        errorlens_sentry.setup(other.dsn, shutdown_timeout=1)
        assert sentry_sdk.get_client() is client
        assert client.options["before_send"] is app_before_send
        log_api_error("stdlib", vendor_error(vendor))
        (event,) = received(receiver, 1)
        assert other.events() == []
    assert event["release"] == "shop@1.2.3"
    assert event["tags"]["team"] == "payments"
    assert event["tags"]["api_error.code"] == "card_declined"
    # The enrichment ran before the application's before_send saw the event.
    assert seen_by_app[0]["api_error.code"] == "card_declined"


def test_before_send_composes_for_apps_that_do_not_call_setup(
    receiver: SentryReceiver, vendor: VendorStub
) -> None:
    calls: list[str] = []

    def app_before_send(event: Any, hint: Any) -> Any:
        calls.append(event["tags"]["api_error.code"])
        return event

    init_sentry(
        receiver.dsn,
        logging_integration=True,
        before_send=errorlens_sentry.make_before_send(app_before_send),
    )
    logger = logging.getLogger("plain.app")  # no errorlens on this logger at all
    try:
        call_vendor(vendor, code="expired_card")
    except requests.HTTPError:
        logger.exception("charge failed")
    (event,) = received(receiver, 1)
    assert calls == ["expired_card"]
    assert event["contexts"]["api_error"]["code"] == "expired_card"
    assert event["fingerprint"] == ["{{ default }}", "stripe", "expired_card"]


def test_plain_before_send_enriches(receiver: SentryReceiver, vendor: VendorStub) -> None:
    init_sentry(receiver.dsn, logging_integration=True, before_send=errorlens_sentry.before_send)
    try:
        call_vendor(vendor)
    except requests.HTTPError:
        logging.getLogger("plain.app").exception("charge failed")
    (event,) = received(receiver, 1)
    assert event["tags"]["http.status_code"] == "402"


# --- exactly one event -----------------------------------------------------------------


@pytest.mark.parametrize("logging_integration", [True, False], ids=["logging-on", "logging-off"])
@pytest.mark.parametrize("path", PATHS)
def test_one_enriched_event_per_api_error(
    receiver: SentryReceiver, vendor: VendorStub, path: str, logging_integration: bool
) -> None:
    init_sentry(receiver.dsn, logging_integration=logging_integration)
    errorlens_sentry.setup()
    log_api_error(path, vendor_error(vendor))
    (event,) = received(receiver, 1)

    assert event["level"] == "error"
    assert event["logger"] == "shop.payments"
    assert event["exception"]["values"][-1]["type"] == "HTTPError"
    assert event["tags"]["api_error.vendor"] == "stripe"
    assert event["tags"]["api_error.code"] == "card_declined"
    assert event["tags"]["api_error.request_id"] == "req_card_declined_0"
    assert event["tags"]["http.status_code"] == "402"
    context = event["contexts"]["api_error"]
    assert context["status"] == 402
    assert context["code"] == "card_declined"
    assert context["error_type"] == "card_error"
    assert context["message"] == "Your card was declined."
    assert context["retryable"] is False
    assert context["method"] == "POST"
    assert "type" not in context  # reserved by Sentry for the kind of context
    assert event["fingerprint"] == ["{{ default }}", "stripe", "card_declined"]
    # The record once per event: the context, not a copy in extra.
    assert not {"api_error", "api_errors", "api_error_summary"} & set(event.get("extra", {}))


def test_default_sentry_integrations_still_give_one_event(
    receiver: SentryReceiver, vendor: VendorStub
) -> None:
    # Default integrations (logging and dedupe among them) on.
    sentry_sdk.init(dsn=receiver.dsn, shutdown_timeout=1, auto_enabling_integrations=False)
    assert sentry_sdk.get_client().get_integration(DedupeIntegration) is not None
    assert sentry_sdk.get_client().get_integration(LoggingIntegration) is not None
    errorlens_sentry.setup()
    log_api_error("stdlib", vendor_error(vendor))
    log_api_error("structlog", vendor_error(vendor, code="expired_card"))
    events = received(receiver, 2)
    assert [e["tags"]["api_error.code"] for e in events] == ["card_declined", "expired_card"]


def refund_response(vendor: VendorStub, refund_id: str, code: str) -> requests.Response:
    """A vendor error read from a response the application did not raise for."""
    vendor.status = 404
    vendor.body = stripe_body(code, f"No such refund: {refund_id}")
    vendor.headers = {**STRIPE_HEADERS, "Request-Id": f"req_{refund_id}"}
    response = requests.get(f"{vendor.url}/v1/refunds/{refund_id}", timeout=5)
    assert response.status_code == 404
    return response


def log_refund_failure(path: str, response: requests.Response, message: str) -> None:
    """Log an error response, no exception, the way each path supports it."""
    if path == "stdlib":
        logging.getLogger("shop.refunds").error(message, extra={"error": response})
    else:
        logger_for(path, "shop.refunds").error(message, error=response)


def log_refund_failure_at_audit(path: str, response: requests.Response, message: str) -> None:
    """A second call site logging the same kind of failure."""
    if path == "stdlib":
        logging.getLogger("shop.refunds").error(message, extra={"error": response})
    else:
        logger_for(path, "shop.refunds").error(message, error=response)


@pytest.mark.parametrize("logging_integration", [True, False], ids=["logging-on", "logging-off"])
@pytest.mark.parametrize("path", PATHS)
def test_a_line_without_exception_is_enriched(
    receiver: SentryReceiver, vendor: VendorStub, path: str, logging_integration: bool
) -> None:
    init_sentry(receiver.dsn, logging_integration=logging_integration)
    errorlens_sentry.setup()
    log_refund_failure(
        path, refund_response(vendor, "re_77", "resource_missing"), "refund lookup failed"
    )
    (event,) = received(receiver, 1)
    assert "exception" not in event
    assert "refund lookup failed" in logentry_text(event)
    assert event["tags"]["api_error.code"] == "resource_missing"
    assert event["tags"]["http.status_code"] == "404"
    assert event["contexts"]["api_error"]["request_id"] == "req_re_77"
    assert event["fingerprint"][0] == "api_error"
    assert event["fingerprint"][-2:] == ["stripe", "resource_missing"]


def test_pending_handover_never_reaches_an_unrelated_line(receiver: SentryReceiver) -> None:
    """A line errorlens saw but that never reached Sentry's handler (filtered away later)
    must not lend its record to the next line of the thread."""
    init_sentry(receiver.dsn, logging_integration=True)
    errorlens_sentry.setup()
    record = errorlens.from_http(404, STRIPE_HEADERS, stripe_body("resource_missing", "x"))
    unrelated = [
        ("shop.other", logging.ERROR, "database is down"),  # another logger
        ("shop.refunds", logging.ERROR, "database is down"),  # same logger, other text
        ("shop.refunds", logging.CRITICAL, "refund lookup failed"),  # other level
    ]
    for name, level, text in unrelated:
        seen = ErrorEvent(
            record,
            None,
            level=logging.ERROR,
            logger_name="shop.refunds",
            message="refund lookup failed",
            via_stdlib=True,
        )
        emit(seen)
        logging.getLogger(name).log(level, text)
    events = received(receiver, len(unrelated))
    for event in events:
        assert "api_error" not in event.get("contexts", {})
        assert not any(k.startswith("api_error.") for k in event.get("tags", {}))


@pytest.mark.parametrize("logging_integration", [True, False], ids=["logging-on", "logging-off"])
def test_configure_with_sentry_dsn_end_to_end(
    receiver: SentryReceiver, vendor: VendorStub, logging_integration: bool
) -> None:
    from errorlens._internal.config import configure, unconfigure

    options: dict[str, Any] = {
        "shutdown_timeout": 1,
        "default_integrations": False,
        "integrations": sentry_integrations(logging_integration),
    }
    out = io.StringIO()
    try:
        for _ in range(2):  # configure twice: still one event per error
            configure(
                service="shop",
                json=True,
                stream=out,
                sentry_dsn=receiver.dsn,
                sentry_options=options,
                cache_logger_on_first_use=False,
            )
        assert sentry_sdk.get_client().dsn == receiver.dsn
        assert (sentry_sdk.get_client().get_integration(LoggingIntegration) is not None) is (
            logging_integration
        )
        try:
            call_vendor(vendor, code="card_declined")
        except requests.HTTPError:
            structlog.get_logger("shop.checkout").exception("charge failed")
        try:
            call_vendor(vendor, code="expired_card")
        except requests.HTTPError:
            logging.getLogger("shop.legacy").exception("legacy charge failed")
        events = received(receiver, 2)
    finally:
        unconfigure()
    by_logger = {e["logger"]: e for e in events}
    assert set(by_logger) == {"shop.checkout", "shop.legacy"}
    assert by_logger["shop.checkout"]["tags"]["api_error.code"] == "card_declined"
    assert by_logger["shop.legacy"]["tags"]["api_error.code"] == "expired_card"
    for event in events:
        assert event["fingerprint"][0] == "{{ default }}"
        assert event["contexts"]["api_error"]["vendor"] == "stripe"
    assert '"api_error"' in out.getvalue()  # the log lines carry the record too
    for secret in SECRETS:
        assert secret not in receiver.raw_text()


# --- levels: events and breadcrumbs ----------------------------------------------------


@pytest.mark.parametrize("path", PATHS)
def test_below_error_is_a_breadcrumb_not_an_event(
    receiver: SentryReceiver, vendor: VendorStub, path: str
) -> None:
    init_sentry(receiver.dsn, logging_integration=path == "stdlib")
    errorlens_sentry.setup()
    log_api_error(
        path, vendor_error(vendor, code="rate_limit"), "retrying charge", level=logging.WARNING
    )
    assert received(receiver, 0) == []

    sentry_sdk.capture_message("checkout gave up")
    (event,) = received(receiver, 1)
    crumbs = [c for c in event["breadcrumbs"]["values"] if c.get("message") == "retrying charge"]
    assert len(crumbs) == 1  # one breadcrumb: Sentry's or errorlens's, never both
    assert crumbs[0]["level"] == "warning"
    # A one-line summary of the record, not the whole record, whoever made the crumb.
    summary = crumbs[0]["data"]["api_error"]
    assert isinstance(summary, str) and "rate_limit" in summary and "stripe" in summary


# --- grouping --------------------------------------------------------------------------


@pytest.mark.parametrize("path", PATHS)
def test_same_code_same_call_site_groups_despite_dynamic_ids(
    receiver: SentryReceiver, vendor: VendorStub, path: str
) -> None:
    init_sentry(receiver.dsn, logging_integration=True)
    errorlens_sentry.setup()
    log_api_error(path, vendor_error(vendor, customer="cus_A1"), "charge cus_A1 failed")
    log_api_error(path, vendor_error(vendor, customer="cus_B2"), "charge cus_B2 failed")
    log_api_error(
        path, vendor_error(vendor, code="expired_card", customer="cus_C3"), "charge cus_C3 failed"
    )
    first, second, other = received(receiver, 3)

    assert first["exception"]["values"][-1]["value"] != second["exception"]["values"][-1]["value"]
    assert logentry_text(first) != logentry_text(second)
    assert first["tags"]["api_error.request_id"] != second["tags"]["api_error.request_id"]
    assert first["fingerprint"] == second["fingerprint"]
    assert first["fingerprint"] != other["fingerprint"]

    # "{{ default }}" is the stack trace here: the same frames, so the same group.
    def frames(event: dict[str, Any]) -> list[tuple[str, str]]:
        stack = event["exception"]["values"][-1]["stacktrace"]["frames"]
        return [(f.get("module"), f.get("function")) for f in stack]

    assert frames(first) == frames(second)


@pytest.mark.parametrize("logging_integration", [True, False], ids=["logging-on", "logging-off"])
@pytest.mark.parametrize("path", PATHS)
def test_message_events_group_by_call_site_not_text(
    receiver: SentryReceiver, vendor: VendorStub, path: str, logging_integration: bool
) -> None:
    init_sentry(receiver.dsn, logging_integration=logging_integration)
    errorlens_sentry.setup()

    def refund(refund_id: str, code: str) -> None:
        log_refund_failure(
            path, refund_response(vendor, refund_id, code), f"refund {refund_id} failed"
        )

    refund("re_1", "resource_missing")
    refund("re_2", "resource_missing")
    refund("re_3", "charge_expired")
    log_refund_failure_at_audit(
        path, refund_response(vendor, "re_4", "resource_missing"), "refund re_4 failed"
    )
    first, second, other_code, other_site = received(receiver, 4)
    assert logentry_text(first) != logentry_text(second)
    assert first["fingerprint"] == second["fingerprint"]
    assert first["fingerprint"] != other_code["fingerprint"]
    assert first["fingerprint"] != other_site["fingerprint"]
    assert first["fingerprint"][1].endswith("log_refund_failure"), first["fingerprint"]


def test_fingerprint_is_configurable(receiver: SentryReceiver, vendor: VendorStub) -> None:
    init_sentry(receiver.dsn, logging_integration=False)
    errorlens_sentry.setup(fingerprint=False)
    log_api_error("structlog", vendor_error(vendor))
    (plain,) = received(receiver, 1)
    assert "fingerprint" not in plain
    assert plain["tags"]["api_error.code"] == "card_declined"  # enrichment stays

    errorlens_sentry.setup(fingerprint=lambda record, event: ["billing", record.code or ""])
    log_api_error("structlog", vendor_error(vendor))
    custom = received(receiver, 2)[1]
    assert custom["fingerprint"] == ["billing", "card_declined"]


@pytest.mark.parametrize("path", PATHS)
def test_a_fingerprint_rule_that_raises_leaves_the_event_scrubbed(
    receiver: SentryReceiver, vendor: VendorStub, path: str
) -> None:
    def broken_rule(record: Any, event: Any) -> list[str]:
        raise RuntimeError("bug in the application's rule")

    init_sentry(receiver.dsn, logging_integration=True, before_send=errorlens_sentry.before_send)
    errorlens_sentry.setup(fingerprint=broken_rule)
    log_api_error(path, vendor_error(vendor))
    (event,) = received(receiver, 1)
    assert event["tags"]["api_error.code"] == "card_declined"  # the rest of the enrichment
    assert "fingerprint" not in event
    text = receiver.raw_text()
    for secret in SECRETS:
        assert secret not in text, secret


def test_an_apps_own_fingerprint_is_kept(receiver: SentryReceiver, vendor: VendorStub) -> None:
    init_sentry(receiver.dsn, logging_integration=False)
    errorlens_sentry.setup()
    with sentry_sdk.new_scope() as scope:
        scope.fingerprint = ["mine"]
        log_api_error("structlog", vendor_error(vendor))
    (event,) = received(receiver, 1)
    assert event["fingerprint"] == ["mine"]


# --- tags follow Sentry's rules --------------------------------------------------------


def test_tag_values_follow_sentrys_rules(receiver: SentryReceiver) -> None:
    init_sentry(receiver.dsn, logging_integration=False)
    errorlens_sentry.setup()
    long_id = "req\n" + "x" * 400
    record = errorlens.ErrorRecord(
        vendor="acme", status=500, code="boom\r\nagain", request_id=long_id, message="m"
    )
    emit(ErrorEvent(record, None, logger_name="shop"))
    (event,) = received(receiver, 1)
    tags = event["tags"]
    for key in ("api_error.vendor", "api_error.code", "api_error.request_id", "http.status_code"):
        assert key in tags
        assert len(key) <= 32
        assert len(tags[key]) <= 200
        assert "\n" not in tags[key] and "\r" not in tags[key]
    assert tags["api_error.code"] == "boom again"
    assert tags["api_error.request_id"].startswith("req x")
    # The context keeps the whole value.
    assert event["contexts"]["api_error"]["request_id"] == long_id


# --- redaction -------------------------------------------------------------------------


@pytest.mark.parametrize("logging_integration", [True, False], ids=["logging-on", "logging-off"])
@pytest.mark.parametrize("path", PATHS)
def test_no_secret_reaches_sentry(
    receiver: SentryReceiver, vendor: VendorStub, path: str, logging_integration: bool
) -> None:
    init_sentry(
        receiver.dsn,
        logging_integration=logging_integration,
        before_send=errorlens_sentry.before_send,
    )
    errorlens_sentry.setup()
    # Locals of the application's frame, where Sentry looks too.
    client_config = {"headers": {"Authorization": f"Bearer {API_KEY}"}, "retries": 2}
    cookies = {"sessionid": SESSION_COOKIE}
    note = f"using key {API_KEY}"
    sentry_sdk.add_breadcrumb(
        category="app",
        message=f"calling with Bearer {API_KEY}",
        data={"url": f"{vendor.url}/v1?api_key={QUERY_SECRET}"},
    )
    with sentry_sdk.new_scope() as scope:
        scope.add_event_processor(_request_data_processor)
        log_api_error(path, vendor_error(vendor), f"charge failed with Bearer {API_KEY}")
    (event,) = received(receiver, 1)
    assert client_config and cookies and note  # kept alive in this frame

    text = receiver.raw_text()
    for secret in SECRETS:
        assert secret not in text, secret
    assert "Authorization" not in json.dumps(event.get("request", {}).get("headers", {})) or (
        event["request"]["headers"]["Authorization"] in ("[REDACTED]", "[Filtered]")
    )
    # The message is kept, with the token gone.
    assert "charge failed with Bearer [REDACTED]" in json.dumps(event["logentry"])


def _request_data_processor(event: Any, hint: Any) -> Any:
    """What a web framework integration adds: the incoming request, with credentials."""
    event["request"] = {
        "url": f"https://shop.example/checkout?token={QUERY_SECRET}",
        "method": "POST",
        "headers": {"Authorization": f"Bearer {API_KEY}", "X-Shop": "1"},
        "cookies": {"sessionid": SESSION_COOKIE},
        "query_string": f"token={QUERY_SECRET}&page=2",
        "data": {"card": {"api_key": API_KEY}},
    }
    return event


# --- Sentry slow or down ---------------------------------------------------------------


def timed_log_calls(vendor: VendorStub, count: int = 30) -> list[float]:
    """Seconds taken by each of ``count`` API error log calls, alternating paths."""
    errors = [vendor_error(vendor, customer=f"cus_{i}") for i in range(count)]
    durations = []
    for index, error in enumerate(errors):
        path = PATHS[index % len(PATHS)]
        start = time.perf_counter()
        log_api_error(path, error)
        durations.append(time.perf_counter() - start)
    return durations


def close_client() -> float:
    start = time.perf_counter()
    sentry_sdk.get_client().close(timeout=0.3)
    sentry_sdk.Scope.get_global_scope().set_client(None)
    return time.perf_counter() - start


@pytest.mark.parametrize("target", ["refused", "hanging"])
def test_sentry_down_or_slow_never_slows_the_app(
    receiver: SentryReceiver,
    vendor: VendorStub,
    target: str,
    capsys: pytest.CaptureFixture[str],
    no_storms: None,
) -> None:
    # The same log calls against a healthy Sentry first: the cost of capturing at all.
    init_sentry(receiver.dsn, logging_integration=True)
    errorlens_sentry.setup()
    healthy = statistics.median(timed_log_calls(vendor))
    assert len(receiver.wait_for_events(30)) == 30
    close_client()

    # What would block is a connection to Sentry: record which thread opens one. The
    # log calls' thread must never be that thread (timings are no proof on a loaded
    # 2-core machine; the thread is).
    import socket
    import threading
    import urllib.parse

    hanging = SentryReceiver(answer=False) if target == "hanging" else None
    dsn = hanging.dsn if hanging is not None else closed_port_dsn()
    port = urllib.parse.urlsplit(dsn).port
    connecting: list[str] = []
    real_connect = socket.socket.connect

    def connect(sock: socket.socket, address: Any) -> None:
        if isinstance(address, tuple) and address[1:2] == (port,):
            connecting.append(threading.current_thread().name)
        return real_connect(sock, address)

    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(socket.socket, "connect", connect)
            init_sentry(dsn, logging_integration=True)
            errorlens_sentry.setup()
            durations = timed_log_calls(vendor)
            if hanging is not None:
                assert hanging.wait_for_connection(5)  # the transport reached it, and waits
            closing = close_client()
    finally:
        if hanging is not None:
            hanging.close()
    median, worst = statistics.median(durations), max(durations)
    with capsys.disabled():
        print(
            f"\nSentry {target}: log call median {median * 1000:.2f} ms "
            f"(healthy Sentry {healthy * 1000:.2f} ms), worst {worst * 1000:.1f} ms, "
            f"close {closing * 1000:.0f} ms with shutdown timeout 300 ms"
        )
    assert connecting, "the transport never tried Sentry"
    assert threading.current_thread().name not in connecting, connecting
    # Generous bounds beside it: waiting on the network would cost the transport's 30 s
    # timeout, and a close that ignored its 0.3 s shutdown timeout as much.
    assert worst < 10.0
    assert closing < 10.0


# --- undo, absence, hostility ----------------------------------------------------------


def test_teardown_stops_capture_and_enrichment(
    receiver: SentryReceiver, vendor: VendorStub
) -> None:
    init_sentry(receiver.dsn, logging_integration=True)
    errorlens_sentry.setup()
    errorlens_sentry.teardown()
    log_api_error("structlog", vendor_error(vendor))  # no sink: no event
    log_api_error("stdlib", vendor_error(vendor))  # Sentry's own event, not enriched
    (event,) = received(receiver, 1)
    assert "api_error" not in event.get("contexts", {})
    assert "fingerprint" not in event


def test_teardown_closes_a_client_errorlens_started(receiver: SentryReceiver) -> None:
    errorlens_sentry.setup(receiver.dsn, shutdown_timeout=1)
    assert sentry_sdk.get_client().is_active()
    errorlens_sentry.teardown()
    assert not sentry_sdk.get_client().is_active()


def test_setup_without_sentry_sdk_warns_and_returns(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record.getMessage())

    handler = Collect()
    internal_logger.addHandler(handler)
    monkeypatch.setitem(sys.modules, "sentry_sdk", None)
    try:
        errorlens_sentry.setup("http://public@127.0.0.1:9/1")
    finally:
        internal_logger.removeHandler(handler)
    assert any("errorlens[sentry]" in line for line in seen)


class HostileError(Exception):
    """An exception whose every reading raises."""

    @property
    def response(self) -> Any:
        raise RuntimeError("no response for you")

    def __str__(self) -> str:
        raise RuntimeError("no text either")


def test_a_hostile_exception_still_reaches_sentry(receiver: SentryReceiver) -> None:
    init_sentry(receiver.dsn, logging_integration=True)
    errorlens_sentry.setup()
    try:
        raise HostileError()
    except HostileError:
        logging.getLogger("shop.hostile").exception("odd failure")
    (event,) = received(receiver, 1)
    assert event["exception"]["values"][-1]["type"] == "HostileError"
    assert "api_error" not in event.get("contexts", {})


def test_enrich_event_never_raises_on_odd_shapes() -> None:
    odd: list[tuple[Any, Any]] = [
        ({}, {}),
        ({"type": "transaction"}, {"exc_info": "nonsense"}),
        ({"contexts": None, "tags": "x"}, {"errorlens_record": None, "log_record": 5}),
        ({"breadcrumbs": "x", "request": 3}, {"exc_info": (None, None, None)}),
    ]
    for event, hint in odd:
        out = errorlens_sentry.before_send(event, hint)
        assert out is event


def _event_with_frame(**frame: Any) -> dict[str, Any]:
    frame = {"module": "shop.billing", "function": "charge", **frame}
    return {"exception": {"values": [{"type": "E", "stacktrace": {"frames": [frame]}}]}}


def test_frame_source_is_scrubbed_in_every_event() -> None:
    # The same frames come with every event: one found clean before excuses nothing else.
    before = ["def charge(order):", "    # the vendor's client"]
    clean = "    client = Client(timeout=3)"
    leaking = f'    client = Client(api_key="{API_KEY}")'
    for _ in range(2):
        for line in (clean, leaking):
            event = errorlens_sentry.before_send(
                _event_with_frame(pre_context=list(before), context_line=line, post_context=[]),
                {},
            )
            assert event is not None
            (frame,) = event["exception"]["values"][0]["stacktrace"]["frames"]
            assert API_KEY not in json.dumps(event)
            assert frame["pre_context"] == before
        assert frame["context_line"] == '    client = Client(api_key="[REDACTED]")'
    after = [f"    token = 'Bearer {API_KEY}'", ["not", "text"]]
    event = errorlens_sentry.before_send(_event_with_frame(post_context=after), {})
    assert event is not None
    assert API_KEY not in json.dumps(event)


def _sent(line: str, crumb: dict[str, Any]) -> str:
    """The event before_send gives back for a frame on ``line`` and ``crumb``, as JSON."""
    event = _event_with_frame(pre_context=[], context_line=line, post_context=[])
    event["breadcrumbs"] = {"values": [crumb]}
    return json.dumps(errorlens_sentry.before_send(event, {}))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX only")
def test_a_pattern_added_later_applies_to_frames_and_breadcrumbs_cleaned_before() -> None:
    # The same frames come with every event and the scope hands the same breadcrumb
    # object to each: what was found clean before a pattern was added is judged again.
    def check() -> list[str]:
        crumb = {"message": "moved funds from acct_ss12345678", "category": "billing"}
        first = _sent("    move(acct_ss12345678)", crumb)
        errorlens.add_redaction_pattern(r"acct_ss[0-9]{8}")
        return [first, _sent("    move(acct_ss12345678)", crumb)]

    first, after = in_forked_child(check)  # the pattern stays in the child
    assert first.count("acct_ss12345678") == 2
    assert "acct_ss12345678" not in after
    assert after.count("[REDACTED]") == 2


def _cleaned_remembered() -> list[int]:
    return [
        sentry_scrub._redacted_source.cache_info().currsize,
        sentry_scrub._cleaned_breadcrumb.cache_info().currsize,
    ]


def _clean_one_event() -> None:
    _sent("    charge(order)", {"message": "charging the card", "category": "billing"})
    assert min(_cleaned_remembered()) > 0


def test_unconfigure_forgets_the_frames_and_breadcrumbs_cleaned() -> None:
    _clean_one_event()
    errorlens.unconfigure()
    assert _cleaned_remembered() == [0, 0]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX only")
def test_a_forked_child_forgets_the_frames_and_breadcrumbs_cleaned() -> None:
    _clean_one_event()
    assert in_forked_child(_cleaned_remembered) == [0, 0]
    assert min(_cleaned_remembered()) > 0  # the parent keeps its own


def test_every_enriched_field_comes_from_the_record(receiver: SentryReceiver) -> None:
    init_sentry(receiver.dsn, logging_integration=False)
    errorlens_sentry.setup()
    record = errorlens.from_http(
        429,
        {"x-request-id": "req_rl_9", "Retry-After": "3", "openai-organization": "org"},
        b'{"error": {"type": "requests", "code": "rate_limit_exceeded", "message": "Slow"}}',
        url="https://api.openai.com/v1/chat/completions?api_key=" + QUERY_SECRET,
        method="POST",
    )
    emit(ErrorEvent(record, None, logger_name="llm"))
    (event,) = received(receiver, 1)
    context = event["contexts"]["api_error"]
    expected = record.as_dict()
    expected["error_type"] = expected.pop("type")
    assert context == expected
    assert QUERY_SECRET not in receiver.raw_text()


# --- issue #10: every event errorlens's setup sends is scrubbed, API error or not -------


def test_an_event_without_an_api_error_is_scrubbed_with_its_breadcrumbs(
    receiver: SentryReceiver,
) -> None:
    errorlens_sentry.setup(
        receiver.dsn,
        default_integrations=False,
        integrations=sentry_integrations(logging_integration=True),
        shutdown_timeout=1,
    )
    logger = logging.getLogger("shop.db")
    logger.setLevel(logging.INFO)
    logger.info("connecting with Bearer CrumbToken0123456 to ?api_key=CrumbQuery998877")
    try:
        raise requests.ConnectionError(
            "Max retries exceeded with url: https://svc:Pass@word9988@db.example.com/x"
        )
    except requests.ConnectionError:
        logger.exception("database unreachable")
    (event,) = received(receiver, 1)
    assert "api_error" not in event.get("contexts", {})
    text = receiver.raw_text()
    for secret in ("CrumbToken0123456", "CrumbQuery998877", "Pass@word9988", "word9988"):
        assert secret not in text, text[max(0, text.find(secret) - 300) : text.find(secret) + 50]
    crumbs = event["breadcrumbs"]["values"]
    assert any("connecting with Bearer [REDACTED]" in str(c.get("message")) for c in crumbs)


# --- the integration, as Sentry users add one ------------------------------------------


def test_errorlens_integration_in_sentry_sdk_init(
    receiver: SentryReceiver, vendor: VendorStub
) -> None:
    from errorlens.sentry import ErrorlensIntegration

    sentry_sdk.init(
        dsn=receiver.dsn,
        shutdown_timeout=1,
        auto_enabling_integrations=False,
        integrations=[ErrorlensIntegration()],
    )
    client = sentry_sdk.get_client()
    assert client.get_integration(ErrorlensIntegration) is not None
    assert client.get_integration(LoggingIntegration) is not None  # Sentry's default
    logger = logging.getLogger("shop.payments")
    try:
        call_vendor(vendor, code="rate_limit")
    except requests.HTTPError:
        logger.warning("retrying charge", exc_info=True)  # a breadcrumb (Sentry's)
    log_api_error("stdlib", vendor_error(vendor))
    (event,) = received(receiver, 1)
    assert event["tags"]["api_error.code"] == "card_declined"
    assert event["contexts"]["api_error"]["request_id"] == "req_card_declined_0"
    assert "api_error" not in event.get("extra", {})
    (crumb,) = [c for c in event["breadcrumbs"]["values"] if c.get("message") == "retrying charge"]
    assert crumb["data"]["api_error"] == "stripe 402 rate_limit request_id=req_rate_limit_0"
    for secret in SECRETS:
        assert secret not in receiver.raw_text()


def test_pairing_uses_sentrys_public_api_only() -> None:
    """No thread-local handover, no time window, none of sentry-sdk's private names."""
    import pathlib

    package = pathlib.Path(errorlens_sentry.__file__).parent
    source = "\n".join(path.read_text() for path in package.glob("*.py"))
    for private in ("_IGNORED_LOGGERS", "_breadcrumb_handler", "integration._handler"):
        assert private not in source
    assert "threading.local" not in source
    assert not (package / "pairing.py").exists()


# --- policies: the levels decide what Sentry gets ---------------------------------------


@pytest.fixture
def policy() -> Iterator[Any]:
    """Sets the process's policy as attach() does; the default policy afterwards."""
    from errorlens._internal.policy import set_current

    def use(**kwargs: Any) -> None:
        errorlens_stdlib.attach("shop.payments", **kwargs)

    yield use
    set_current(None)


def _crumbs(event: dict[str, Any], message: str) -> list[dict[str, Any]]:
    """Breadcrumbs of the line logged with ``message`` (a rendered JSON line's event)."""
    return [
        c
        for c in event["breadcrumbs"]["values"]
        if c.get("message") == message or f'"event": "{message}"' in str(c.get("message"))
    ]


@pytest.mark.parametrize("logging_integration", [False, True])
@pytest.mark.parametrize("path", PATHS)
def test_a_lowered_api_error_is_a_breadcrumb_not_an_event(
    receiver: SentryReceiver, vendor: VendorStub, path: str, logging_integration: bool, policy: Any
) -> None:
    init_sentry(receiver.dsn, logging_integration=logging_integration)
    errorlens_sentry.setup()
    policy(levels={"stripe:card_declined": "info"})
    log_api_error(path, vendor_error(vendor))  # logged at ERROR: a declined card
    assert received(receiver, 0) == []

    sentry_sdk.capture_message("checkout done")
    (event,) = received(receiver, 1)
    crumbs = _crumbs(event, "charge failed")
    assert len(crumbs) == 1
    # Sentry's logging integration makes its breadcrumb at the stdlib record's level:
    # a structlog line rendered to text keeps its method's level there.
    native = logging_integration and path == "structlog-stdlib"
    assert crumbs[0]["level"] == ("error" if native else "info")


@pytest.mark.parametrize("logging_integration", [False, True])
@pytest.mark.parametrize("path", PATHS)
def test_a_dropped_api_error_sends_nothing(
    receiver: SentryReceiver, vendor: VendorStub, path: str, logging_integration: bool, policy: Any
) -> None:
    init_sentry(receiver.dsn, logging_integration=logging_integration)
    errorlens_sentry.setup()
    policy(levels={"category:payment": "drop"})
    log_api_error(path, vendor_error(vendor))
    sentry_sdk.capture_message("checkout done")
    (event,) = received(receiver, 1)
    assert _crumbs(event, "charge failed") == []
    assert "api_error" not in event.get("contexts", {})


@pytest.mark.parametrize("logging_integration", [False, True])
def test_sentry_level_decides_events_and_breadcrumbs(
    receiver: SentryReceiver, vendor: VendorStub, logging_integration: bool, policy: Any
) -> None:
    init_sentry(receiver.dsn, logging_integration=logging_integration)
    errorlens_sentry.setup()
    policy(sentry_level="critical")
    log_api_error("stdlib", vendor_error(vendor))  # ERROR, below the Sentry level
    assert received(receiver, 0) == []
    policy(levels={"stripe": "warning"}, sentry_level="warning")
    log_api_error("stdlib", vendor_error(vendor, customer="cus_2"))  # WARNING: an event
    (event,) = received(receiver, 1)
    assert event["level"] == "warning"
    assert event["tags"]["api_error.code"] == "card_declined"


@pytest.mark.parametrize("logging_integration", [False, True])
def test_a_line_the_application_drops_sends_no_event(
    receiver: SentryReceiver, vendor: VendorStub, logging_integration: bool
) -> None:
    init_sentry(receiver.dsn, logging_integration=logging_integration)
    errorlens_sentry.setup()

    def drop_declines(logger: Any, method: str, event_dict: Any) -> Any:
        raise structlog.DropEvent

    dropping = structlog.wrap_logger(
        structlog.PrintLogger(io.StringIO()),
        processors=[drop_declines, *structlog_chain()],
        wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG),
    )
    filtered = logging.getLogger("shop.refunds")
    filtered.addFilter(lambda record: False)
    try:
        for log in (dropping, filtered):
            try:
                raise vendor_error(vendor)
            except requests.HTTPError:
                log.exception("charge failed")
    finally:
        filtered.filters.clear()
    assert received(receiver, 0) == []


def test_retried_then_succeeded_sends_no_error_event(receiver: SentryReceiver) -> None:
    tenacity = require("tenacity")
    from errorlens import retry

    init_sentry(receiver.dsn, logging_integration=True)
    errorlens_sentry.setup()
    stub = VendorStub(
        429,
        {"Content-Type": "application/json", "Retry-After": "0"},
        json.dumps({"error": {"code": "rate_limit_exceeded", "message": "Slow down"}}).encode(),
    )
    calls: list[int] = []

    def recover(seconds: float) -> None:
        calls.append(1)
        stub.status = 200  # the vendor recovers before the next attempt

    try:
        retrying = tenacity.Retrying(
            retry=retry.retry_if_retryable,
            before_sleep=retry.log_before_sleep(logging.getLogger("shop.payments")),
            after=retry.log_after(logging.getLogger("shop.payments")),
            stop=tenacity.stop_after_attempt(3),
            sleep=recover,
        )

        def call() -> requests.Response:
            response = requests.get(stub.url + "/v1/x", timeout=5)
            response.raise_for_status()
            return response

        assert retrying(call).status_code == 200
    finally:
        stub.close()
    assert calls == [1]
    sentry_sdk.capture_message("request done")
    (event,) = received(receiver, 1)  # only the message: no error event for the retry
    levels = {
        c["level"] for c in event["breadcrumbs"]["values"] if "api_error" in c.get("data", {})
    }
    assert levels == {"warning"}
