"""The policy: which level an API error gets, the most specific key first."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog

import errorlens
from conftest import standalone_structlog, stripe_decline
from errorlens._internal.policy import DROP, Policy, current, parse_level

# Stripe's documented decline: 402, code card_declined (a payment error).
DECLINE = errorlens.from_http(
    402,
    {"Request-Id": "req_1"},
    b'{"error": {"type": "card_error", "code": "card_declined", "message": "Declined."}}',
    url="https://api.stripe.com/v1/charges",
)


@pytest.fixture(autouse=True)
def no_policy_left() -> Iterator[None]:
    yield
    errorlens.unconfigure()


def test_the_most_specific_key_wins() -> None:
    assert (DECLINE.vendor, DECLINE.code, DECLINE.status) == ("stripe", "card_declined", 402)
    assert DECLINE.category == "payment"
    levels: dict[str, int | str | None] = {
        "stripe:card_declined": "info",
        "status:402": "debug",
        "category:payment": "warning",
        "stripe": "critical",
    }
    expected = [logging.INFO, logging.DEBUG, logging.WARNING, logging.CRITICAL, logging.ERROR]
    for want in expected:
        assert Policy(levels).level_for(DECLINE, logging.ERROR) == want
        if levels:
            levels.pop(next(iter(levels)))


def test_keys_that_do_not_match_leave_the_level_as_logged() -> None:
    policy = Policy({"openai": "drop", "stripe:rate_limit": "info", "status:429": "debug"})
    assert policy.level_for(DECLINE, logging.WARNING) == logging.WARNING
    assert Policy().level_for(DECLINE, logging.ERROR) == logging.ERROR


def test_levels_by_name_number_or_drop() -> None:
    assert parse_level("Warning") == logging.WARNING
    assert parse_level(25) == 25
    assert parse_level("drop") == DROP
    assert parse_level(None) == DROP
    with pytest.raises(ValueError, match="unknown level"):
        parse_level("loud")


def test_configure_sets_and_unconfigure_clears_the_policy() -> None:
    out = io.StringIO()
    errorlens.configure(json=True, stream=out, levels={"stripe": "info"}, sentry_level="critical")
    assert current().level_for(DECLINE, logging.ERROR) == logging.INFO
    assert current().sentry_level == logging.CRITICAL
    errorlens.configure(json=True, stream=out)  # again, without: the default policy
    assert current().level_for(DECLINE, logging.ERROR) == logging.ERROR
    errorlens.unconfigure()
    assert current().empty


def test_configure_writes_the_line_at_the_policys_level() -> None:
    out = io.StringIO()
    errorlens.configure(json=True, stream=out, levels={"stripe:card_declined": "info"})
    log = structlog.get_logger("shop")
    try:
        raise stripe_decline()
    except Exception:
        log.exception("charge failed")
        logging.getLogger("shop.stdlib").exception("charge failed")
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["level"] for line in lines] == ["info", "info"]
    assert all(line["api_error"]["category"] == "payment" for line in lines)


def test_a_dropped_line_is_not_written_by_any_path() -> None:
    out = io.StringIO()
    errorlens.configure(json=True, stream=out, levels={"category:payment": "drop"})
    try:
        raise stripe_decline()
    except Exception:
        structlog.get_logger("shop").exception("charge failed")
        logging.getLogger("shop.stdlib").exception("charge failed")
    structlog.get_logger("shop").info("still here")
    assert [json.loads(line)["event"] for line in out.getvalue().splitlines()] == ["still here"]


def test_structlog_processor_applies_the_level_and_drops() -> None:
    errorlens.stdlib.attach("unused", levels={"stripe": "warning", "status:402": "drop"})
    out = io.StringIO()
    log = standalone_structlog(out)
    try:
        raise stripe_decline()
    except Exception:
        log.exception("charge failed")
    assert out.getvalue() == ""  # status:402 beats the vendor
    errorlens.stdlib.attach("unused", levels={"stripe": "warning"})
    try:
        raise stripe_decline()
    except Exception:
        log.exception("charge failed")
    assert json.loads(out.getvalue())["level"] == "warning"
    errorlens.stdlib.detach("unused")


def test_a_malformed_key_is_refused() -> None:
    with pytest.raises(ValueError):
        Policy({"status:four-oh-four": "info"})
    with pytest.raises(ValueError, match="unknown level"):
        Policy({"stripe": "loud"})
