"""``errorlens report``: the static HTML summary of a JSONL log file."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from errorlens.cli.report import render_report, run_report

# Everything the page may contain: no script, no link, no image, no form.
ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "main", "header", "div", "h1", "h2",
    "p", "b", "section", "span", "table", "thead", "tbody", "tr", "th", "td", "code", "svg",
    "g", "rect", "line", "text", "i", "footer",
}  # fmt: skip


class _Page(HTMLParser):
    """Tags, attributes, the cells of each section's table and the SVG tooltips."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.tables: dict[str, list[list[str]]] = {}
        self.tooltips: list[str] = []
        self.cards: dict[str, str] = {}
        self._heading: str | None = None
        self._in_h2 = False
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._in_tbody = False
        self._svg_title: list[str] | None = None
        self._in_svg = False
        self._card_class: str | None = None
        self._card_label = ""
        self._text: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))
        classes = dict(attrs).get("class") or ""
        if tag == "h2":
            self._in_h2 = True
            self._heading = ""
        elif tag == "tbody":
            self._in_tbody = True
            assert self._heading is not None
            self.tables[self._heading] = []
        elif tag == "tr" and self._in_tbody:
            self._row = []
        elif tag == "td" and self._row is not None:
            self._cell = []
        elif tag == "svg":
            self._in_svg = True
        elif tag == "title" and self._in_svg:
            self._svg_title = []
        elif tag == "div" and classes in ("label", "value"):
            self._card_class = classes
            self._text = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "h2":
            self._in_h2 = False
        elif tag == "tbody":
            self._in_tbody = False
        elif tag == "tr" and self._row is not None:
            assert self._heading is not None
            self.tables[self._heading].append(self._row)
            self._row = None
        elif tag == "td" and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "svg":
            self._in_svg = False
        elif tag == "title" and self._svg_title is not None:
            self.tooltips.append("".join(self._svg_title))
            self._svg_title = None
        elif tag == "div" and self._card_class is not None and self._text is not None:
            text = "".join(self._text).strip()
            if self._card_class == "label":
                self._card_label = text
            else:
                self.cards[self._card_label] = text
            self._card_class = None
            self._text = None

    def handle_data(self, data: str) -> None:
        if self._in_h2 and self._heading is not None and not self.tables.get(self._heading):
            # The heading's own text, without its hint span.
            if not self._heading:
                self._heading = data.strip()
        if self._cell is not None:
            self._cell.append(data)
        if self._svg_title is not None:
            self._svg_title.append(data)
        if self._text is not None:
            self._text.append(data)


