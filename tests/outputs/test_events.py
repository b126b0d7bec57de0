"""The event hub: registry ready before first use, locks safe under signals and fork."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("opentelemetry.sdk")


def run_python(code: str, timeout: float = 20.0) -> subprocess.CompletedProcess[str]:
    """``code`` in a fresh interpreter (fresh errorlens state), killed if it hangs."""
    try:
        return subprocess.run(
            [sys.executable, "-c", textwrap.dedent(code)],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"the process hung (killed after {timeout} s)")


SDK = """
import threading
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

spans = InMemorySpanExporter()
tracer_provider = TracerProvider()
tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
trace.set_tracer_provider(tracer_provider)
reader = InMemoryMetricReader()
metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))

def errors_counted():
    total = 0
    data = reader.get_metrics_data()
    for rm in data.resource_metrics if data else ():
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                if metric.name == "api.client.errors":
                    total += sum(point.value for point in metric.data.data_points)
    return total
"""


def test_the_first_errors_of_many_threads_all_reach_spans_and_metrics() -> None:
    result = run_python(
        SDK
        + """
import errorlens

barrier = threading.Barrier(8)

def work(n):
    with trace.get_tracer("t").start_as_current_span(f"call-{n}"):
        barrier.wait()
        errorlens.record_error(
            errorlens.from_http(429, {}, b'{"error": {"code": "slow_down"}}')
        )

threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
events = sum(len(span.events) for span in spans.get_finished_spans())
print(events, errors_counted())
"""
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["8", "8"]


FORK_SAFE = (
    SDK
    + """
import os, time
import errorlens
import errorlens.otel.metrics

inside = threading.Event()
release = threading.Event()

class BlocksWhenHashed(str):
    calls = 0
    def __hash__(self):
        BlocksWhenHashed.calls += 1
        # A look with the labels' lock held.
        if errorlens.otel.metrics._labels.lock._lock._is_owned() and not inside.is_set():
            inside.set()
            release.wait(10)
        return str.__hash__(self)

holder = threading.Thread(target=errorlens.record_error, args=(
    errorlens.ErrorRecord(vendor="acme", status=429, code=BlocksWhenHashed("rate_limited")),))
holder.start()
assert inside.wait(5)
pid = os.fork()
if pid == 0:
    errorlens.record_error(errorlens.from_http(503, {}, b'{"error": {"code": "busy"}}'))
    os._exit(0)
deadline = time.monotonic() + 5
status = None
while time.monotonic() < deadline:
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        break
    time.sleep(0.05)
else:
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    status = "hung"
release.set()
holder.join()
print("child", status)
"""
)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_child_forked_while_a_lock_is_held_does_not_hang() -> None:
    result = run_python(FORK_SAFE, timeout=30)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["child", "0"]
