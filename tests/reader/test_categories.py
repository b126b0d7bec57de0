"""Categories: the generic rules on the whole corpus, the catalogue, register_codes.

The expected category of each corpus case is in data/categories.json, written from the
meaning the case's source page gives, not from what errorlens returns.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import errorlens
from errorlens._internal import categories
from errorlens._internal.categories import CATEGORIES, generic_category, reads_message

CORPUS = Path(__file__).parent.parent / "corpus"
TABLE = json.loads((Path(__file__).parent / "data" / "categories.json").read_text())["categories"]
CATALOGUE = json.loads(
    (Path(categories.__file__).parent / "codes.json").read_text(encoding="utf-8")
)["vendors"]


def _record(name: str) -> errorlens.ErrorRecord:
    case = json.loads((CORPUS / f"{name}.json").read_text())
    headers = case["headers"]
    if isinstance(headers, list):
        headers = [tuple(pair) for pair in headers]
    return errorlens.from_http(
        case["status"],
        headers,
        case["body"].encode("utf-8"),
        url=case.get("url"),
        method=case.get("method"),
    )


def _generic(record: errorlens.ErrorRecord) -> str:
    message = record.message if reads_message(record.status) else None
    return generic_category(record.status, record.code, record.type, record.retryable, message)


def _documented_generic(name: str) -> str:
    """The generic rules on the facts the case's source documents (its ``expect``):
    the category rules measured apart from how well the reader reads the body."""
    case = json.loads((CORPUS / f"{name}.json").read_text())
    expect = case["expect"]
    code = expect["code"] if "code" in expect else expect["code_any_of"][0]
    status = case["status"]
    message = expect.get("message_contains") if reads_message(status) else None
    return generic_category(
        status,
        None if code is None else str(code),
        expect.get("type"),
        expect["retryable"],
        message,
    )


def test_table_covers_the_corpus() -> None:
    names = {p.stem for p in CORPUS.glob("*.json")}
    assert set(TABLE) == names
    assert set(TABLE.values()) <= set(CATEGORIES)


def test_generic_rules_alone_score_at_least_95_percent() -> None:
    misses = [name for name in TABLE if _documented_generic(name) != TABLE[name]]
    score = 1 - len(misses) / len(TABLE)
    print(f"generic rules: {score:.1%} of {len(TABLE)} corpus cases; misses: {misses}")
    assert score >= 0.95, misses


def test_end_to_end_score() -> None:
    # From the bytes: what the reader reads (some corpus cases are not read right yet),
    # then the category, with the catalogue. Reported; a floor guards regressions.
    misses = [name for name in TABLE if _record(name).category != TABLE[name]]
    score = 1 - len(misses) / len(TABLE)
    print(f"end to end: {score:.1%} of {len(TABLE)} corpus cases; misses: {misses}")
    assert score >= 0.92, misses


def test_the_catalogue_only_refines() -> None:
    # With the catalogue, never worse than without, and different only where it has
    # an entry for the vendor's code.
    generic_right = with_catalogue_right = 0
    for name, want in TABLE.items():
        record = _record(name)
        generic = _generic(record)
        if categories.code_info(record.vendor, record.code) is None:
            assert record.category == generic, name
        generic_right += generic == want
        with_catalogue_right += record.category == want
    print(f"with the catalogue: {with_catalogue_right}/{len(TABLE)}")
    assert with_catalogue_right > generic_right


def _unknown_to_catalogue(name: str) -> bool:
    record = _record(name)
    return record.vendor not in CATALOGUE


# Real cases per category, from the corpus; each list holds vendors the catalogue
# has never heard of, so the generic rules alone must get them right.
PER_CATEGORY = {
    "auth": [
        "airtable__authentication_required_401",
        "cohere__invalid_api_token_401",
        "zoom__invalid_access_token_124",
        "algolia__invalid_credentials_403",
        "keycloak__token_invalid_grant_401",
    ],
    "permission": [
        "vault__permission_denied_403",
        "vercel__forbidden_403",
        "datadog__forbidden_403_errors_list",
        "googlemaps__geocode_api_not_activated_200",
    ],
    "not_found": [
        "dockerregistry__manifest_unknown_404",
        "mistral__unknown_model_400",
        "dropbox__endpoint_error_409_tagged_union",
        "jsonrpc__method_not_found",
        "azure__storage_blob_not_found",
    ],
    "validation": [
        "discord__invalid_form_body_50035",
        "fastapi__body_validation_422",
        "mandrill__validation_error_500",
        "soap__soap11_client_fault_asmx",
        "postmark__invalid_from_address_300_422",
    ],
    "conflict": [
        "elasticsearch__resource_already_exists_400",
        "gitlab__name_taken_field_map",
        "gocardless__invalid_state_mandate_not_inactive_422",
        "linode__linode_busy_400",
        "keycloak__admin_user_exists_409",
    ],
    "payment": ["chargebee__payment_processing_failed_400", "stripe__card_declined_402"],
    "quota": [
        "openrouter__insufficient_credits_402",
        "rfc9457__out_of_credit",
        "vonage__messages_low_balance_402",
    ],
    "rate_limit": [
        "aws__s3_slow_down_503",
        "graphql__shopify_throttled_200",
        "stackexchange__throttle_violation_502_in_body",
        "google__legacy_calendar_user_rate_limit_403",
        "kong__rate_limit_exceeded_429",
    ],
    "timeout": [
        "nginx__gateway_timeout_504",
        "vonage__video_stop_broadcast_timeout_408",
        "soap__soap12_sender_subcode",
    ],
    "unavailable": [
        "vault__sealed_503",
        "huggingface__model_currently_loading_503",
        "xero__offline_maintenance_503_plain_text",
        "envoy__upstream_connect_error_503",
    ],
    "server": [
        "soap__soap11_server_fault_asmx",
        "gocardless__internal_error_500",
        "asana__server_error_500_phrase",
    ],
}


def _per_category() -> Iterator[Any]:
    for category, names in PER_CATEGORY.items():
        yield pytest.param(category, names, id=category)


@pytest.mark.parametrize(("category", "names"), list(_per_category()))
def test_real_cases_per_category(category: str, names: list[str]) -> None:
    assert all(TABLE[name] == category for name in names)  # the table agrees
    assert any(_unknown_to_catalogue(name) for name in names)
    got = {name: _record(name).category for name in names}
    assert got == dict.fromkeys(names, category)


def test_unknown_when_nothing_says() -> None:
    assert errorlens.ErrorRecord().category == "unknown"
    assert (
        errorlens.from_http(200, {}, b'{"error": {"message": "Something happened"}}').category
        == "unknown"
    )


def test_category_is_in_every_output_mapping() -> None:
    record = errorlens.from_http(429, {"retry-after": "2"}, b"")
    assert record.category == "rate_limit"
    assert record.as_dict()["category"] == "rate_limit"


def test_catalogue_has_15_vendors_each_with_its_source() -> None:
    assert len(CATALOGUE) >= 15
    for vendor, entry in CATALOGUE.items():
        assert entry["source"].startswith("https://"), vendor
        assert entry["codes"], vendor
        for code, info in entry["codes"].items():
            assert info["category"] in CATEGORIES, (vendor, code)
            assert info["meaning"] and info["doc"].startswith("https://"), (vendor, code)
            assert info["retry"] in (True, False, None), (vendor, code)


def test_catalogue_refines_a_misleading_code() -> None:
    # Salesforce's REQUEST_LIMIT_EXCEEDED is the org's daily API allowance (its error
    # codes page), sent as 403: by its words alone it would be a permission error.
    record = errorlens.from_http(
        403,
        {},
        b'[{"errorCode": "REQUEST_LIMIT_EXCEEDED", "message": "TotalRequests Limit exceeded."}]',
        url="https://acme.my.salesforce.com/services/data/v60.0/sobjects",
    )
    assert record.vendor == "salesforce"
    assert _generic(record) != "quota"
    assert record.category == "quota"
    info = categories.code_info("salesforce", "REQUEST_LIMIT_EXCEEDED")
    assert info is not None and info.doc_url and info.meaning


def test_register_codes_and_undo() -> None:
    body = b'{"error": {"code": "LG7741", "message": "Try later"}}'
    url = "https://api.inhouse-ledger.io/v1/postings"
    before = errorlens.from_http(400, {}, body, url=url)
    assert before.category == "validation"
    errorlens.register_codes(
        before.vendor or "", {"LG7741": {"category": "conflict", "meaning": "held"}}
    )
    try:
        assert errorlens.from_http(400, {}, body, url=url).category == "conflict"
        errorlens.register_codes(before.vendor or "", {"LG7741": "server"})
        assert errorlens.from_http(400, {}, body, url=url).category == "server"
    finally:
        errorlens.unregister_codes(before.vendor or "")
    assert errorlens.from_http(400, {}, body, url=url).category == "validation"


def test_register_codes_refuses_an_unknown_category() -> None:
    with pytest.raises(ValueError, match="unknown category"):
        errorlens.register_codes("inhouse", {"X": "catastrophe"})


@pytest.mark.parametrize(
    "message",
    [
        "Request failed. Pay all past due invoices to lift restrictions on your account.",
        "Your account has unpaid invoices.",
        "Your subscription payment is overdue.",
    ],
)
def test_an_account_held_for_its_invoices_is_out_of_quota(message: str) -> None:
    # A 402 whose code only repeats the status: the words say the account, not a card.
    assert generic_category(402, "PAYMENT_REQUIRED", None, False, message) == "quota"
    assert generic_category(402, "PAYMENT_REQUIRED", None, False, "Your card was declined.") == (
        "payment"
    )


@pytest.mark.parametrize(
    ("status", "code", "message", "category"),
    [
        (400, "MANDATORY_NOT_FOUND", "required field not found", "validation"),
        (400, "REQUIRED_FIELD_NOT_FOUND", None, "validation"),
        (404, "NOT_FOUND", "record not found", "not_found"),
        (403, None, "Subscription has expired.", "quota"),
        (401, None, "Token has expired.", "auth"),
    ],
)
def test_a_missing_required_input_and_an_expired_plan(
    status: int, code: str | None, message: str | None, category: str
) -> None:
    assert generic_category(status, code, None, False, message) == category
