"""The long fuzz run of the reader: millions of hostile inputs, and what they did.

    python scripts/fuzz.py --inputs 1000000 [--report fuzz-report.json] [--engine auto]

Every input goes through ``errorlens.from_http`` or ``errorlens.extract`` and its record
through the contract check of tests/reader/_contract.py. The run reports:

- escapes: exceptions out of the public API, or records that break the contract (the
  first few of each kind with a repr prefix of the input);
- the slowest input: its time and a repr prefix;
- peak memory: the process's maximum resident set size.

Engines: ``atheris`` (coverage-guided, libFuzzer; ``pip install atheris``) is used when
it imports, else ``random``: a seeded generator of the same families of input (JSON-like
values with hostile strings, XML, HTML, CBOR, raw bytes, odd headers and statuses, and
hostile objects). The report is written every 10,000 inputs, so an interrupted run still
leaves its figures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import time
import traceback
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests" / "reader"))

from _contract import HOSTILE_STRINGS, KEYS, check_record, hostile_object  # noqa: E402

import errorlens  # noqa: E402

REPORT_EVERY = 10_000
PREFIX = 160


class Report:
    """Counts, escapes, the slowest input; written as JSON."""

    def __init__(self, path: Path, target: int, engine: str) -> None:
        self.path = path
        self.target = target
        self.engine = engine
        self.inputs = 0
        self.escapes: dict[str, dict[str, Any]] = {}
        self.slowest = (0.0, "")
        self.started = time.monotonic()

    def run(self, call: Any, describe: Any) -> None:
        start = time.perf_counter()
        try:
            record = call()
            if record is not None:
                check_record(record)
        except Exception as error:  # an escape: exactly what the run looks for
            self._escape(error, describe)
        elapsed = time.perf_counter() - start
        if elapsed > self.slowest[0]:
            self.slowest = (elapsed, _prefix(describe()))
        self.inputs += 1
        if self.inputs % REPORT_EVERY == 0 or self.inputs == self.target:
            self.write()

    def _escape(self, error: Exception, describe: Any) -> None:
        frame = traceback.extract_tb(error.__traceback__)[-1:]
        where = f"{frame[0].filename}:{frame[0].lineno}" if frame else "?"
        key = f"{type(error).__name__} at {where}"
        entry = self.escapes.setdefault(key, {"count": 0, "first": None, "error": None})
        entry["count"] += 1
        if entry["first"] is None:
            entry["first"] = _prefix(describe())
            entry["error"] = _prefix(repr(error))

    def figures(self) -> dict[str, Any]:
        peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
        return {
            "engine": self.engine,
            "inputs": self.inputs,
            "target": self.target,
            "seconds": round(time.monotonic() - self.started, 1),
            "escapes": sum(e["count"] for e in self.escapes.values()),
            "escape_kinds": self.escapes,
            "slowest_seconds": round(self.slowest[0], 6),
            "slowest_input": self.slowest[1],
            "peak_rss_mib": round(peak_kib / 1024, 1),
        }

    def write(self) -> None:
        figures = self.figures()
        self.path.write_text(json.dumps(figures, indent=2), encoding="utf-8")
        print(
            f"{figures['inputs']:>9} inputs  {figures['escapes']} escapes  "
            f"slowest {figures['slowest_seconds'] * 1000:.1f} ms  "
            f"peak {figures['peak_rss_mib']} MiB",
            flush=True,
        )


def _prefix(text: str) -> str:
    try:
        return text[:PREFIX]
    except Exception:
        return "?"


# --- the random engine ---------------------------------------------------------------


class Inputs:
    """A seeded generator of hostile inputs, family by family."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def text(self) -> str:
        rng = self.rng
        choice = rng.random()
        if choice < 0.3:
            return rng.choice(HOSTILE_STRINGS)
        if choice < 0.6:
            return "".join(chr(rng.randrange(0, 0x3000)) for _ in range(rng.randrange(12)))
        return rng.choice(KEYS) + rng.choice(["", "_x", ":uri", "#Name", " failed"])

    def value(self, depth: int = 0) -> Any:
        rng = self.rng
        kind = rng.randrange(9 if depth < 5 else 6)
        leaves = [
            None,
            rng.random() < 0.5,
            rng.randrange(-(2**70), 2**70),
            rng.choice([0.5, float("nan"), float("inf"), -1e308]),
            self.text(),
            rng.randrange(100, 1000),
        ]
        if kind < len(leaves):
            return leaves[kind]
        if kind < 8:
            keys = [rng.choice(KEYS) if rng.random() < 0.8 else self.text() for _ in range(4)]
            return {k: self.value(depth + 1) for k in keys[: rng.randrange(5)]}
        return [self.value(depth + 1) for _ in range(rng.randrange(4))]

    def body(self) -> Any:
        rng = self.rng
        value = self.value()
        kind = rng.randrange(9)
        if kind == 0:
            return value
        if kind == 1:
            return json.dumps(value).encode("utf-8", "surrogatepass")
        if kind == 2:
            raw = json.dumps(value).encode("utf-8", "surrogatepass")
            return raw[: rng.randrange(len(raw) + 1)]
        if kind == 3:
            return _xml(value).encode("utf-8", "surrogatepass")
        if kind == 4:
            pieces = ["<html>", "<title", "<title>", "</title>", "<h1>", "<", "&", '"', "\x00"]
            return "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 400))).encode()
        if kind == 5:
            return _cbor(value)
        if kind == 6:
            return bytes(rng.randrange(256) for _ in range(rng.randrange(200)))
        if kind == 7:
            return self.text() * rng.randrange(1, 2000)  # str bodies may hold surrogates
        return self._mutated(json.dumps(value).encode("utf-8", "surrogatepass"))

    def _mutated(self, raw: bytes) -> bytes:
        data = bytearray(raw or b"{}")
        for _ in range(self.rng.randrange(1, 8)):
            data[self.rng.randrange(len(data))] = self.rng.randrange(256)
        return bytes(data)

    def headers(self) -> Any:
        rng = self.rng
        names = ["Retry-After", "Content-Type", "X-Request-Id", "Date", "x-amzn-errortype"]
        names += ["RateLimit-Reset", "x-amzn-query-error", "WWW-Authenticate", "retry-after-ms"]
        values: list[Any] = [self.text(), b"\xff\xfe", "application/cbor", "text/html", "7"]
        values += ["Wed, 21 Oct 2015 07:28:00 GMT", "1e999", "-1", "x" * 10_000, 3, None]
        pairs = [(rng.choice(names), rng.choice(values)) for _ in range(rng.randrange(6))]
        shape = rng.randrange(4)
        if shape == 0:
            return dict(pairs)
        if shape == 1:
            return pairs + pairs
        if shape == 2:
            return [(n.encode(), v) for n, v in pairs]
        return None

    def status(self) -> Any:
        rng = self.rng
        options = [rng.randrange(100, 1000), rng.randrange(-(2**40), 2**40), True, None]
        options += ["429", "abc", 429.5, float("nan"), b"503", 200]
        return rng.choice(options)

    def call(self) -> tuple[Any, Any]:
        """A call of the public API on one input, and a description of that input."""
        rng = self.rng
        mode = rng.randrange(4)
        if mode == 3:
            obj = hostile_object(self.status(), self.body(), rng.random() < 0.3, rng.random() < 0.3)
            return (lambda: errorlens.extract(obj)), (lambda: f"extract(object {obj.body!r})")
        if mode == 2:
            body = self.body()
            return (lambda: errorlens.extract(body)), (lambda: f"extract({body!r})")
        args = (self.status(), self.headers(), self.body())
        url = rng.choice([None, b"https://api.openai.com/x?api_key=k", "http://[::1", self.text()])
        return (
            lambda: errorlens.from_http(*args, url=url),
            lambda: f"from_http{args!r}",
        )


