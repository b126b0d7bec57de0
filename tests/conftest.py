"""Shared fixtures: a loopback HTTP server, and optional test dependencies."""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import logging
import os
import sys
import traceback
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import pytest

import errorlens
from _servers import LoopbackServer
from errorlens import ErrorRecord


@pytest.fixture
def loopback() -> Iterator[LoopbackServer]:
    """A started :class:`LoopbackServer` on 127.0.0.1, stopped after the test."""
    with LoopbackServer() as server:
        yield server


# Test dependencies that do not exist for older Pythons: module -> (the first Python it
# installs on, why). pyproject's dev extra leaves them out there by an environment marker;
# below that version, a test that needs one is skipped with this reason, also in CI: a
# stated absence, not a missing install. Keep this table and those markers in step.
# (httpx2 is not here: 2.14, its last release for 3.10, installs there and the httpx2
# tests pass on it.)
UNAVAILABLE_BEFORE: dict[str, tuple[tuple[int, int], str]] = {
    "grafana_foundation_sdk": ((3, 11), "grafana-foundation-sdk requires Python 3.11 or later"),
}


class StatedAbsence(pytest.skip.Exception):
    """A skip that CI allows: what the test needs does not exist for this Python."""


def _version(version: tuple[int, int]) -> str:
    return ".".join(map(str, version))


def skip_before(version: tuple[int, int], reason: str) -> None:
    """Skip, also in CI, on Pythons older than ``version``: ``reason`` says what is missing."""
    if sys.version_info < version:
        raise StatedAbsence(
            f"needs Python {_version(version)}+ ({reason}); this is "
            f"{_version(sys.version_info[:2])}"
        )


def require(module: str) -> ModuleType:
    """Import a test dependency; skip without it locally, fail in CI (CI=true).

    A module listed in ``UNAVAILABLE_BEFORE`` is skipped with the stated reason on the
    Pythons it does not exist for, in CI too.
    """
    try:
        return importlib.import_module(module)
    except ImportError as error:
        stated = UNAVAILABLE_BEFORE.get(module) or UNAVAILABLE_BEFORE.get(module.partition(".")[0])
        if stated is not None:
            skip_before(stated[0], f"{module}: {stated[1]}")
        if _IN_CI:
            pytest.fail(f"test dependency {module!r} is missing in CI: {error}")
        pytest.skip(f"{module} is not installed")


_IN_CI = os.environ.get("CI", "").lower() == "true"

# An internal failure of errorlens raises under the suite (in production it is one
# warning on the "errorlens.internal" logger): no bug hides behind "never raises". Set
# here, at import, so subprocesses started by tests inherit it too.
os.environ["ERRORLENS_RAISE_INTERNAL"] = "1"


