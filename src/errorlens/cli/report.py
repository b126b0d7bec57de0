"""``errorlens report``: a static HTML page that summarises a JSONL log file.

Every line that carries an ``api_error`` object (as errorlens writes it) counts; other
lines are skipped and counted. The page is one self-contained file (inline CSS and SVG,
no script, no external asset) that can be mailed or attached to a ticket::

    $ errorlens report app.jsonl -o report.html

    >>> html = render_report(open("app.jsonl"))  # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import datetime as _dt
import html
import json
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from errorlens._internal.scrub import redact_text
from errorlens.cli.text import cap, printable

__all__ = ["render_report", "run_report"]

_TIME_KEYS = ("timestamp", "@timestamp", "time", "ts", "asctime", "created")
_TEXT_CAP = 400  # characters of any one value shown on the page
_MAX_GROUPS = 10_000  # distinct keys counted per table; bounds memory on hostile input
_MAX_MINUTES = 100_000
_MAX_SECONDS = 7_200  # distinct seconds kept: a log shorter than two hours, to the second
_MAX_REQUEST_IDS = 10_000
_SHOWN_ROWS = 25
_IDENT_CAP = 48
_SHOWN_REQUEST_IDS = 50
_MAX_BARS = 120
_MIN_BARS = 30  # fewer bars are drawn no wider than this many would be
# Bucket widths in seconds, finest first: the first giving at most _MAX_BARS bars is used.
_MINUTE, _HOUR, _DAY = 60, 3600, 86400
_STEPS: tuple[int, ...] = (1, 2, 5, 10, 15, 30)
_STEPS += (_MINUTE, 2 * _MINUTE, 5 * _MINUTE, 15 * _MINUTE, 30 * _MINUTE)
_STEPS += (_HOUR, 3 * _HOUR, 6 * _HOUR, 12 * _HOUR, _DAY, 7 * _DAY)
_EARLIEST = _dt.datetime(2, 1, 1, tzinfo=_dt.timezone.utc)


@dataclass
class _RequestSeen:
    count: int
    vendor: str
    status: str
    code: str
    message: str
    last_seen: _dt.datetime | None
    order: int


@dataclass
class _Summary:
    lines: int = 0
    malformed: int = 0
    without_error: int = 0
    errors: int = 0
    retryable: int = 0
    overflow: int = 0
    first: _dt.datetime | None = None
    last: _dt.datetime | None = None
    by_vendor: Counter[str] = field(default_factory=Counter)
    retryable_by_vendor: Counter[str] = field(default_factory=Counter)
    by_code: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    retryable_by_code: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    message_by_code: dict[tuple[str, str, str], str] = field(default_factory=dict)
    by_status: Counter[str] = field(default_factory=Counter)
    by_category: Counter[str] = field(default_factory=Counter)
    by_host: Counter[str] = field(default_factory=Counter)
    by_minute: Counter[int] = field(default_factory=Counter)
    retryable_by_minute: Counter[int] = field(default_factory=Counter)
    by_second: Counter[int] = field(default_factory=Counter)
    retryable_by_second: Counter[int] = field(default_factory=Counter)
    seconds_complete: bool = True
    request_ids: dict[str, _RequestSeen] = field(default_factory=dict)


def render_report(
    lines: Iterable[str], *, title: str = "API errors", source: str | None = None
) -> str:
    """The HTML page summarising the ``api_error`` lines among ``lines``.

    >>> from errorlens.cli.report import render_report
    >>> page = render_report(['{"api_error": {"vendor": "openai", "status": 429}}'])
    >>> "openai" in page
    True

    .. versionadded:: 0.1.0
    """
    summary = _summarise(lines)
    return _page(summary, title=title, source=source)


def run_report(argv: Sequence[str] | None = None) -> int:
    """``errorlens report LOG.jsonl [-o report.html]``; returns the exit code.

    .. versionadded:: 0.1.0
    """
    parser = argparse.ArgumentParser(
        prog="errorlens report",
        description="Summarise the API errors in a JSONL log file as a static HTML page.",
    )
    parser.add_argument("log", help="JSON-lines log file written by errorlens ('-' for stdin)")
    parser.add_argument("-o", "--output", help="HTML file to write (default: standard output)")
    parser.add_argument("--title", default="API errors", help="page title")
    args = parser.parse_args(list(argv) if argv is not None else None)

    source = "standard input" if args.log == "-" else args.log
    try:
        if args.log == "-":
            page = render_report(sys.stdin, title=args.title, source=source)
        else:
            with open(args.log, encoding="utf-8", errors="replace") as log_file:
                page = render_report(log_file, title=args.title, source=source)
    except OSError as exc:
        print(f"errorlens report: cannot read {args.log}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    if not args.output:
        sys.stdout.write(page)
        return 0
    try:
        with open(args.output, "w", encoding="utf-8") as out:
            out.write(page)
    except OSError as exc:
        print(
            f"errorlens report: cannot write {args.output}: {exc.strerror or exc}", file=sys.stderr
        )
        return 2
    print(f"errorlens report: wrote {args.output}", file=sys.stderr)
    return 0


# -- reading ------------------------------------------------------------------------


def _summarise(lines: Iterable[str]) -> _Summary:
    summary = _Summary()
    for order, raw in enumerate(lines):
        line = raw.strip() if isinstance(raw, str) else ""
        if not line:
            continue
        summary.lines += 1
        try:
            obj = json.loads(line)
        except (ValueError, RecursionError):
            summary.malformed += 1
            continue
        error = _api_error(obj)
        if error is None:
            summary.without_error += 1
            continue
        _count(summary, obj, error, order)
    return summary


def _api_error(obj: Any) -> dict[str, Any] | None:
    if not isinstance(obj, dict):
        return None
    nested = obj.get("api_error")
    if isinstance(nested, dict):
        return nested
    # Flattened attributes, as an OpenTelemetry log exporter writes them.
    flat = {
        key[len("api_error.") :]: value
        for key, value in obj.items()
        if isinstance(key, str) and key.startswith("api_error.")
    }
    return flat or None


def _count(summary: _Summary, obj: dict[str, Any], error: dict[str, Any], order: int) -> None:
    summary.errors += 1
    vendor = _text(error.get("vendor")) or "unknown"
    status = _status(error.get("status"))
    code = _text(error.get("code")) or "-"
    message = _text(error.get("message"))
    retryable = error.get("retryable") is True
    when = _timestamp(obj)

    if when is not None:
        _count_time(summary, when, retryable)

    summary.retryable += retryable
    _add(summary, summary.by_vendor, vendor)
    if retryable and vendor in summary.by_vendor:
        summary.retryable_by_vendor[vendor] += 1
    key = (vendor, code, status)
    _add(summary, summary.by_code, key)
    if key in summary.by_code:
        if retryable:
            summary.retryable_by_code[key] += 1
        if message:
            summary.message_by_code[key] = message
    _add(summary, summary.by_status, status)
    _add(summary, summary.by_category, _text(error.get("category")) or "unknown")
    _add(summary, summary.by_host, _host(error.get("url")) or "unknown")

    request_id = _text(error.get("request_id"))
    if request_id:
        seen = summary.request_ids.get(request_id)
        if seen is not None:
            seen.count += 1
            seen.order = order
            seen.message = message or seen.message
            if when is not None:
                seen.last_seen = when
        elif len(summary.request_ids) < _MAX_REQUEST_IDS:
            summary.request_ids[request_id] = _RequestSeen(
                1, vendor, status, code, message, when, order
            )
        else:
            summary.overflow += 1


def _count_time(summary: _Summary, when: _dt.datetime, retryable: bool) -> None:
    summary.first = when if summary.first is None else min(summary.first, when)
    summary.last = when if summary.last is None else max(summary.last, when)
    second = int(when.timestamp())
    minute = second // 60
    if minute in summary.by_minute or len(summary.by_minute) < _MAX_MINUTES:
        summary.by_minute[minute] += 1
        summary.retryable_by_minute[minute] += retryable
    if second in summary.by_second or len(summary.by_second) < _MAX_SECONDS:
        summary.by_second[second] += 1
        summary.retryable_by_second[second] += retryable
    else:
        summary.seconds_complete = False


def _host(url: Any) -> str:
    """The host of the request's url (already redacted in the line), lowercase."""
    if not isinstance(url, str) or not url:
        return ""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def _add(summary: _Summary, counter: Counter[Any], key: Any) -> None:
    if key in counter or len(counter) < _MAX_GROUPS:
        counter[key] += 1
    else:
        summary.overflow += 1


