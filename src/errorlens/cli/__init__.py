"""The ``errorlens`` command: explain a saved error response, run the demo, render a report.

curl -si https://api.example.com/v1/thing > error.txt
errorlens explain error.txt
errorlens explain --status 429 --header "Retry-After: 3" body.json --json

Exit codes: 0 an API error was read, 1 the input holds none, 2 bad input (a file that
cannot be read, a malformed option).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any, TextIO

import errorlens
from errorlens import ErrorRecord
from errorlens._internal.categories import code_info
from errorlens.cli.text import json_text, printable

__all__ = ["EXIT_BAD_INPUT", "EXIT_FOUND", "EXIT_NOT_FOUND", "main", "parse_raw_response"]

EXIT_FOUND = 0
EXIT_NOT_FOUND = 1
EXIT_BAD_INPUT = 2

_READ_LIMIT = 1024 * 1024


def parse_raw_response(raw: bytes) -> tuple[int | None, list[tuple[str, str]], bytes]:
    """Split a saved HTTP response (``curl -si`` output) into status, headers and body.

    Input without a status line is taken as a bare body. Interim responses
    (``100 Continue``) and the headers of redirects followed by ``curl -L`` are skipped:
    the last response wins.
    """
    rest = raw.lstrip(b"\r\n")
    status: int | None = None
    headers: list[tuple[str, str]] = []
    while rest.startswith(b"HTTP/"):
        head, sep, body = _split_head(rest)
        lines = head.decode("latin-1").splitlines()
        status_parts = lines[0].split(None, 2) if lines else []
        try:
            status = int(status_parts[1]) if len(status_parts) > 1 else None
        except ValueError:
            status = None
        headers = [pair for line in lines[1:] if (pair := _header_pair(line)) is not None]
        rest = body if sep else b""
        if not rest.lstrip(b"\r\n").startswith(b"HTTP/"):
            break
        rest = rest.lstrip(b"\r\n")
    else:
        return None, [], raw
    return status, headers, rest


def _header_pair(line: str) -> tuple[str, str] | None:
    """``Name: value`` as ``(name, value)``; None without a colon or a name."""
    name, colon, value = line.partition(":")
    return (name.strip(), value.strip()) if colon and name.strip() else None


def _split_head(data: bytes) -> tuple[bytes, bytes, bytes]:
    crlf = data.find(b"\r\n\r\n")
    lf = data.find(b"\n\n")
    if crlf >= 0 and (lf < 0 or crlf < lf):
        return data[:crlf], b"\r\n\r\n", data[crlf + 4 :]
    if lf >= 0:
        return data[:lf], b"\n\n", data[lf + 2 :]
    return data, b"", b""


def _read_input(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read(_READ_LIMIT)
    with open(path, "rb") as handle:
        return handle.read(_READ_LIMIT)


def _header_option(text: str) -> tuple[str, str]:
    """``--header "Name: value"``; anything else is a usage error (exit 2)."""
    pair = _header_pair(text)
    if pair is None:
        raise argparse.ArgumentTypeError(f"expected 'Name: value', got {printable(text)!r}")
    return pair


def _explanation(record: ErrorRecord) -> dict[str, Any]:
    """What the vendor's documentation says about the record's code, when errorlens knows."""
    info = code_info(record.vendor, record.code)
    if info is None:
        return {}
    found = {"meaning": info.meaning, "docs": info.doc_url}
    return {key: value for key, value in found.items() if value}


def _render_table(record: ErrorRecord, out: TextIO) -> None:
    data = record.as_dict()
    data.update(_explanation(record))
    fields = data.pop("fields", None)
    details = data.pop("details", None)
    width = max((len(k) for k in data), default=8)
    for key, value in data.items():
        out.write(f"{key:<{width}}  {printable(str(value))}\n")
    if fields:
        out.write(f"{'fields':<{width}}\n")
        for item in fields:
            message = item.get("message")
            line = f"{item['field']}" + (f": {message}" if message else "")
            out.write(f"  - {printable(line)}\n")
    if details is not None:
        text = json_text(details)  # control characters escaped inside the strings
        out.write(f"{'details':<{width}}  " + text.replace("\n", "\n  ") + "\n")


def _holds_api_error(record: ErrorRecord, body: bytes) -> bool:
    """An error status, a code, fields, or a message read from a JSON or XML body."""
    if record.status is not None and record.status >= 400:
        return True
    if record.code or record.type or record.fields:
        return True
    if not record.message:
        return False
    try:
        start = body.decode("utf-8").lstrip()[:1]
    except UnicodeDecodeError:
        return False
    return start in ("{", "[", "<")


def _explain(args: argparse.Namespace, out: TextIO) -> int:
    name = "standard input" if args.file == "-" else args.file
    try:
        raw = _read_input(args.file)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        sys.stderr.write(f"errorlens explain: cannot read {printable(name)}: {reason}\n")
        return EXIT_BAD_INPUT
    status, headers, body = parse_raw_response(raw)
    if args.status is not None:
        status = args.status
    headers += args.header or []
    record = errorlens.from_http(status, headers, body, url=args.url, method=args.method)
    if not _holds_api_error(record, body):
        what = "an empty input" if not raw.strip() else printable(name)
        sys.stderr.write(
            f"errorlens explain: no API error found in {what}"
            " (no error status, code or error body; give --status for a bare body)\n"
        )
        return EXIT_NOT_FOUND
    if args.json:
        out.write(json_text({**record.as_dict(), **_explanation(record)}) + "\n")
    else:
        _render_table(record, out)
    return EXIT_FOUND


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="errorlens",
        description="Structured records for any vendor's API errors.",
        epilog="exit codes: 0 an API error was read, 1 none found, 2 bad input",
    )
    parser.add_argument("--version", action="version", version=f"errorlens {errorlens.__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    explain = sub.add_parser(
        "explain", help="read a saved HTTP error response (curl -si output) or a bare body"
    )
    explain.add_argument("file", nargs="?", default="-", help="file to read, or - for stdin")
    explain.add_argument("--status", type=int, help="HTTP status, for a bare body")
    explain.add_argument(
        "--header",
        action="append",
        type=_header_option,
        metavar="'NAME: VALUE'",
        help="a response header (repeatable)",
    )
    explain.add_argument("--url", help="the request's url (names the vendor)")
    explain.add_argument("--method", help="the request's method")
    explain.add_argument("--json", action="store_true", help="print the record as JSON")
    sub.add_parser("demo", help="run the demo against a local vendor emulator", add_help=False)
    sub.add_parser("report", help="render a static HTML report of a JSONL log", add_help=False)
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Entry point of the ``errorlens`` command."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    stream = out or sys.stdout
    if args_list and args_list[0] in ("demo", "report"):
        return _delegate(args_list[0], args_list[1:])
    args = _parser().parse_args(args_list)
    return _explain(args, stream)


def _delegate(command: str, rest: list[str]) -> int:
    runner: Any
    if command == "demo":
        from errorlens.cli.demo import run_demo as runner
    else:
        from errorlens.cli.report import run_report as runner
    return int(runner(rest))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
