"""Production trust: fork, re-raise, pickling, exception groups, signals, hostile objects.

Each test drives a real process (``os.fork``, ``multiprocessing``, ``signal``) or a real
client exception through errorlens and compares with what plain ``logging`` does.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from _servers import LoopbackServer

TESTS = Path(__file__).resolve().parent.parent
ERROR_BODY = {
    "error": {
        "code": "rate_limit_exceeded",
        "message": "Rate limit reached",
        "details": {"limit": 10, "window": "1m", "tier": "free", "hint": "slow down"},
    }
}


def _run(script: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``script`` in a fresh interpreter, the tests folder importable."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), *sys.path])}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=env,
    )


# -- fork while other threads log ----------------------------------------------------

_FORK_WHILE_LOGGING = """
    import io, logging, os, sys, threading, time
    import requests
    import errorlens

    url = sys.argv[1]
    response = requests.get(url, timeout=5)
    errorlens.configure(service="forking", json=True, stream=io.StringIO())
    log = logging.getLogger("app")

    def log_one(text):
        try:
            raise requests.HTTPError(text, response=response)
        except requests.HTTPError:
            log.exception(text)

    stop = False

    def busy():
        while not stop:
            log_one("thread")

    threads = [threading.Thread(target=busy, daemon=True) for _ in range(4)]
    for thread in threads:
        thread.start()
    sys.setswitchinterval(1e-6)  # switch threads often: forks land mid-call
    hung = 0
    for _ in range(8):
        time.sleep(0.01)
        pid = os.fork()
        if pid == 0:
            for _ in range(64):  # fresh records: every lock stripe is met
                log_one("child")
            os._exit(0)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.01)
        else:
            hung += 1
            os.kill(pid, 9)
            os.waitpid(pid, 0)
    stop = True
    print("hung:", hung)
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX only")
def test_a_child_forked_while_threads_log_api_errors_logs_at_once(
    loopback: LoopbackServer,
) -> None:
    # gunicorn, Celery and multiprocessing fork while other threads may be logging: a
    # lock held at that instant by a thread the child does not have must not hang it.
    loopback.respond(429, {"x-request-id": "req_fork"}, ERROR_BODY)
    result = _run(_FORK_WHILE_LOGGING, loopback.url + "/v1/call", timeout=300)
    assert result.returncode == 0, result.stderr
    assert "hung: 0" in result.stdout, result.stdout + result.stderr


def test_locks_made_and_dropped_leave_nothing_behind() -> None:
    # Each configure(otel=True) makes locks; a fork hook per lock, never removed, kept
    # about 290 bytes per configure()/unconfigure() cycle.
    import gc
    import tracemalloc

    from errorlens._internal.locks import SafeLock

    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(2000):
            with SafeLock():
                pass
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert kept < 2000 * 16, f"{kept} bytes kept by 2000 dropped locks"