def _text(value: Any) -> str:
    if value is None or isinstance(value, dict | list):
        return ""
    text = value if isinstance(value, str) else str(value)
    # The log may come from elsewhere, with keys in clear: redacted before the cut, so
    # no cut-off token slips past the patterns.
    return cap(redact_text(" ".join(text.split())), _TEXT_CAP)


def _status(value: Any) -> str:
    if isinstance(value, bool):
        return "-"
    if isinstance(value, int) and 0 <= value <= 999:
        return str(value)
    if isinstance(value, str) and value.isdigit() and len(value) == 3:
        return value
    return "-"


def _timestamp(obj: dict[str, Any]) -> _dt.datetime | None:
    for key in _TIME_KEYS:
        value = obj.get(key)
        if value is None:
            continue
        when = _parse_time(value)
        if when is not None:
            return when
    return None


def _parse_time(value: Any) -> _dt.datetime | None:
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            seconds = float(value)
            if seconds > 1e14:  # nanoseconds
                seconds /= 1e9
            elif seconds > 1e11:  # milliseconds
                seconds /= 1e3
            when = _dt.datetime.fromtimestamp(seconds, tz=_dt.timezone.utc)
        elif isinstance(value, str) and 10 <= len(value) <= 40:
            text = value.strip().replace(",", ".")
            if text.endswith(("Z", "z")):
                text = text[:-1] + "+00:00"
            when = _dt.datetime.fromisoformat(text)
            if when.tzinfo is None:
                when = when.replace(tzinfo=_dt.timezone.utc)
            when = when.astimezone(_dt.timezone.utc)
        else:
            return None
    except (ValueError, OverflowError, OSError):
        return None
    # The timeline reaches back some weeks before the first error: keep that in range.
    return when if when >= _EARLIEST else None


