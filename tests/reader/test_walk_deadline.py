"""A time bound on every walk of the application's objects.

Counts bound how many calls a walk makes into the application's objects; a slow
object (a headers mapping whose iteration sleeps, a slow ``__getattr__``, a body dict
whose items take their time) must still not hold the log call. A read stops once its
time is up, keeps what it read, and calls into the application no more.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_hostile import json_values

import errorlens
from errorlens._internal.reader import deadline

# Each slow object below would hold a read for seconds without the bound; a read within
# the bound takes tens of milliseconds. The limits leave room for a loaded machine.
SLOW = 0.05
LIMIT = 1.5


def _timed(fn: Any, *args: Any) -> tuple[Any, float]:
    start = time.monotonic()
    result = fn(*args)
    return result, time.monotonic() - start


@pytest.fixture
def longer_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    # Facts read first must be kept: give the read enough time that a loaded machine
    # cannot spend it all before the first item, still far below the whole walk.
    monkeypatch.setattr(deadline, "READ_BUDGET", 0.25)


# --- headers ----------------------------------------------------------------------------


class _SlowHeaders:
    """200 pairs, each after the first arriving ``SLOW`` seconds late: 10 s in all."""

    def __init__(self, first: tuple[str, str] = ("X-Request-Id", "req_first")) -> None:
        self.first = first
        self.read = 0

    def items(self) -> Iterator[tuple[str, str]]:
        yield self.first
        for i in range(199):
            time.sleep(SLOW)
            self.read += 1
            yield f"x-pad-{i}", "v"


def test_slow_headers_are_read_until_the_time_is_up() -> None:
    headers = _SlowHeaders()
    record, seconds = _timed(errorlens.from_http, 429, headers, b'{"error": {"code": "slow"}}')
    assert seconds < LIMIT
    assert headers.read < 20
    assert record.status == 429
    assert record.code == "slow"


def test_slow_headers_keep_the_pairs_read_first(longer_budget: None) -> None:
    record, seconds = _timed(errorlens.from_http, 503, _SlowHeaders(), b"")
    assert seconds < LIMIT
    assert record.request_id == "req_first"


class _SlowHeadersError(Exception):
    def __init__(self) -> None:
        super().__init__("upstream failed")
        self.status_code = 503
        self.headers = _SlowHeaders()


def test_slow_headers_of_an_exception(longer_budget: None) -> None:
    record, seconds = _timed(errorlens.extract, _SlowHeadersError())
    assert seconds < LIMIT
    assert record is not None
    assert record.status == 503
    assert record.request_id == "req_first"


# --- bodies and details ---------------------------------------------------------------


class _SlowDict(dict[Any, Any]):
    """A dict whose every way of reading it, item by item, takes ``SLOW`` after the first."""

    def _slow(self) -> None:
        time.sleep(SLOW)

    def __iter__(self) -> Iterator[Any]:
        for index, key in enumerate(dict.__iter__(self)):
            if index:
                self._slow()
            yield key

    def keys(self) -> Any:
        return list(self)

    def items(self) -> Any:
        return ((key, dict.__getitem__(self, key)) for key in self)

    def values(self) -> Any:
        return (value for _, value in self.items())

    def __getitem__(self, key: Any) -> Any:
        self._slow()
        return dict.__getitem__(self, key)

    def get(self, key: Any, default: Any = None) -> Any:
        self._slow()
        return dict.get(self, key, default)


class _SlowList(list[Any]):
    def __iter__(self) -> Iterator[Any]:
        for index, item in enumerate(list.__iter__(self)):
            if index:
                time.sleep(SLOW)
            yield item

    def __getitem__(self, index: Any) -> Any:
        time.sleep(SLOW)
        return list.__getitem__(self, index)


def _slow_body() -> _SlowDict:
    error = _SlowDict(
        code="slow_code",
        message="read first",
        errors=_SlowList([_SlowDict(field="email", message="bad")] * 100),
    )
    body = _SlowDict(error=error)
    body.update({f"k{i}": _SlowDict(a=i, b=[i] * 50) for i in range(300)})
    return body


def test_a_slow_body_is_read_until_the_time_is_up() -> None:
    def read_all() -> Any:
        record = errorlens.from_http(400, {}, _slow_body())
        return record, record.details, record.fields

    (record, _, _), seconds = _timed(read_all)
    assert seconds < LIMIT
    assert record.status == 400


def test_a_slow_body_keeps_what_was_read_first(longer_budget: None) -> None:
    record, seconds = _timed(errorlens.extract, _slow_body())
    assert seconds < LIMIT
    assert record is not None
    assert record.code == "slow_code"
    assert (record.message or "").startswith("read first")


class _SlowDetailsError(Exception):
    # Read by duck typing: a status and a parsed body whose details are slow.
    def __init__(self) -> None:
        super().__init__("failed")
        self.status_code = 400
        self.body = {"error": {"code": "invalid", "details": _slow_body()}}


def test_slow_details_of_an_exception() -> None:
    def read_all() -> Any:
        record = errorlens.extract(_SlowDetailsError())
        assert record is not None
        return record, record.details

    (record, _), seconds = _timed(read_all)
    assert seconds < LIMIT
    assert record.code == "invalid"


# --- exceptions -------------------------------------------------------------------------


class _SlowAttributes(Exception):
    """Every attribute it lacks is computed, slowly, and is None."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        time.sleep(SLOW)
        return None