def _xml(node: Any, name: str = "Error", depth: int = 0) -> str:
    if isinstance(node, dict) and depth < 6:
        inner = "".join(_xml(v, str(k), depth + 1) for k, v in node.items())
    else:
        inner = str(node)
    safe = "".join(c for c in name if c.isalnum()) or "x"
    return f"<{safe}>{inner}</{safe}>"


def _cbor(value: Any) -> bytes:
    """A small CBOR encoder for the generated values (text, ints, maps, lists)."""

    def head(major: int, n: int) -> bytes:
        if n < 24:
            return bytes([major << 5 | n])
        for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
            if n < 1 << (8 * size):
                return bytes([major << 5 | info]) + n.to_bytes(size, "big")
        return b"\xf6"

    if isinstance(value, bool) or value is None:
        return {True: b"\xf5", False: b"\xf4", None: b"\xf6"}[value]
    if isinstance(value, int):
        return head(0, value) if value >= 0 else head(1, -1 - value)
    if isinstance(value, str):
        raw = value.encode("utf-8", "replace")
        return head(3, len(raw)) + raw
    if isinstance(value, dict):
        return head(5, len(value)) + b"".join(_cbor(k) + _cbor(v) for k, v in value.items())
    if isinstance(value, list):
        return head(4, len(value)) + b"".join(_cbor(v) for v in value)
    return b"\xf6"


def run_random(report: Report, seed: int) -> None:
    inputs = Inputs(seed)
    while report.inputs < report.target:
        call, describe = inputs.call()
        report.run(call, describe)


# --- the atheris engine --------------------------------------------------------------


def run_atheris(report: Report, atheris: Any) -> None:
    """Coverage-guided: libFuzzer's bytes choose the family and feed the input."""

    def one_input(data: bytes) -> None:
        provider = atheris.FuzzedDataProvider(data)
        inputs = Inputs(provider.ConsumeInt(8))  # the families, seeded by the fuzzer
        mode = provider.ConsumeIntInRange(0, 3)
        raw = provider.ConsumeBytes(provider.remaining_bytes())
        if mode == 0:  # the fuzzer's own bytes as a body, under a chosen content type
            ctype = inputs.rng.choice(["application/json", "application/cbor", "text/html", ""])
            report.run(
                lambda: errorlens.from_http(inputs.status(), {"Content-Type": ctype}, raw),
                lambda: f"from_http(body={raw!r}, content-type={ctype!r})",
            )
        elif mode == 1:
            report.run(lambda: errorlens.extract(raw), lambda: f"extract({raw!r})")
        else:
            call, describe = inputs.call()
            report.run(call, describe)
        if report.inputs >= report.target:
            report.write()
            os._exit(0)  # libFuzzer's own exit would skip nothing we need

    atheris.Setup(
        [sys.argv[0], f"-runs={report.target}", "-max_len=4096", "-rss_limit_mb=4096"],
        one_input,
    )
    atheris.Fuzz()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--inputs", type=int, default=1_000_000)
    parser.add_argument("--report", type=Path, default=Path("fuzz-report.json"))
    parser.add_argument("--engine", choices=("auto", "atheris", "random"), default="auto")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    atheris = None
    if args.engine in ("auto", "atheris"):
        try:
            import atheris  # type: ignore[import-not-found,no-redef]

            atheris.instrument_all()  # coverage of every loaded function, errorlens's too
        except ImportError:
            if args.engine == "atheris":
                raise
    report = Report(args.report, args.inputs, "atheris" if atheris else "random")
    if atheris is not None:
        run_atheris(report, atheris)
    else:
        run_random(report, args.seed)
        report.write()


if __name__ == "__main__":
    main()
