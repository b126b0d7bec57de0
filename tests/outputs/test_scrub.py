"""The one scrubber: patterns it must know, and how it fails (closed)."""

from __future__ import annotations

import io
import json
import logging
import os
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from hypothesis import given, settings
from hypothesis import strategies as st

import errorlens
from conftest import in_forked_child, own_logger
from errorlens import processors
from errorlens._internal import scrub
from errorlens._internal.config import configure, unconfigure
from errorlens._internal.events import format_traceback
from errorlens._internal.scrub import (
    REDACTED,
    might_hold_secret,
    redact_repeated,
    redact_structure,
    redact_text,
    redact_url,
)
from errorlens._internal.state import STATE


@pytest.mark.parametrize(
    ("text", "secret", "kept"),
    [
        ("GET https://tok3nVALUE99@api.example.com/v1", "tok3nVALUE99", "@api.example.com/v1"),
        ("url https://svc:p@ss@word99@db.example.com/x", "ss@word99", "@db.example.com/x"),
        ("GET /v1/x?api%5Fkey=PctEncodedKey77&page=2", "PctEncodedKey77", "page=2"),
        (
            '    client = Client(api_key="QuotedSourceKey55", timeout=3)',
            "QuotedSourceKey55",
            'Client(api_key="[REDACTED]", timeout=3)',
        ),
        ("    connect(password='SingleQuoted66')", "SingleQuoted66", "connect(password='"),
        ('body {"password": "JsonPassword88", "user": "bob"}', "JsonPassword88", '"user": "bob"'),
        ("repr {'client_secret': 'ReprSecret33'}", "ReprSecret33", "repr {'client_secret': '"),
        ("PRIVATE-TOKEN: glpat_like_value_1234\nnext", "glpat_like_value_1234", "\nnext"),
        ("Private-Token: gitlab0987654321", "gitlab0987654321", "Private-Token: "),
    ],
)
def test_patterns_missed_before(text: str, secret: str, kept: str) -> None:
    cleaned = redact_text(text)
    assert secret not in cleaned
    assert REDACTED in cleaned
    assert kept in cleaned


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        # Names split by separators, in case or percent-encoding, fold to secret names.
        ("connect(pass_word='SplitName4411', host=db)", "SplitName4411"),
        ("GET /v1?To-Ken=DashedName5522&page=2", "DashedName5522"),
        ("login p%61ssword=EncodedName6633 ok", "EncodedName6633"),
        ('{"Client.Secret": "DottedKey7744", "n": 1}', "DottedKey7744"),
        ("{'X_API_KEY': 'UpperKey8855'}", "UpperKey8855"),
    ],
)
def test_keyed_pairs_found_however_the_name_is_written(text: str, secret: str) -> None:
    assert secret not in redact_text(text)
    assert might_hold_secret(text)


@pytest.mark.parametrize(
    "text",
    [
        "Bench(otel=<Otel object at 0x7f>, timing=Timing(round_s=0.25, repeat=11))",
        '{"user": "bob", "count": 3, "status": "ok"}',
    ],
)
def test_pairs_without_a_secret_name_are_left_alone(text: str) -> None:
    assert redact_text(text) == text


def test_traceback_source_line_stays_readable() -> None:
    line = '    resp = session.post(url, headers={"Authorization": auth}, api_key="K3yK3yK3y")'
    assert redact_text(line) == (
        '    resp = session.post(url, headers={"Authorization": auth}, api_key="[REDACTED]")'
    )