def _parse(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    parser.close()
    return parser


def _line(minute: int, second: int = 0, **api_error: Any) -> str:
    return json.dumps(
        {
            "timestamp": f"2024-05-13T09:{minute:02d}:{second:02d}Z",
            "level": "error",
            "event": "call failed",
            "api_error": api_error,
        }
    )


def _sample() -> tuple[list[str], list[dict[str, Any]]]:
    errors = []
    for i in range(12):
        errors.append(
            {"vendor": "openai", "status": 429, "code": "rate_limit_exceeded",
             "retryable": True, "request_id": f"req_{i}", "message": "slow down"}
        )  # fmt: skip
    for i in range(5):
        errors.append(
            {"vendor": "stripe", "status": 402, "code": "card_declined",
             "retryable": False, "request_id": f"ch_{i}", "message": "declined"}
        )  # fmt: skip
    for _ in range(3):
        errors.append({"status": 502, "retryable": True, "message": "502 Bad Gateway"})
    lines = [_line(i % 4, i, **error) for i, error in enumerate(errors)]
    return lines, errors


def test_counts_by_vendor_status_and_code() -> None:
    lines, errors = _sample()
    noise = ['{"event": "started"}', "not json at all", "", "[1, 2]"]
    page = _parse(render_report(noise + lines, source="app.jsonl"))

    assert page.cards["API errors"] == str(len(errors))
    retryable = sum(e["retryable"] for e in errors)
    assert page.cards["Retryable"] == f"{100 * retryable / len(errors):.0f}%"
    assert page.cards["Vendors"] == "2"  # "unknown" is not a vendor

    vendors = {row[0]: int(row[1]) for row in page.tables["By vendor"]}
    expected = Counter(e.get("vendor", "unknown") for e in errors)
    assert vendors == dict(expected)
    # Rows are most frequent first.
    assert [row[0] for row in page.tables["By vendor"]] == [v for v, _ in expected.most_common()]
    retry_share = {row[0]: row[3] for row in page.tables["By vendor"]}
    assert retry_share == {"openai": "100%", "stripe": "0%", "unknown": "100%"}

    statuses = {row[0]: int(row[1]) for row in page.tables["By HTTP status"]}
    assert statuses == dict(Counter(str(e["status"]) for e in errors))

    codes = {(row[0], row[1], row[2]): int(row[3]) for row in page.tables["By error code"]}
    assert codes == {
        ("openai", "rate_limit_exceeded", "429"): 12,
        ("stripe", "card_declined", "402"): 5,
        ("unknown", "-", "502"): 3,
    }

    request_rows = page.tables["Request ids"]
    assert {row[0] for row in request_rows} == {
        e["request_id"] for e in errors if "request_id" in e
    }
    # Latest first: the last line's request id leads.
    last_with_id = max(
        (i for i, e in enumerate(errors) if "request_id" in e), key=lambda i: (i % 4, i)
    )
    assert request_rows[0][0] == errors[last_with_id]["request_id"]

    footer = re.search(r"<footer>(.*?)</footer>", render_report(noise + lines)).group(1)
    assert "2 lines without an api_error object" in footer
    assert "1 lines that are not JSON" in footer


def _timeline(page_text: str) -> tuple[int, list[str], dict[dt.datetime, tuple[int, int]]]:
    """The bucket width in seconds, the axis labels, and (total, retryable) per bar."""
    hint = re.search(r"errors per (\d+ )?(second|minute)s?", page_text)
    assert hint, "no timeline"
    step = int(hint.group(1) or 1) * (60 if hint.group(2) == "minute" else 1)
    svg = page_text[page_text.index("<svg") :]
    labels = re.findall(r'class="tick" text-anchor="(?:start|middle|end)">([^<]+)<', svg)
    bars = {}
    for tooltip in _parse(page_text).tooltips:
        found = re.fullmatch(r"(.+) UTC: (\d+) errors, (\d+) retryable", tooltip)
        assert found, tooltip
        text = found.group(1)
        pattern = "%Y-%m-%d %H:%M:%S" if text.count(":") == 2 else "%Y-%m-%d %H:%M"
        when = dt.datetime.strptime(text, pattern).replace(tzinfo=dt.timezone.utc)
        bars[when] = (int(found.group(2)), int(found.group(3)))
    return step, labels, bars


def test_timeline_counts_errors_per_bucket() -> None:
    lines, errors = _sample()
    step, _, bars = _timeline(render_report(lines))
    assert step == 2  # 3 min 19 s of errors: at most 120 bars
    expected: Counter[dt.datetime] = Counter()
    retryable: Counter[dt.datetime] = Counter()
    for i, error in enumerate(errors):
        when = dt.datetime(2024, 5, 13, 9, i % 4, i - i % step, tzinfo=dt.timezone.utc)
        expected[when] += 1
        retryable[when] += error["retryable"]
    assert bars == {when: (expected[when], retryable[when]) for when in expected}


def test_timeline_of_a_short_log_spans_seconds_not_half_an_hour() -> None:
    # Four seconds of errors: the axis runs from the first error's second to the last's.
    lines = [_line(7, second, vendor="openai", status=429, retryable=True) for second in range(5)]
    step, labels, bars = _timeline(render_report(lines))
    assert step == 1
    # The y axis (top, 0), then the x axis: first bar's start, middle, last bar's end.
    assert labels == ["1", "0", "05-13 09:07:00", "05-13 09:07:02", "05-13 09:07:05"]
    assert sorted(bars) == [
        dt.datetime(2024, 5, 13, 9, 7, s, tzinfo=dt.timezone.utc) for s in range(5)
    ]


def test_timeline_of_hours_uses_minutes() -> None:
    lines = [
        json.dumps({"timestamp": f"2024-05-13T{hour:02d}:{minute:02d}:00Z",
                    "api_error": {"vendor": "openai", "status": 429, "retryable": True}})
        for hour in (9, 10, 11, 12) for minute in (0, 30)
    ]  # fmt: skip
    step, labels, bars = _timeline(render_report(lines))
    assert step == 120  # 3 h 30 min in at most 120 bars
    assert (labels[2], labels[-1]) == ("05-13 09:00", "05-13 12:32")
    assert sum(total for total, _ in bars.values()) == len(lines)


def test_hostile_values_are_escaped() -> None:
    hostile = {
        "vendor": "<script>alert(1)</script>",
        "status": 400,
        "code": '"><img src=x onerror=alert(1)>',
        "message": "</td></tr></table><iframe src=//evil>& <b>bold</b>",
        "request_id": "<a href='javascript:alert(1)'>x</a>",
        "retryable": False,
    }
    page_text = render_report([_line(1, **hostile)], title="<svg onload=alert(1)>")
    page = _parse(page_text)

    for tag, attrs in page.tags:
        assert tag in ALLOWED_TAGS, tag
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            assert "javascript:" not in (value or "")
    assert "<script" not in page_text and "<img" not in page_text and "<iframe" not in page_text
    # The values are shown as text, intact.
    assert page.tables["By vendor"][0][0] == hostile["vendor"]
    row = page.tables["By error code"][0]
    assert row[1] == hostile["code"]
    assert row[5] == " ".join(hostile["message"].split())
    assert page.tables["Request ids"][0][0] == hostile["request_id"]
    # No script may run even if an escape were missed.
    assert "default-src 'none'" in page_text


def test_control_characters_are_shown_as_escapes() -> None:
    hostile = {
        "vendor": "acme\x07",
        "status": 500,
        "code": "E\x1b[2J",
        "message": "first\u202eline\x9b",
        "request_id": "req\n1\x00",
        "retryable": False,
    }
    page_text = render_report([_line(1, **hostile)], title="t\x1b]0;pwned\x07")
    controls = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]")
    assert not controls.search(page_text)
    page = _parse(page_text)
    assert page.tables["By vendor"][0][0] == "acme\\x07"
    row = page.tables["By error code"][0]
    assert row[1] == "E\\x1b[2J"
    assert row[5] == "first\\u202eline\\x9b"
    # Whitespace in values folds to one space, as before; NUL shows as an escape.
    assert page.tables["Request ids"][0][0] == "req 1\\x00"
    assert "t\\x1b]0;pwned\\x07" in page_text


