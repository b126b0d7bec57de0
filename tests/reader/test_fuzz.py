"""Fuzzing in CI (short): nothing raises, and every record obeys the contract's types.

The long run is ``python scripts/fuzz.py --inputs 1000000`` (see its docstring).
"""

from __future__ import annotations

from typing import Any

from _contract import bodies, check_record, headers, objects, statuses, urls
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import errorlens

# Short enough for CI (the whole file well under 20 s); the long run covers the rest.
SHORT = settings(
    max_examples=120,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@SHORT
@given(statuses, headers, bodies, urls, st.one_of(st.none(), st.text(max_size=8), st.binary()))
def test_from_http_obeys_the_contract(
    status: Any, hdrs: Any, body: Any, url: Any, method: Any
) -> None:
    check_record(errorlens.from_http(status, hdrs, body, url=url, method=method))


@SHORT
@given(bodies)
def test_extract_of_a_body_is_a_record_or_none(body: Any) -> None:
    record = errorlens.extract(body)
    if record is not None:
        check_record(record)


@SHORT
@given(objects)
def test_extract_of_hostile_objects_is_a_record_or_none(obj: Any) -> None:
    record = errorlens.extract(obj)
    if record is not None:
        check_record(record)


def test_infinite_floats_leave_details() -> None:
    for body in ({"error": {"code": "x", "details": {"a": float("inf")}}},
                 b'{"error": {"code": "x", "details": {"a": -1e999}}}'):  # fmt: skip
        check_record(errorlens.from_http(400, {}, body))