def _slow_chain(length: int) -> BaseException:
    error: BaseException = _SlowAttributes("first")
    for i in range(length):
        try:
            raise _SlowAttributes(f"wrapper {i}") from error
        except _SlowAttributes as wrapper:
            error = wrapper
    return error


def test_an_exception_chain_with_many_slow_attributes() -> None:
    # About 20 attributes looked for on each of 12 exceptions: 12 s without the bound.
    record, seconds = _timed(errorlens.extract, _slow_chain(11))
    assert seconds < LIMIT
    assert record is None


@pytest.mark.requires_python(3, 11, "ExceptionGroup is builtin from Python 3.11")
def test_a_group_of_slow_members_is_one_read() -> None:
    # 40 members, each a read's time or more: the group's line is one read, not 40.
    members = [_SlowAttributes(f"member {n}") for n in range(40)]
    out = io.StringIO()
    errorlens.configure(service="shop", json=True, stream=out)
    try:
        start = time.monotonic()
        try:
            raise ExceptionGroup("batch failed", members)  # noqa: F821 - builtin from 3.11
        except ExceptionGroup:  # noqa: F821
            logging.getLogger("app.batch").exception("batch failed")
        seconds = time.monotonic() - start
    finally:
        errorlens.unconfigure()
    assert seconds < LIMIT
    assert "batch failed" in out.getvalue()


class _SlowResponse(Exception):
    """One attribute slower than a whole read; the others count their readers."""

    later_reads = 0

    @property
    def response(self) -> Any:
        time.sleep(0.2)
        return None

    def _counted(self) -> Any:
        type(self).later_reads += 1
        return 503

    status_code = property(_counted)
    status = property(_counted)
    code = property(_counted)
    body = property(_counted)
    message = property(_counted)
    headers = property(_counted)


def test_no_attribute_is_read_once_the_time_is_up() -> None:
    # One slow property cannot be interrupted; the read calls nothing after it.
    _SlowResponse.later_reads = 0
    assert errorlens.extract(_SlowResponse()) is None
    assert _SlowResponse.later_reads == 0


# --- no time left: no application code at all --------------------------------------------


class _Counted:
    calls = 0


class _WatchedDict(dict[Any, Any]):
    def items(self) -> Any:
        _Counted.calls += 1
        return dict.items(self)

    def __iter__(self) -> Iterator[Any]:
        _Counted.calls += 1
        return dict.__iter__(self)

    def get(self, key: Any, default: Any = None) -> Any:
        _Counted.calls += 1
        return dict.get(self, key, default)

    def __getitem__(self, key: Any) -> Any:
        _Counted.calls += 1
        return dict.__getitem__(self, key)


class _WatchedList(list[Any]):
    def __iter__(self) -> Iterator[Any]:
        _Counted.calls += 1
        return list.__iter__(self)

    def __getitem__(self, index: Any) -> Any:
        _Counted.calls += 1
        return list.__getitem__(self, index)


class _WatchedHeaders:
    def __init__(self, pairs: dict[str, str]) -> None:
        self.pairs = pairs

    def items(self) -> Any:
        _Counted.calls += 1
        return iter(self.pairs.items())


def _watched(value: Any) -> Any:
    """``value`` with each dict and list an application's subclass that counts its use."""
    if isinstance(value, dict):
        return _WatchedDict({key: _watched(item) for key, item in value.items()})
    if isinstance(value, list):
        return _WatchedList(_watched(item) for item in value)
    return value


@contextlib.contextmanager
def _budget(seconds: float) -> Iterator[None]:
    saved = deadline.READ_BUDGET
    deadline.READ_BUDGET = seconds
    try:
        yield
    finally:
        deadline.READ_BUDGET = saved


header_maps = st.dictionaries(st.text(max_size=20), st.text(max_size=40), max_size=8)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values, header_maps)
def test_no_application_code_runs_once_the_time_is_up(value: Any, headers: Any) -> None:
    _Counted.calls = 0
    with _budget(-1.0):
        record = errorlens.from_http(400, _WatchedHeaders(headers), _watched(value))
        record.as_dict()  # details and fields too
        errorlens.extract(_watched(value))
    assert _Counted.calls == 0


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_a_body_of_subclasses_reads_as_the_plain_body(value: Any) -> None:
    plain = errorlens.from_http(400, {}, value).as_dict()
    assert errorlens.from_http(400, {}, _watched(value)).as_dict() == plain


def test_plain_reads_are_unchanged_by_the_bound() -> None:
    body = json.dumps({"error": {"code": "rate_limited", "message": "Slow down"}}).encode()
    with _budget(-1.0):
        record = errorlens.from_http(429, {"x-request-id": "req_1"}, body)
    assert (record.code, record.message, record.request_id) == (
        "rate_limited",
        "Slow down",
        "req_1",
    )