@pytest.mark.parametrize(
    "text",
    [
        "user bob@example.com signed in",
        '{"user": "bob", "count": 3}',
        "call f(x=1, y=2)",
        "see https://example.com/a@b for details",
        "token: expired",
        "password: must be at least 8 characters",
        "Traceback (most recent call last):",
        "KeyError: 'api_key'",
        "see https://api.example.com:8443/keys at 12:30:45",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert redact_text(text) == text


def test_redact_url_with_at_in_password() -> None:
    assert "ss@word" not in redact_url("https://svc:p@ss@word@db.example.com/x")


class Unjudgeable:
    """A numpy-like value: comparing, truth-testing or printing it raises."""

    def __eq__(self, other: object) -> bool:
        raise ValueError("The truth value of an array is ambiguous")

    __hash__ = object.__hash__

    def __bool__(self) -> bool:
        raise ValueError("The truth value of an array is ambiguous")

    def __str__(self) -> str:
        raise ValueError("no str")

    def __repr__(self) -> str:
        raise ValueError("no repr")


def test_a_value_it_cannot_judge_under_a_secret_name_is_redacted() -> None:
    cleaned = redact_structure({"password": Unjudgeable(), "n": 1}, [])
    assert cleaned == {"password": REDACTED, "n": 1}


def test_an_unprintable_value_is_not_kept_raw() -> None:
    value = Unjudgeable()
    cleaned = redact_structure({"payload": value}, [])
    assert cleaned["payload"] is not value
    assert isinstance(cleaned["payload"], str)


def test_the_walk_is_bounded_on_wide_cycles() -> None:
    node: dict[str, Any] = {}
    for index in range(50):
        node[f"k{index}"] = node
    cleaned = redact_structure(node, [])
    assert json.dumps(cleaned, default=str)  # finished, finite


@pytest.fixture
def json_out() -> Iterator[io.StringIO]:
    out = io.StringIO()
    configure(json=True, stream=out, cache_logger_on_first_use=False)
    yield out
    unconfigure()


def test_a_raising_redaction_step_never_prints_the_line_raw(
    json_out: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An internal failure in redaction is a bug (it raises under the suite): here it is
    # made on purpose, and the line must still leave without the token.
    monkeypatch.delenv("ERRORLENS_RAISE_INTERNAL", raising=False)

    def broken(value: Any, secrets: list[str]) -> Any:
        raise RuntimeError("redaction bug")

    monkeypatch.setattr(processors, "redact_structure", broken)
    structlog.get_logger("app").info(
        "calling with sk-live0123456789abcdefgh", password=Unjudgeable()
    )
    text = json_out.getvalue()
    assert text, "the line was dropped whole"
    assert "sk-live0123456789abcdefgh" not in text


def test_numpy_like_value_under_a_secret_key_keeps_the_line_redacted(
    json_out: io.StringIO,
) -> None:
    structlog.get_logger("app").info(
        "calling with sk-live0123456789abcdefgh", password=Unjudgeable()
    )
    line = json.loads(json_out.getvalue())
    assert line["password"] == REDACTED
    assert "sk-live0123456789abcdefgh" not in line["event"]


def test_stdlib_line_with_an_unjudgeable_extra_is_redacted(json_out: io.StringIO) -> None:
    logging.getLogger("app").warning(
        "token=PlainTokenValue12 rejected", extra={"api_key": Unjudgeable()}
    )
    text = json_out.getvalue()
    assert "PlainTokenValue12" not in text
    assert json.loads(text)["api_key"] == REDACTED


# -- what the scrubber remembers: judged anew with a new pattern, forgotten by reset ------

needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX only")


@pytest.fixture
def attached() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A non-propagating logger that attach() touched, writing to a string."""
    with own_logger("shop.remembered") as (logger, out):
        errorlens.attach(logger)
        yield logger, out


# Each pattern is added in a forked child: no other test meets it.
@needs_fork
def test_a_pattern_added_later_applies_to_text_judged_clean_before() -> None:
    text = "account acct_qq12345678 closed"

    def check() -> list[object]:
        before = redact_text(text)  # judged clean (by the patterns of the time)
        errorlens.add_redaction_pattern(r"acct_qq[0-9]{8}")
        return [before, redact_text(text), might_hold_secret(text)]

    assert in_forked_child(check) == [text, "account [REDACTED] closed", True]


@needs_fork
def test_a_pattern_added_later_applies_to_texts_remembered_before() -> None:
    text = "frame holds acct_rr12345678 here"

    def check() -> list[str]:
        before = redact_repeated(text)
        errorlens.add_redaction_pattern(r"acct_rr[0-9]{8}")
        return [before, redact_repeated(text)]

    assert in_forked_child(check) == [text, "frame holds [REDACTED] here"]


@needs_fork
def test_a_pattern_added_later_applies_to_a_line_attach_judged_clean_before(
    attached: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, out = attached

    def check() -> list[str]:
        logger.info("moved acct_tt12345678", extra={"note": "acct_tt12345678"})
        errorlens.add_redaction_pattern(r"acct_tt[0-9]{8}")
        logger.info("moved acct_tt12345678", extra={"note": "acct_tt12345678"})
        return out.getvalue().splitlines()

    assert in_forked_child(check) == ["moved acct_tt12345678", "moved [REDACTED]"]


def _scrub_remembered() -> list[int]:
    """How many texts judged, texts redacted and key names judged plain are remembered."""
    return [
        scrub._judged.cache_info().currsize,
        scrub._redact_remembered.cache_info().currsize,
        len(STATE.plain_keys),
    ]


def _judge_one_line(logger: logging.Logger) -> None:
    logger.info("order placed", extra={"order_ref": "o_1"})
    redact_repeated("    charge(order)")
    assert "order_ref" in STATE.plain_keys  # where structlog's lines keep theirs
    assert min(_scrub_remembered()) > 0


def test_unconfigure_forgets_what_the_scrubber_remembered(
    attached: tuple[logging.Logger, io.StringIO],
) -> None:
    _judge_one_line(attached[0])
    errorlens.unconfigure()
    assert _scrub_remembered() == [0, 0, 0]


@needs_fork
def test_a_forked_child_forgets_what_the_scrubber_remembered(
    attached: tuple[logging.Logger, io.StringIO],
) -> None:
    _judge_one_line(attached[0])
    assert in_forked_child(_scrub_remembered) == [0, 0, 0]
    assert min(_scrub_remembered()) > 0  # the parent keeps its own


def _leaky_call(token: str) -> None:
    client_secret = "FrameSecret4242"  # noqa: F841 - on the traceback's source line
    raise ValueError(f"sent Authorization: Bearer {token} and api_key={token}")


def _chained(token: str) -> ValueError:
    try:
        try:
            _leaky_call(token)
        except ValueError as inner:
            raise ValueError(f"retry failed: https://bot:{token}@api.example.com/v1") from inner
    except ValueError as outer:
        return outer
    raise AssertionError("unreachable")


@pytest.mark.parametrize("token", ["tokFirst0123456789", "tokSecond987654321"])
def test_a_traceback_is_redacted_as_its_whole_text_would_be(token: str) -> None:
    # The frames repeat between the two cases; each traceback reads as if redacted whole.
    import traceback

    error = _chained(token)
    whole = "".join(traceback.format_exception(error)).rstrip("\n")
    text = format_traceback((type(error), error, error.__traceback__))
    assert text == redact_text(whole)
    assert token not in text
    assert "FrameSecret4242" not in text
    assert "The above exception was the direct cause" in text


# -- the trigger search never skips a pattern that would redact ----------------------

# Pieces that make up credentials and the text around them; any mix of them is a text.
_PIECES = [
    "password",
    "Passwd",
    "api_key",
    "X-Api-Key",
    "client-secret",
    "token",
    "sig",
    "session_id",
    "Authorization",
    "Cookie",
    "code_verifier",
    "key",
    "auth",
    "%5F",
    "=",
    "==",
    "!=",
    ":",
    "://",
    "::",
    '"',
    "'",
    '\\"',
    " ",
    "\t",
    "\n",
    ",",
    ";",
    "(",
    ")",
    "{",
    "}",
    "@",
    "?",
    "&",
    "#",
    "sk-proj-",
    "sk_live_",
    "Bearer ",
    "Basic ",
    "ghp_",
    "xoxb-",
    "AKIA",
    "AIza",
    "eyJ",
    ".",
    "https://",
    "user:pw@",
    "example.com/v1",
    "abcdefgh",
    "ABCDEFGHIJKLMNOP",
    "0123456789",
    "hunter2",
    "expired",
    "x",
]


def _every_pattern(text: str) -> str:
    """redact_text's reference: every pattern run, whatever the triggers say."""
    for pattern, _, replace in scrub._compiled:
        text = pattern.sub(replace, text)
    if "://" in text and "?" in text:
        text = scrub._URL_IN_TEXT.sub(scrub._redact_query_in_match, text)
    return text


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=24).map("".join))
def test_the_trigger_search_never_skips_a_pattern_that_would_redact(text: str) -> None:
    assert redact_text(text) == _every_pattern(text)
    if not might_hold_secret(text):
        assert _every_pattern(text) == text