def _second_time(second: int) -> _dt.datetime | None:
    """The UTC time of a second since the epoch, None when the platform cannot say."""
    try:
        return _dt.datetime.fromtimestamp(second, tz=_dt.timezone.utc)
    except (ValueError, OverflowError, OSError):
        return None


# -- writing ------------------------------------------------------------------------


def _e(value: object) -> str:
    # Control characters are shown as escapes: a vendor's bytes never act on the page.
    return html.escape(printable(str(value)), quote=True)


def _pct(part: int, whole: int) -> str:
    if whole <= 0:
        return "-"
    share = 100.0 * part / whole
    return f"{share:.0f}%" if share >= 10 or share == 0 else f"{share:.1f}%"


def _when(value: _dt.datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value is not None else "-"


def _bar(count: int, top: int, tone: str = "") -> str:
    width = 100.0 * count / top if top else 0.0
    return f'<div class="bar"><span class="fill{tone}" style="width:{width:.1f}%"></span></div>'


def _status_tone(status: str) -> str:
    if status.startswith("5"):
        return " tone-5xx"
    if status == "429":
        return " tone-429"
    return ""


def _page(summary: _Summary, *, title: str, source: str | None) -> str:
    generated = _dt.datetime.now(_dt.timezone.utc)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        # No script and no fetch of anything: the page must be safe to open from a mail.
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)} · errorlens</title>",
        f"<style>{_CSS}</style></head><body><main>",
        '<header><div class="brand">errorlens report</div>',
        f"<h1>{_e(title)}</h1>",
        '<p class="meta">',
        f"Source <b>{_e(source)}</b> · " if source else "",
        f"generated {_e(_when(generated))}",
        (
            f" · errors from {_e(_when(summary.first))} to {_e(_when(summary.last))}"
            if summary.first is not None
            else ""
        ),
        "</p></header>",
        _cards(summary),
    ]
    if summary.errors == 0:
        parts.append(
            '<section><p class="empty">No line with an <code>api_error</code> object was found.'
            " Log API errors with errorlens (JSON output) and run the report on that file."
            "</p></section>"
        )
    else:
        parts += [
            _timeline(summary),
            '<div class="grid">',
            _count_table(
                "By vendor",
                "vendor",
                summary.by_vendor,
                _name,
                retryable=summary.retryable_by_vendor,
            ),
            _count_table("By HTTP status", "status", summary.by_status, _ident, tone=_status_tone),
            _count_table("By category", "category", summary.by_category, _ident),
            _count_table("By host", "host", summary.by_host, _name),
            "</div>",
            _code_table(summary),
            _request_table(summary),
        ]
    parts.append(_footer(summary))
    parts.append("</main></body></html>\n")
    return "".join(parts)


