"""Internal failures: one warning with its traceback per place; raised under the suite."""

from __future__ import annotations

import logging
import logging.handlers
from collections.abc import Iterator

import pytest

from errorlens._internal.guard import guarded, internal_logger
from errorlens._internal.state import STATE


@pytest.fixture
def internal() -> Iterator[logging.handlers.BufferingHandler]:
    keep = logging.handlers.BufferingHandler(capacity=100)
    internal_logger.addHandler(keep)
    yield keep
    internal_logger.removeHandler(keep)


def failing_step() -> None:
    raise KeyError("missing piece")


def test_the_suite_turns_internal_failures_into_failures() -> None:
    with pytest.raises(KeyError), guarded("a step under test"):
        failing_step()


def test_in_production_a_failure_is_logged_once_per_place_with_its_traceback(
    internal: logging.handlers.BufferingHandler, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ERRORLENS_RAISE_INTERNAL", raising=False)
    monkeypatch.setattr(STATE, "reported", set())
    for _ in range(3):
        with guarded("reading a unique test place"):
            failing_step()
    assert len(internal.buffer) == 1
    record = internal.buffer[0]
    assert "reading a unique test place" in record.getMessage()
    assert record.exc_info is not None
    text = logging.Formatter().format(record)
    assert "failing_step" in text
    assert "KeyError" in text


def test_the_internal_logger_does_not_propagate() -> None:
    assert internal_logger.propagate is False