@pytest.mark.parametrize(
    "line",
    [
        "[" * 100_000 + "]" * 100_000,  # deeper than the JSON decoder's recursion limit
        '{"api_error": "not an object"}',
        '{"api_error": {"status": "four hundred", "vendor": ["a"], "retryable": "yes"}}',
        '{"api_error": {"status": true, "message": {"nested": 1}}, "timestamp": "yesterday"}',
        '{"api_error": {}, "timestamp": 1e400}',
        "\ud800 not utf-8 clean",
    ],
)
def test_odd_lines_never_break_the_report(line: str) -> None:
    page = render_report([line, _line(0, vendor="openai", status=429, retryable=True)])
    parsed = _parse(page)
    vendors = {row[0]: row[1] for row in parsed.tables["By vendor"]}
    assert vendors["openai"] == "1"
    # An odd api_error object still counts, as an error of an unknown vendor.
    counted = '"api_error": {' in line
    assert parsed.cards["API errors"] == ("2" if counted else "1")
    assert set(vendors) == ({"openai", "unknown"} if counted else {"openai"})


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00Z", -62135596800])
def test_a_year_one_timestamp_is_skipped(when: str | int) -> None:
    # The timeline reaches back before the first error: year 1 would leave datetime's range.
    line = json.dumps({"timestamp": when, "api_error": {"vendor": "openai"}})
    page = _parse(render_report([line]))
    assert page.cards["API errors"] == "1"
    assert page.tooltips == []