def _cards(summary: _Summary) -> str:
    cards = [
        ("API errors", f"{summary.errors:,}", f"in {summary.lines:,} log lines"),
        (
            "Retryable",
            _pct(summary.retryable, summary.errors),
            f"{summary.retryable:,} of {summary.errors:,}",
        ),
        ("Vendors", f"{len(summary.by_vendor) - ('unknown' in summary.by_vendor):,}", "named"),
        ("Error codes", f"{len(summary.by_code):,}", "vendor · code · status"),
    ]
    items = "".join(
        f'<div class="card"><div class="label">{_e(label)}</div>'
        f'<div class="value">{_e(value)}</div><div class="sub">{_e(sub)}</div></div>'
        for label, value, sub in cards
    )
    return f'<section class="cards">{items}</section>'


@dataclass(frozen=True)
class _Buckets:
    """The timeline's bars: ``totals[i]`` errors from ``start + i * step`` seconds."""

    start: int
    step: int
    totals: list[int]
    retryable: list[int]


def _series(summary: _Summary) -> tuple[Counter[int], Counter[int], int]:
    """Errors and retryable errors per time unit, and the unit in seconds (1 or 60)."""
    if summary.seconds_complete and summary.by_second:
        span = max(summary.by_second) - min(summary.by_second)
        if span <= _MAX_SECONDS:
            return summary.by_second, summary.retryable_by_second, 1
    return summary.by_minute, summary.retryable_by_minute, 60


