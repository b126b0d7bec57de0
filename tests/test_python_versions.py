"""Behaviour that differs by Python version, tested on every version it differs on.

- python-json-logger formats ``exc_info`` itself and ignores ``exc_text``; errorlens can
  hand its handler a redacted copy of the record only on 3.12+, where a filter may
  return a record.
- ``record.exc_text``: the traceback errorlens leaves for the handler's formatter.
- ``BaseException.add_note`` (3.11+, PEP 678): notes are printed under the traceback.
- ``ExceptionGroup`` (builtin since 3.11, the ``exceptiongroup`` backport on 3.10, which
  anyio raises there): a group of API errors from a task group.

The errors are built in memory (httpx responses): nothing here waits on a socket.
``scripts/test.sh`` runs this file on 3.10, 3.11, 3.12 and 3.13.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import KeepRecords, require
from errorlens.stdlib import attach, detach
from errorlens.testing import capture_api_errors

ROOT = Path(__file__).resolve().parent.parent
SUPPORTED = ("3.10", "3.11", "3.12", "3.13")

SECRET_KEY = "sk-proj-abcdefghijklmnopqrstu"
NOTE_TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJub3RlIn0.c2lnbmF0dXJlLW9mLW5vdGU"
NOTE_QUERY_SECRET = "q5ecret0fthenote"


def api_error(index: int = 1) -> httpx.HTTPStatusError:
    """An OpenAI rate-limit error whose message carries a key in the url (and so does
    the traceback); the body's facts are what errorlens should log."""
    request = httpx.Request(
        "POST", f"https://api.openai.com/v1/chat/completions?api_key={SECRET_KEY}"
    )
    response = httpx.Response(
        429,
        headers={"x-request-id": f"req_group_{index}", "retry-after": "2"},
        json={"error": {"type": "tokens", "code": f"rate_limit_{index}", "message": "Slow down"}},
        request=request,
    )
    return httpx.HTTPStatusError(
        f"Client error '429 Too Many Requests' for url '{request.url}'",
        request=request,
        response=response,
    )


def raised(error: BaseException) -> BaseException:
    """``error`` with a traceback, as an application catches it."""
    try:
        raise error
    except BaseException as caught:
        return caught


@pytest.fixture
def app_logger() -> Iterator[logging.Logger]:
    """A non-propagating logger without handlers; handlers and filters go afterwards."""
    logger = logging.getLogger("pyver.app")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield logger
    finally:
        detach(logger)
        logger.handlers.clear()