TOLERATES = "tolerates_internal_errors"
# Tests of other owners that feed hostile objects on purpose, until they carry the
# marker themselves (the reader reports a headers object whose items() raises).
_HOSTILE_INPUT_TESTS = (
    "tests/reader/test_hostile.py::test_objects_whose_str_and_properties_raise",
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{TOLERATES}: hostile input on purpose; errorlens may degrade, not raise"
    )
    config.addinivalue_line(
        "markers",
        "requires_python(major, minor, reason): skip, also in CI, on older Pythons "
        "(the behaviour tested does not exist there)",
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.nodeid.startswith(_HOSTILE_INPUT_TESTS):
            item.add_marker(TOLERATES)


@pytest.fixture(autouse=True)
def _internal_errors_policy(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tests marked ``tolerates_internal_errors`` see production behaviour (a warning)."""
    if request.node.get_closest_marker(TOLERATES) is not None:
        monkeypatch.delenv("ERRORLENS_RAISE_INTERNAL", raising=False)


@pytest.fixture(autouse=True)
def _fresh_storm_windows() -> None:
    """Each test starts with no storm window open: errors of earlier tests (the same
    vendor and code, seconds ago) must not make this test's lines a storm."""
    from errorlens._internal import storm

    storm.forget()


@pytest.fixture
def no_storms() -> Iterator[None]:
    """Every line written, however many of the same error: for tests that count them."""
    from errorlens._internal import storm

    storm.set_current(None)
    yield
    storm.set_current(storm.StormPolicy())


def pytest_runtest_setup(item: pytest.Item) -> None:
    for mark in item.iter_markers("requires_python"):
        major, minor = mark.args[:2]
        skip_before((major, minor), mark.kwargs.get("reason") or mark.args[2])


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """In CI (CI=true) a skipped test is a failed test: nothing may pass by not running.

    The one exception is a :class:`StatedAbsence`: the Python running the tests is older
    than what the test needs, a fact stated beside the test, not a missing install.
    """
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    stated = call.excinfo is not None and isinstance(call.excinfo.value, StatedAbsence)
    if _IN_CI and report.skipped and not hasattr(report, "wasxfail") and not stated:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, which counts as a failure: {reason}"


def _without(record: ErrorRecord, *names: str) -> dict[str, Any]:
    data = record.as_dict()
    for name in names:
        data.pop(name, None)
    return data


def assert_same_as_from_http(
    record: ErrorRecord | None,
    status: int,
    headers: Any,
    body: Any,
    *,
    ignore: tuple[str, ...] = (),
) -> ErrorRecord:
    """``record`` equals ``from_http`` over the same raw facts (url, method included)."""
    assert record is not None
    expected = errorlens.from_http(status, headers, body, url=record.url, method=record.method)
    assert _without(record, *ignore) == _without(expected, *ignore)
    return record


def reset_otel_globals() -> None:
    """Back to "no provider set", as OpenTelemetry's own test utilities do."""
    from opentelemetry import _logs, trace
    from opentelemetry._logs import _internal as logs_internal
    from opentelemetry.metrics import _internal as metrics_internal
    from opentelemetry.util._once import Once

    trace._TRACER_PROVIDER_SET_ONCE = Once()
    trace._TRACER_PROVIDER = None
    metrics_internal._METER_PROVIDER_SET_ONCE = Once()
    metrics_internal._METER_PROVIDER = None
    logs_internal._LOGGER_PROVIDER_SET_ONCE = Once()
    logs_internal._LOGGER_PROVIDER = None
    assert type(_logs.get_logger_provider()).__name__ == "ProxyLoggerProvider"


@contextlib.contextmanager
def own_logger(
    name: str, formatter: logging.Formatter | None = None
) -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A non-propagating logger with one handler writing to a string; detached from
    errorlens (should the test attach it) and emptied afterwards."""
    logger = logging.getLogger(name)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    if formatter is not None:
        handler.setFormatter(formatter)
    logger.addHandler(handler)
    try:
        yield logger, out
    finally:
        errorlens.detach(logger)
        logger.handlers.clear()
        logger.propagate = True


def in_forked_child(check: Callable[[], Any]) -> Any:
    """What ``check()`` returns (JSON-able) when run in a forked child of this process.

    The child reports over a pipe and exits at once: what ``check`` changes (a pattern
    added, a cache filled) stays in the child, so no later test sees it.
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(read_end)
        try:
            report = json.dumps({"result": check()})
        except BaseException:
            report = json.dumps({"error": traceback.format_exc()})
        with os.fdopen(write_end, "w") as pipe:
            pipe.write(report)
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        report = pipe.read()
    _, status = os.waitpid(pid, 0)
    assert status == 0, f"the child exited with {status}"
    answer = json.loads(report)
    assert "error" not in answer, answer.get("error")
    return answer["result"]


@pytest.fixture
def configured() -> Iterator[io.StringIO]:
    """``errorlens.configure`` writing JSON lines to a string, undone afterwards."""
    out = io.StringIO()
    errorlens.configure(service="shop", json=True, stream=out)
    try:
        yield out
    finally:
        errorlens.unconfigure()


class KeepRecords(logging.Handler):
    """Keeps the records it receives, as another handler of the app would (Sentry's)."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def stripe_decline(request_id: str = "req_1", code: str = "card_declined") -> Any:
    """A real ``requests.HTTPError`` of Stripe's documented 402 decline, raised and caught."""
    import json

    import requests

    response = requests.Response()
    response.status_code = 402
    response.headers["Request-Id"] = request_id
    response._content = json.dumps({"error": {"type": "card_error", "code": code}}).encode()
    response.url = "https://api.stripe.com/v1/charges"
    try:
        response.raise_for_status()
    except requests.HTTPError as error:
        return error
    raise AssertionError("402 raises")


def standalone_structlog(out: io.StringIO) -> Any:
    """A structlog chain of the application's own, errorlens's processor in it, no stdlib."""
    import structlog

    from errorlens import processors as el

    return structlog.wrap_logger(
        structlog.PrintLogger(out),
        processors=[
            structlog.processors.add_log_level,
            el.add_api_error,
            el.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
    )
