"""errorlens's budgets, measured as ratios against a baseline timed in the same run.

    python benchmarks/run.py            # full run (about a minute)
    python benchmarks/run.py --quick    # a smoke run: same code paths, few repetitions

Machines are shared and noisy, so every figure is a ratio to a baseline measured
alongside it (best of several repeats), never an absolute time. The exit code is 0
whatever the figures; ``--strict`` makes a missed budget exit 1.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import logging
import sys
import timeit
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import errorlens

# A typical error body (~300 bytes) with the headers that come with it.
TYPICAL_BODY = json.dumps(
    {
        "error": {
            "message": "Rate limit reached for gpt-4o in organization org-abc123 on tokens "
            "per min (TPM): Limit 30000, Used 29000, Requested 2000. Please try again in 2s.",
            "type": "tokens",
            "param": None,
            "code": "rate_limit_exceeded",
        }
    }
).encode()
TYPICAL_HEADERS = {
    "content-type": "application/json",
    "x-request-id": "req_abc123",
    "retry-after-ms": "2000",
}


@dataclass
class Result:
    name: str
    ratio: float
    budget: float
    detail: str

    @property
    def ok(self) -> bool:
        return self.ratio <= self.budget


def best_of(fn: Callable[[], Any], number: int, repeat: int) -> float:
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number


def interleaved(
    a: Callable[[], Any], b: Callable[[], Any], number: int, repeat: int
) -> tuple[float, float]:
    """Best per-call time of a and b, measured in alternation so drift hits both."""
    best_a = best_b = float("inf")
    for _ in range(repeat):
        best_a = min(best_a, timeit.timeit(a, number=number) / number)
        best_b = min(best_b, timeit.timeit(b, number=number) / number)
    return best_a, best_b


def bench_from_http(number: int, repeat: int) -> Result:
    base, ours = interleaved(
        lambda: json.loads(TYPICAL_BODY),
        lambda: errorlens.from_http(429, TYPICAL_HEADERS, TYPICAL_BODY),
        number,
        repeat,
    )
    return Result(
        "from_http / json.loads (300 B body)",
        ours / base,
        3.0,
        f"{ours * 1e6:.1f} us vs {base * 1e6:.1f} us",
    )


def bench_body_size(number: int, repeat: int) -> Result:
    small = json.dumps({"error": {"code": "too_big", "message": "x" * 900}}).encode()
    large = (
        b'{"error": {"code": "too_big", "message": "first"}, "pad": "'
        + b"a" * (50 * 1024 * 1024)
        + b'"}'
    )
    base, ours = interleaved(
        lambda: errorlens.from_http(500, {}, small),
        lambda: errorlens.from_http(500, {}, large),
        number,
        repeat,
    )
    return Result(
        "50 MB body / 1 KB body", ours / base, 2.0, f"{ours * 1e6:.1f} us vs {base * 1e6:.1f} us"
    )


def bench_memory(count: int) -> Result:
    bodies = [
        TYPICAL_BODY,
        b"<Error><Code>NoSuchKey</Code><Message>gone</Message><RequestId>1</RequestId></Error>",
        b'{"errors": [{"field": "email", "message": "invalid"}], "message": "Validation failed"}',
        b"<html><title>502 Bad Gateway</title></html>",
    ]

    def run(n: int) -> None:
        for i in range(n):
            body = bodies[i % len(bodies)]
            record = errorlens.from_http(400 + i % 100, {"x-request-id": str(i)}, body)
            record.as_dict()

    run(20_000)  # warm caches (role, header-name, host caches are bounded)
    gc.collect()
    tracemalloc.start()
    run(count // 2)
    gc.collect()
    middle = tracemalloc.get_traced_memory()[0]
    run(count // 2)
    gc.collect()
    end = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    growth = max(end - middle, 0)
    # Budget: less than 64 KiB retained by the second half of the run.
    return Result(
        f"memory growth over {count:,} extractions (KiB)",
        growth / 1024,
        64.0,
        f"{middle / 1024:.0f} KiB after half, {end / 1024:.0f} KiB at end",
    )


def _structlog_results(number: int, repeat: int) -> list[Result]:
    try:
        from errorlens.processors import structlog_processor
    except ImportError:
        return []
    import structlog

    sink = io.StringIO()

    def logger_with(extra: list[Any]) -> Any:
        processors: list[Any] = [
            structlog.processors.add_log_level,
            *extra,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ]
        return structlog.wrap_logger(
            structlog.PrintLogger(sink), processors=processors, cache_logger_on_first_use=True
        )

    plain = logger_with([])
    ours = logger_with([structlog_processor()])
    results: list[Result] = []

    def clear() -> None:
        sink.seek(0)
        sink.truncate()

    def info(log: Any) -> Callable[[], None]:
        def call() -> None:
            log.info("order placed", order_id=42, amount=1999)
            clear()

        return call

    base, with_ours = interleaved(info(plain), info(ours), number, repeat)
    results.append(
        Result(
            "non-error event: with / without errorlens",
            with_ours / base,
            1.03,
            f"{with_ours * 1e6:.2f} us vs {base * 1e6:.2f} us",
        )
    )

    import httpx

    request = httpx.Request("POST", "https://api.openai.com/v1/chat/completions")
    response = httpx.Response(429, headers=TYPICAL_HEADERS, content=TYPICAL_BODY, request=request)

    # As applications meet it: raise_for_status() a few calls deep, a fresh exception
    # (and so no cached traceback text) every time.
    def call_vendor() -> None:
        response.raise_for_status()

    def service_layer() -> None:
        call_vendor()

    def handler() -> None:
        service_layer()

    def logged(log: Any) -> Callable[[], None]:
        def call() -> None:
            try:
                handler()
            except httpx.HTTPStatusError:
                log.exception("chat completion failed")
            clear()

        return call

    logging.getLogger("errorlens.internal").setLevel(logging.CRITICAL)
    base, with_ours = interleaved(logged(plain), logged(ours), max(number // 10, 50), repeat)
    results.append(
        Result(
            "API error logged with exception: with / without",
            with_ours / base,
            1.2,
            f"{with_ours * 1e6:.1f} us vs {base * 1e6:.1f} us",
        )
    )
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few repetitions: a smoke run")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a budget is missed")
    parser.add_argument("--json", action="store_true", help="print results as JSON")
    args = parser.parse_args(argv)
    number, repeat, count = (200, 2, 20_000) if args.quick else (20_000, 7, 1_000_000)
    results = [
        bench_from_http(number, repeat),
        bench_body_size(max(number // 10, 20), repeat),
        *_structlog_results(number, repeat),
        bench_memory(count),
    ]
    if args.json:
        print(json.dumps([r.__dict__ | {"ok": r.ok} for r in results], indent=2))
    else:
        width = max(len(r.name) for r in results)
        print(f"{'benchmark':<{width}}  {'ratio':>8}  {'budget':>7}  verdict  detail")
        for r in results:
            verdict = "ok" if r.ok else "OVER"
            print(f"{r.name:<{width}}  {r.ratio:>8.2f}  {r.budget:>7.2f}  {verdict:<7}  {r.detail}")
    return 1 if args.strict and not all(r.ok for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
