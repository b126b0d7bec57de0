"""Lines logged after errorlens's exit hook: redacted, and nothing raised from __del__.

Real interpreters, run to their end: a daemon thread that keeps logging, an exit hook
registered before ``configure()`` (so it runs after errorlens's), and an object whose
``__del__`` logs and records an API error while the interpreter finalises.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

KEY = "sk-proj-ExitProbeKey0123456789abcdef"
QUERY_KEY = "QueryExitKey99887766"

APP = f"""
import atexit
import logging
import sys
import threading
import time
import types

import httpx

import errorlens

KEY = {KEY!r}
URL = "https://api.example.com/v1/charges?api_key={QUERY_KEY}"
REPORT = sys.argv[1]
log = logging.getLogger("app")


def vendor_error():
    request = httpx.Request("POST", URL)
    body = {{"error": {{"code": "invalid_api_key", "message": "Incorrect API key: " + KEY}}}}
    response = httpx.Response(401, json=body, request=request)
    try:
        response.raise_for_status()
    except httpx.HTTPStatusError as exc:
        return exc


@atexit.register
def earlier_hook():  # registered before configure(): runs after errorlens's hook
    log.warning("closing pool for %s with key %s", URL, KEY)
    log.error("last charge failed", exc_info=vendor_error())


class Session:
    def __del__(self, open=open, repr=repr, sys=sys):
        with open(REPORT, "w") as report:
            report.write("finalising=%s\\n" % (sys.meta_path is None))
            try:
                log.warning("session for %s dropped (%s)", URL, KEY)
                report.write("recorded=%r\\n" % (errorlens.record_error(vendor_error()),))
            except BaseException as exc:
                report.write("raised " + repr(exc))


def chatter():
    while True:
        log.warning("polling %s with %s", URL, KEY)
        time.sleep(0.001)


errorlens.configure(service="probe", json=True, stream=sys.stderr)
threading.Thread(target=chatter, daemon=True).start()
holder = types.ModuleType("probe_holder")  # wiped late, after sys.meta_path is gone
holder.session = Session()
sys.modules["probe_holder"] = holder
del holder
time.sleep(0.05)
"""


@pytest.mark.parametrize("raise_internal", [False, True])
def test_nothing_unredacted_after_exit_and_nothing_raised_from_del(
    tmp_path: Path, raise_internal: bool
) -> None:
    script = tmp_path / "app.py"
    script.write_text(APP)
    report = tmp_path / "del.txt"
    env = dict(os.environ)
    env.pop("ERRORLENS_RAISE_INTERNAL", None)
    if raise_internal:
        env["ERRORLENS_RAISE_INTERNAL"] = "1"
    src = str(Path(__file__).resolve().parents[2] / "src")
    env["PYTHONPATH"] = os.pathsep.join([src, env.get("PYTHONPATH", "")])
    done = subprocess.run(
        [sys.executable, str(script), str(report)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    err = done.stderr
    assert done.returncode == 0, err[-2000:]
    # The late lines are there, redacted: from the exit hook that ran after errorlens's,
    # with the traceback, and from the daemon thread.
    assert "closing pool for https://api.example.com/v1/charges?api_key=[REDACTED]" in err
    assert "last charge failed" in err and "HTTPStatusError" in err
    assert "polling https://api.example.com" in err
    assert KEY not in err and QUERY_KEY not in err
    assert "Exception ignored" not in err
    # The __del__ ran while the interpreter finalised, and record_error returned quietly.
    state = report.read_text()
    assert "finalising=True" in state
    assert "recorded=None" in state and "raised" not in state
