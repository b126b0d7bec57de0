"""An ErrorRecord read from many threads at once never shows a secret it holds."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

import errorlens
from errorlens import ErrorRecord, FieldError
from errorlens.record import secret_values

SECRET = "hunter2-Zq9"
THREADS = 16


def _slow_details() -> tuple[Any, tuple[FieldError, ...], tuple[str, ...]]:
    # The walk over the details takes a while (a large document): the window in which
    # another thread could see a half-cleaned record.
    time.sleep(0.02)
    return {"password": "[REDACTED]"}, (FieldError("password", f"{SECRET} is weak"),), (SECRET,)


def _record() -> ErrorRecord:
    return ErrorRecord._deferred(
        None, 400, "weak_password", None, f"password {SECRET} rejected",
        None, None, None, False, None, None, _slow_details,
    )  # fmt: skip


def _read_together(record: ErrorRecord, read: Callable[[ErrorRecord], Any]) -> list[Any]:
    barrier = threading.Barrier(THREADS)
    seen: list[Any] = [None] * THREADS

    def worker(index: int) -> None:
        barrier.wait()
        seen[index] = read(record)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return seen


READERS: dict[str, Callable[[ErrorRecord], Any]] = {
    "message": lambda r: r.message,
    "fields": lambda r: r.fields,
    "details then message": lambda r: (r.details, r.message),
    "as_dict": lambda r: r.as_dict(),
    "summary": lambda r: r.summary(),
    "repr": repr,
    "secret_values": lambda r: (secret_values(r) == (SECRET,), r.message),
}


@pytest.mark.parametrize("name", sorted(READERS))
def test_first_concurrent_read_never_shows_the_secret(name: str) -> None:
    for _ in range(3):
        seen = _read_together(_record(), READERS[name])
        leaked = [value for value in seen if SECRET in repr(value)]
        assert not leaked, f"{name}: {leaked[0]!r}"


def test_every_thread_sees_the_same_complete_record() -> None:
    seen = _read_together(_record(), lambda r: r.as_dict())
    assert all(value == seen[0] for value in seen)
    assert seen[0]["message"] == "password [REDACTED] rejected"
    assert seen[0]["details"] == {"password": "[REDACTED]"}
    assert seen[0]["fields"] == [{"field": "password", "message": "[REDACTED] is weak"}]


def test_records_from_bodies_are_safe_to_share() -> None:
    body = {"error": {"message": f"password {SECRET} rejected", "details": {"password": SECRET}}}
    for _ in range(20):
        record = errorlens.from_http(400, {}, body)
        seen = _read_together(record, lambda r: r.message)
        assert not [value for value in seen if value and SECRET in value]


@pytest.mark.tolerates_internal_errors  # the failing walk is the point: it must degrade
def test_a_failing_walk_still_publishes_a_clean_record() -> None:
    def failing() -> tuple[Any, tuple[FieldError, ...], tuple[str, ...]]:
        raise RuntimeError("hostile document")

    record = ErrorRecord._deferred(
        None, 400, None, None, "plain text", None, None, None, False, None, None, failing
    )
    seen = _read_together(record, lambda r: (r.details, r.fields, r.message))
    assert all(value == (None, (), "plain text") for value in seen)