def attached(
    logger: logging.Logger, formatter: logging.Formatter
) -> tuple[io.StringIO, KeepRecords]:
    """errorlens attached to ``logger`` with two handlers: ``formatter`` writing to the
    returned string, and a :class:`KeepRecords` after it."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter)
    logger.addHandler(handler)
    other = KeepRecords()
    logger.addHandler(other)
    attach(logger)
    return out, other


def json_lines(out: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.getvalue().splitlines() if line.startswith("{")]


# --- python-json-logger: the traceback it formats itself ----------------------------------


def test_python_json_logger_line_has_no_secret_from_the_traceback(
    app_logger: logging.Logger,
) -> None:
    jsonlogger = require("pythonjsonlogger.json")
    formatter = jsonlogger.JsonFormatter("%(levelname)s %(name)s %(message)s")
    out, other = attached(app_logger, formatter)

    error = raised(api_error())
    app_logger.error("chat failed", exc_info=error)

    (line,) = (json.loads(text) for text in out.getvalue().splitlines())
    assert line["api_error"]["code"] == "rate_limit_1"
    assert "Traceback (most recent call last)" in line["exc_info"]
    assert "HTTPStatusError" in line["exc_info"]
    assert SECRET_KEY not in out.getvalue()
    # The other handler still gets the exception itself.
    (kept,) = other.records
    assert kept.exc_info is not None and kept.exc_info[1] is error


# --- exc_text: the traceback a stdlib formatter prints ---------------------------------------


def test_exc_text_is_the_redacted_traceback_every_formatter_prints(
    app_logger: logging.Logger,
) -> None:
    out, other = attached(app_logger, logging.Formatter("%(levelname)s %(message)s"))

    app_logger.error("chat failed", exc_info=raised(api_error()))

    (record,) = other.records
    assert record.exc_text is not None
    assert record.exc_text.startswith("Traceback (most recent call last):")
    assert "httpx.HTTPStatusError: Client error '429 Too Many Requests'" in record.exc_text
    assert SECRET_KEY not in record.exc_text
    # The formatter printed that cached text rather than formatting exc_info again.
    assert out.getvalue() == f"ERROR chat failed\n{record.exc_text}\n"
    assert SECRET_KEY not in logging.Formatter().format(record)


# --- add_note (3.11+) --------------------------------------------------------------------


@pytest.mark.requires_python(3, 11, reason="BaseException.add_note is new in 3.11 (PEP 678)")
def test_notes_on_an_api_error_appear_redacted(configured: io.StringIO) -> None:
    error = api_error()
    error.add_note(f"retried with Authorization: Bearer {NOTE_TOKEN}")
    error.add_note(f"fallback https://backup.example.test/v1?token={NOTE_QUERY_SECRET}")
    try:
        raise error
    except httpx.HTTPStatusError:
        logging.getLogger("pyver.notes").exception("chat failed")

    (line,) = json_lines(configured)
    assert line["api_error"]["code"] == "rate_limit_1"
    exception = line["exception"]
    # The notes are there, after the exception line, as Python prints them...
    assert "\nretried with Authorization: " in exception
    assert "\nfallback https://backup.example.test/v1?token=" in exception
    # ...without what they held.
    text = json.dumps(line)
    for secret in (SECRET_KEY, NOTE_TOKEN, NOTE_QUERY_SECRET):
        assert secret not in text


# --- ExceptionGroup: API errors from a task group -----------------------------------------


async def _fail(index: int) -> None:
    await asyncio.sleep(0)
    raise api_error(index)


async def _asyncio_task_group() -> None:
    async with asyncio.TaskGroup() as group:
        for index in (1, 2):
            group.create_task(_fail(index))


async def _anyio_task_group() -> None:
    anyio = require("anyio")
    async with anyio.create_task_group() as group:
        for index in (1, 2):
            group.start_soon(_fail, index)


TASK_GROUPS = [
    pytest.param(
        _asyncio_task_group,
        id="asyncio.TaskGroup",
        marks=pytest.mark.requires_python(
            3, 11, reason="asyncio.TaskGroup and the builtin ExceptionGroup are new in 3.11"
        ),
    ),
    # anyio's task groups raise an ExceptionGroup on every version (on 3.10, the
    # exceptiongroup backport's).
    pytest.param(_anyio_task_group, id="anyio"),
]


@pytest.mark.parametrize("task_group", TASK_GROUPS)
def test_a_group_of_api_errors_logs_each_members_facts(
    configured: io.StringIO, task_group: Any
) -> None:
    with capture_api_errors() as seen:
        try:
            asyncio.run(task_group())
        except Exception as group:  # `except*` would not parse on 3.10
            assert type(group).__name__ == "ExceptionGroup"
            assert len(group.exceptions) == 2
            logging.getLogger("pyver.group").exception("batch failed")

    (line,) = json_lines(configured)
    facts = json.dumps({key: value for key, value in line.items() if key != "exception"})
    for index in (1, 2):
        # Each member's facts, outside the traceback text (which has neither).
        assert f'"req_group_{index}"' in facts
        assert f'"rate_limit_{index}"' in facts
    assert sorted(event.record.request_id or "" for event in seen) == [
        "req_group_1",
        "req_group_2",
    ]
    assert SECRET_KEY not in configured.getvalue()


# --- the matrix and what the package says -------------------------------------------------


def test_supported_versions_are_stated_alike_everywhere() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'requires-python = ">=3.10"' in pyproject
    classifiers = re.findall(r'"Programming Language :: Python :: (3\.\d+)"', pyproject)
    assert tuple(classifiers) == SUPPORTED
    script = (ROOT / "scripts" / "test.sh").read_text(encoding="utf-8")
    (matrix,) = re.findall(r'^PYTHONS_DEFAULT="([^"]*)"', script, flags=re.MULTILINE)
    assert tuple(sorted(matrix.split(), key=lambda v: tuple(map(int, v.split("."))))) == SUPPORTED
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "## Supported Python versions" in readme
    assert f"{sys.version_info.major}.{sys.version_info.minor}" in SUPPORTED


# --- skips in CI: a stated absence passes, anything else fails ------------------------------


def _ci_outcome(monkeypatch: pytest.MonkeyPatch, raised_by_test: BaseException) -> str:
    """The outcome conftest's report hook gives a test that skipped by ``raised_by_test``."""
    import types

    import conftest

    monkeypatch.setattr(conftest, "_IN_CI", True)
    report = types.SimpleNamespace(
        skipped=True, outcome="skipped", longrepr=("test.py", 1, f"Skipped: {raised_by_test}")
    )
    call = types.SimpleNamespace(excinfo=types.SimpleNamespace(value=raised_by_test))
    hook = conftest.pytest_runtest_makereport(None, call)  # type: ignore[arg-type]
    next(hook)
    with pytest.raises(StopIteration):
        hook.send(types.SimpleNamespace(get_result=lambda: report))
    return str(report.outcome)


def test_a_stated_absence_is_a_skip_that_ci_allows(monkeypatch: pytest.MonkeyPatch) -> None:
    import conftest

    monkeypatch.setitem(
        conftest.UNAVAILABLE_BEFORE, "no_such_module_pyver", ((99, 0), "released for 99.0 only")
    )
    with pytest.raises(conftest.StatedAbsence) as skipped:
        require("no_such_module_pyver")
    assert "needs Python 99.0+ (no_such_module_pyver: released for 99.0 only)" in str(skipped.value)
    assert _ci_outcome(monkeypatch, skipped.value) == "skipped"


def test_any_other_skip_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    import conftest

    # Listed, but this Python is new enough: the module should be there.
    monkeypatch.setitem(conftest.UNAVAILABLE_BEFORE, "no_such_module_pyver", ((3, 0), "old"))
    monkeypatch.setattr(conftest, "_IN_CI", True)
    with pytest.raises(pytest.fail.Exception, match="missing in CI"):
        require("no_such_module_pyver")
    with pytest.raises(pytest.skip.Exception) as skipped:
        pytest.skip("some other reason")
    assert _ci_outcome(monkeypatch, skipped.value) == "failed"