def _buckets(summary: _Summary) -> _Buckets:
    """Bars that cover the errors' span, first to last, at the finest step that fits."""
    counts, retryable_counts, unit = _series(summary)
    first, last = min(counts) * unit, max(counts) * unit + unit - 1
    steps = [step for step in _STEPS if step % unit == 0]
    step = next((s for s in steps if (last - first) // s + 1 <= _MAX_BARS), steps[-1])
    start = first - first % step
    buckets = (last - start) // step + 1
    if buckets > _MAX_BARS * 4:  # a span of years: show the most recent part
        start = last - last % step - (_MAX_BARS - 1) * step
        buckets = _MAX_BARS
    totals, retryable = [0] * buckets, [0] * buckets
    for key, count in counts.items():
        index = (key * unit - start) // step
        if 0 <= index < buckets:
            totals[index] += count
            retryable[index] += retryable_counts.get(key, 0)
    return _Buckets(start, step, totals, retryable)


def _time_label(second: int, step: int, pattern: str) -> str:
    when = _second_time(second)
    if when is None:
        return "-"
    return when.strftime(pattern if step < 60 else pattern.replace(":%S", ""))


def _timeline(summary: _Summary) -> str:
    if not summary.by_minute:
        return (
            '<section><h2>Timeline</h2><p class="empty">The lines carry no timestamp'
            " (<code>timestamp</code>, <code>time</code>, <code>ts</code>, ...).</p></section>"
        )
    bars = _buckets(summary)
    width, height, pad_left, pad_bottom = 960, 180, 40, 22
    plot_w, plot_h = width - pad_left - 8, height - pad_bottom - 10
    # A short log keeps narrow bars: the plot ends where the last bar does.
    bar_w = plot_w / max(len(bars.totals), _MIN_BARS)
    shapes = _bar_shapes(bars, pad_left, bar_w, plot_h)
    axis = _axis(bars, pad_left, bar_w, plot_h, height)
    legend = (
        '<span class="key"><i class="swatch retryable"></i>retryable</span>'
        '<span class="key"><i class="swatch permanent"></i>not retryable</span>'
    )
    return (
        f'<section><h2>Timeline <span class="hint">errors per {_e(_unit(bars.step))}, UTC</span>'
        f'<span class="legend">{legend}</span></h2>'
        f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="errors over time">'
        f"{''.join(axis)}{''.join(shapes)}</svg></section>"
    )


def _unit(step: int) -> str:
    if step < 60:
        return "second" if step == 1 else f"{step} seconds"
    if step < 3600:
        return "minute" if step == 60 else f"{step // 60} minutes"
    return f"{step // 3600} h"


def _bar_shapes(bars: _Buckets, pad_left: int, bar_w: float, plot_h: int) -> list[str]:
    top = max(bars.totals) or 1
    shapes: list[str] = []
    for index, total in enumerate(bars.totals):
        if not total:
            continue
        x = pad_left + index * bar_w
        h_total = plot_h * total / top
        h_retry = plot_h * bars.retryable[index] / top
        when = _time_label(bars.start + index * bars.step, bars.step, "%Y-%m-%d %H:%M:%S UTC")
        tip = f"{when}: {total} errors, {bars.retryable[index]} retryable"
        top_y, retry_y = 10 + plot_h - h_total, 10 + plot_h - h_retry
        shapes.append(
            f"<g><title>{_e(tip)}</title>"
            f"{_rect(x, top_y, bar_w, h_total - h_retry, 'permanent')}"
            f"{_rect(x, retry_y, bar_w, h_retry, 'retryable')}</g>"
        )
    return shapes


def _axis(bars: _Buckets, pad_left: int, bar_w: float, plot_h: int, height: int) -> list[str]:
    count = len(bars.totals)
    right = pad_left + count * bar_w
    axis = [
        f'<line x1="{pad_left}" y1="{10 + plot_h}" x2="{right:.1f}" y2="{10 + plot_h}"'
        ' class="axis"/>',
        f'<text x="{pad_left - 6}" y="16" class="tick" text-anchor="end">{max(bars.totals)}</text>',
        f'<text x="{pad_left - 6}" y="{10 + plot_h}" class="tick" text-anchor="end">0</text>',
    ]
    # The left label is where the first bar starts, the right one where the last bar ends.
    ticks: list[tuple[int, str, float, int]] = [(0, "start", pad_left, bars.start)]
    if count > 2:
        middle = count // 2
        ticks.append((1, "middle", pad_left + middle * bar_w, bars.start + middle * bars.step))
    ticks.append((2, "end", right, bars.start + count * bars.step))
    for _, anchor, x, second in ticks:
        label = _time_label(second, bars.step, "%m-%d %H:%M:%S")
        axis.append(
            f'<text x="{x:.1f}" y="{height - 4}" class="tick" text-anchor="{anchor}">'
            f"{_e(label)}</text>"
        )
    return axis


def _rect(x: float, y: float, bar_w: float, height: float, tone: str) -> str:
    return (
        f'<rect x="{x + 0.5:.1f}" y="{y:.1f}" width="{max(bar_w - 1, 1):.1f}"'
        f' height="{height:.1f}" class="{tone}"/>'
    )


def _count_table(
    heading: str,
    column: str,
    counter: Counter[str],
    cell: Callable[[str], str],
    *,
    tone: Callable[[str], str] | None = None,
    retryable: Counter[str] | None = None,
) -> str:
    """Errors per key, most first, with a bar and, given ``retryable``, its share."""
    rows = counter.most_common(_SHOWN_ROWS)
    top = rows[0][1] if rows else 0
    body = "".join(
        f'<tr><td>{cell(key)}</td><td class="num">{count:,}</td>'
        f'<td class="wide">{_bar(count, top, tone(key) if tone else "")}</td>'
        + (
            f'<td class="num">{_pct(retryable.get(key, 0), count)}</td>'
            if retryable is not None
            else ""
        )
        + "</tr>"
        for key, count in rows
    )
    retry_head = '<th class="num">retryable</th>' if retryable is not None else ""
    return (
        f"<section><h2>{heading}</h2><table><thead><tr><th>{column}</th>"
        f'<th class="num">errors</th><th></th>{retry_head}</tr></thead>'
        f"<tbody>{body}</tbody></table>{_more(len(counter), len(rows))}</section>"
    )


def _code_table(summary: _Summary) -> str:
    rows = summary.by_code.most_common(_SHOWN_ROWS)
    body = "".join(
        f"<tr><td>{_name(vendor)}</td><td>{_ident(code)}</td>"
        f'<td>{_ident(status)}</td><td class="num">{count:,}</td>'
        f'<td class="num">{_pct(summary.retryable_by_code.get(key, 0), count)}</td>'
        f'<td class="msg">{_clamped(summary.message_by_code.get(key, ""))}</td></tr>'
        for key, count in rows
        for vendor, code, status in (key,)
    )
    return (
        '<section><h2>By error code <span class="hint">most frequent first; the message'
        " is the latest seen</span></h2><table><thead><tr><th>vendor</th><th>code</th>"
        '<th>status</th><th class="num">errors</th><th class="num">retryable</th>'
        f"<th>message</th></tr></thead><tbody>{body}</tbody></table>"
        f"{_more(len(summary.by_code), len(rows))}</section>"
    )


def _request_table(summary: _Summary) -> str:
    if not summary.request_ids:
        return (
            '<section><h2>Request ids</h2><p class="empty">No error carried a vendor'
            " request id.</p></section>"
        )
    latest = sorted(summary.request_ids.items(), key=_recency, reverse=True)
    rows = latest[:_SHOWN_REQUEST_IDS]
    body = "".join(
        f'<tr><td>{_ident(request_id)}</td><td class="num">{seen.count:,}</td>'
        f"<td>{_name(seen.vendor)}</td><td>{_ident(seen.status)}</td>"
        f'<td>{_ident(seen.code)}</td><td class="msg">{_clamped(seen.message)}</td>'
        f'<td class="time">{_e(_short_when(seen.last_seen))}</td></tr>'
        for request_id, seen in rows
    )
    return (
        '<section><h2>Request ids <span class="hint">latest first (UTC): quote them to the'
        " vendor's support</span></h2><table><thead><tr><th>request id</th>"
        '<th class="num">seen</th><th>vendor</th><th>status</th><th>code</th><th>message</th>'
        f"<th>last seen</th></tr></thead><tbody>{body}</tbody></table>"
        f"{_more(len(summary.request_ids), len(rows))}</section>"
    )


def _recency(item: tuple[str, _RequestSeen]) -> tuple[float, int]:
    seen = item[1]
    return (seen.last_seen.timestamp() if seen.last_seen is not None else 0.0, seen.order)


def _ident(value: str) -> str:
    # Codes, statuses and ids stay on one line; a hostile long one is cut, not wrapped.
    return f'<code class="id">{_e(cap(value, _IDENT_CAP))}</code>'


def _name(value: str) -> str:
    return f'<span class="name">{_e(cap(value, _IDENT_CAP))}</span>'


def _clamped(message: str) -> str:
    # Two lines on the page; the whole (capped) text on hover.
    return f'<div class="clamp" title="{_e(message)}">{_e(message)}</div>'


def _short_when(value: _dt.datetime | None) -> str:
    return value.strftime("%m-%d %H:%M:%S") if value is not None else "-"


def _more(total: int, shown: int) -> str:
    if total <= shown:
        return ""
    return f'<p class="more">and {total - shown:,} more</p>'


def _footer(summary: _Summary) -> str:
    notes = []
    if summary.without_error:
        notes.append(f"{summary.without_error:,} lines without an api_error object")
    if summary.malformed:
        notes.append(f"{summary.malformed:,} lines that are not JSON")
    if summary.overflow:
        notes.append(f"{summary.overflow:,} values beyond the counting limits")
    skipped = f"Skipped: {'; '.join(notes)}. " if notes else ""
    return f"<footer>{_e(skipped)}Made by errorlens from a JSONL log file.</footer>"


_CSS = """
:root{--ink:#1d2330;--mute:#667085;--line:#e4e7ec;--bg:#f6f7f9;--card:#fff;
--accent:#3b6fd8;--warn:#e08a1e;--bad:#d14343;--ok:#7c8aa5}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);
font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif}
main{max-width:1120px;margin:0 auto;padding:28px 24px 40px}
header{margin-bottom:18px}
.brand{color:var(--accent);font-weight:600;font-size:12px;letter-spacing:.08em;
text-transform:uppercase}
h1{margin:4px 0 4px;font-size:26px}
.meta{margin:0;color:var(--mute)}
h2{font-size:15px;margin:0 0 10px;display:flex;gap:10px;align-items:baseline;flex-wrap:wrap}
.hint{font-weight:400;color:var(--mute);font-size:12px}
.legend{margin-left:auto;font-weight:400;font-size:12px;color:var(--mute)}
.key{margin-left:12px}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px;
vertical-align:-1px}
section{background:var(--card);border:1px solid var(--line);border-radius:10px;
padding:16px 18px;margin:0 0 16px;overflow-x:auto}
.cards{display:grid;grid-template-columns:repeat(4,1fr);gap:12px;background:none;
border:0;padding:0}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:14px 16px}
.card .label{color:var(--mute);font-size:12px;text-transform:uppercase;letter-spacing:.05em}
.card .value{font-size:28px;font-weight:650;margin:2px 0}
.card .sub{color:var(--mute);font-size:12px}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:16px}
.grid section{margin:0 0 16px}
table{border-collapse:collapse;width:100%}
th{text-align:left;font-weight:600;color:var(--mute);font-size:12px;
border-bottom:1px solid var(--line);padding:6px 8px}
td{border-bottom:1px solid var(--line);padding:6px 8px;vertical-align:top}
tr:last-child td{border-bottom:0}
.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
td.wide{width:45%;vertical-align:middle}
td.msg{overflow-wrap:anywhere;min-width:220px}
.clamp{display:-webkit-box;-webkit-line-clamp:2;-webkit-box-orient:vertical;overflow:hidden}
.name{white-space:nowrap}
td.time{white-space:nowrap;color:var(--mute)}
code{font:12.5px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-wrap:anywhere}
code.id{white-space:nowrap;overflow-wrap:normal}
.bar{background:#eef1f6;border-radius:3px;height:10px;min-width:80px}
.fill{display:block;height:10px;border-radius:3px;background:var(--accent)}
.fill.tone-5xx{background:var(--bad)}
.fill.tone-429{background:var(--warn)}
svg{width:100%;height:auto;display:block}
svg .retryable,.swatch.retryable{fill:var(--warn);background:var(--warn)}
svg .permanent,.swatch.permanent{fill:var(--accent);background:var(--accent)}
svg .axis{stroke:var(--line)}
svg .tick{fill:var(--mute);font-size:11px}
.empty{color:var(--mute);margin:0}
.more{color:var(--mute);font-size:12px;margin:8px 0 0}
footer{color:var(--mute);font-size:12px;margin-top:8px}
@media (max-width:760px){.cards{grid-template-columns:1fr 1fr}.grid{grid-template-columns:1fr}}
"""
