"""The reader's caches: functools.lru_cache, forgotten with the rest of errorlens's state.

Each cache holds what a pure reading of a key, a header name, a host or a code gave;
the ones whose answer depends on what the user taught errorlens (vendor rules, key
aliases, redaction patterns) are emptied when that changes.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

import errorlens
from errorlens._internal.reader import body, build, headers, keys, node, sources, vendors
from errorlens._internal.reader.rules import code, retry

# Every cache a read fills, by the name a failure prints.
CACHES: dict[str, Any] = {
    "json key roles": keys._json_role,
    "node plans": node._kept_plan,
    "header names": headers._classify,
    "role sets": body._roles,
    "url facts": build._kept_url,
    "codes": code._kept_code,
    "retry words": retry._verdict_of_words,
    "registrable names": vendors._registrable_name,
    "source classes": sources._kind_of,
}

# Two nodes (the outer one with a fact of its own) so that role sets are merged; a url, a code,
# a type and a request id header: one read touches every cache above.
BODY = b'{"request_id": "r1", "error": {"code": "rate_limited", "type": "t", "message": "slow"}}'
HEADERS = {"content-type": "application/json", "x-request-id": "req_1"}
URL = "https://api.example-vendor.com/v1/things"


class ApiError(Exception):
    def __init__(self) -> None:
        super().__init__("too many requests")
        self.status_code = 429
        self.headers = HEADERS
        self.body = BODY


def _read() -> None:
    errorlens.from_http(429, HEADERS, BODY, url=URL)
    errorlens.extract(ApiError())


@pytest.fixture
def filled() -> Iterator[None]:
    errorlens.unconfigure()
    _read()
    empty = [name for name, cache in CACHES.items() if cache.cache_info().currsize == 0]
    assert empty == [], "a read should fill every cache"
    yield
    errorlens.unconfigure()


@pytest.mark.usefixtures("filled")
def test_unconfigure_empties_every_reader_cache() -> None:
    errorlens.unconfigure()
    kept = {name: cache.cache_info().currsize for name, cache in CACHES.items()}
    assert kept == dict.fromkeys(CACHES, 0)


@pytest.mark.usefixtures("filled")
@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX only")
def test_a_forked_child_starts_with_empty_reader_caches() -> None:
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report the sizes, then leave without pytest's exit path
        sizes = ",".join(str(cache.cache_info().currsize) for cache in CACHES.values())
        os.write(write_end, sizes.encode())
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        reported = pipe.read().decode()
    _, status = os.waitpid(pid, 0)
    assert status == 0
    assert reported.split(",") == ["0"] * len(CACHES)


def test_a_vendor_registered_after_its_url_was_read_names_the_next_record() -> None:
    # The url's facts are cached: registering a rule for its host must still count.
    url = "https://billing.internal-example.net/v2/charges"
    assert errorlens.from_http(500, {}, b"", url=url).vendor == "internal-example"
    errorlens.register_vendor("billing", hosts=["billing.internal-example.net"])
    try:
        assert errorlens.from_http(500, {}, b"", url=url).vendor == "billing"
    finally:
        errorlens.unregister_vendor("billing")
    assert errorlens.from_http(500, {}, b"", url=url).vendor == "internal-example"


def test_a_key_alias_added_after_a_read_is_used_by_the_next_one() -> None:
    payload = b'{"fault_ref_zz": "E1234", "message": "no"}'
    assert errorlens.from_http(400, {}, payload).code != "E1234"
    errorlens.register_vendor("zz-aliases", keys={"code": ["fault_ref_zz"]})
    try:
        assert errorlens.from_http(400, {}, payload).code == "E1234"
    finally:
        errorlens.unregister_vendor("zz-aliases")