def test_values_are_capped() -> None:
    huge = "x" * 100_000
    page = render_report([_line(0, vendor="v", status=500, message=huge, request_id=huge)])
    assert len(page) < 40_000


def test_flattened_attributes_and_epoch_timestamps() -> None:
    lines = [
        json.dumps({"time": 1715590800, "api_error.vendor": "github", "api_error.status": 422,
                    "api_error.code": "missing_field", "api_error.retryable": False}),
        json.dumps({"ts": 1715590800_000, "api_error": {"vendor": "github", "status": 422}}),
    ]  # fmt: skip
    page = _parse(render_report(lines))
    assert page.tables["By vendor"] == [["github", "2", "", "0%"]]
    assert page.tooltips == ["2024-05-13 09:00:00 UTC: 2 errors, 0 retryable"]


def test_no_errors_says_so() -> None:
    page = render_report(['{"event": "hello"}'])
    assert "No line with an <code>api_error</code> object was found" in page
    assert _parse(page).cards["API errors"] == "0"


def test_run_report_writes_the_page(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines, errors = _sample()
    log = tmp_path / "app.jsonl"
    log.write_text("\n".join(lines) + "\n")
    out = tmp_path / "report.html"
    assert run_report([str(log), "-o", str(out), "--title", "Checkout <prod>"]) == 0
    page = out.read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert "Checkout &lt;prod&gt;" in page
    assert _parse(page).cards["API errors"] == str(len(errors))
    assert "wrote" in capsys.readouterr().err


def test_run_report_to_stdout_and_missing_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "app.jsonl"
    log.write_text(_line(0, vendor="openai", status=429, retryable=True) + "\n")
    assert run_report([str(log)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("<!DOCTYPE html>") and "openai" in printed

    assert run_report([str(tmp_path / "missing.jsonl")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_secrets_in_the_input_log_stay_out_of_the_page(tmp_path: Path) -> None:
    # A log written by another tool (or an older errorlens) may hold keys in clear.
    openai_key = "sk-proj-InputLogKey0123456789abcdef"
    bearer = "InputLogBearer0987654321"
    long_message = "x" * 300 + f" retried with {openai_key}"
    lines = [
        _line(
            1,
            vendor="openai",
            status=401,
            code="invalid_api_key",
            message=f"Incorrect API key provided: {openai_key}. Header: Bearer {bearer}",
            request_id=f"Bearer {bearer}",
            retryable=False,
        ),
        _line(2, vendor="openai", status=401, code=openai_key, message=long_message),
    ]
    log = tmp_path / "app.jsonl"
    log.write_text("\n".join(lines) + "\n")
    out = tmp_path / "report.html"
    assert run_report([str(log), "-o", str(out)]) == 0
    page = out.read_text()
    assert "Incorrect API key provided" in page
    for secret in (openai_key, bearer, openai_key[:16]):
        assert secret not in page
    assert "[REDACTED]" in page


def test_groups_by_category_and_host() -> None:
    errors = [
        {"vendor": "openai", "status": 429, "code": "rate_limit_exceeded",
         "category": "rate_limit", "url": "https://api.openai.com/v1/chat/completions"},
        {"vendor": "openai", "status": 401, "code": "invalid_api_key",
         "category": "auth", "url": "https://API.openai.com/v1/models"},
        {"vendor": "stripe", "status": 402, "code": "card_declined",
         "category": "payment", "url": "https://api.stripe.com/v1/charges?key=[REDACTED]"},
        {"status": 502, "message": "502 Bad Gateway"},  # an older line: no category, no url
    ]  # fmt: skip
    page = _parse(render_report([_line(0, i, **e) for i, e in enumerate(errors)]))
    categories = {row[0]: int(row[1]) for row in page.tables["By category"]}
    assert categories == {"rate_limit": 1, "auth": 1, "payment": 1, "unknown": 1}
    hosts = {row[0]: int(row[1]) for row in page.tables["By host"]}
    assert hosts == {"api.openai.com": 2, "api.stripe.com": 1, "unknown": 1}
