"""What an HTML page or a one-line text body says beyond its title.

- A page whose ``<title>``/``<h1>`` only repeats the reason phrase ("502 Bad Gateway")
  says its own sentence in a ``<pre>``, its first ``<p>`` or an error ``<div>``.
- A proxy's or CDN's page prints a reference id ("Reference #18.2d351ab8...",
  "Ray ID: 8f1b...", "Incident ID: ...") that support asks for: the request id.
- A one-line text body may lead with a code: ``invalid_grant: ...``,
  ``ERROR 1045 (28000): Access denied ...``, ``Code: 60. DB::Exception: ...``.

Every pattern here is anchored on a literal or bounded, and runs over a window of at
most ``MARKUP_WINDOW`` characters: linear in what is read.
"""

from __future__ import annotations

import html
import re
from http import HTTPStatus

__all__ = [
    "labelled_code",
    "line_code",
    "only_reason_phrase",
    "page_sentence",
    "reference_id",
    "weak_title",
]

_FRAGMENT_MAX = 1024
_WEAK_WORDS = 3  # a title this short names a verdict, not what happened
_SENTENCE_WORDS = 3
_SENTENCE_MAX = 300
_PHRASES = frozenset(s.phrase.lower() for s in HTTPStatus) | {
    "content too large",
    "unprocessable content",
    "unknown error",
    "internal error",
    "server error",
    "error",
}
_FILLER = frozenset({"error", "http", "status", "code", "the", "a", "an"})
_LETTERS = re.compile(r"[^a-z]+")


def _words(text: str) -> str:
    return " ".join(w for w in _LETTERS.sub(" ", text.lower()).split() if w not in _FILLER)


_PHRASES = frozenset(_words(phrase) for phrase in _PHRASES)
_OPEN = {tag: re.compile(f"<{tag}[>\\s]") for tag in ("pre", "p")}
_DIV_TAG_MAX = 300
_DIVS_LOOKED_AT = 8
_ERROR_WORDS = ("error", "message", "reason")
_TAGS = re.compile(r"<[^<>]*>")
_SCRIPTS = ("<script", "<style")

# Literal labels first (the engine looks for each label's first letter), then a
# bounded id: "reference #18.2d351ab8.1557333295.a4e16ab", "ray id: 8f1b2c3d4e5f6a7b".
_REFERENCE = re.compile(
    r"(?:reference|ray id|incident id|support id|request id|error id|event id|"
    r"correlation id|trace id|transaction id|xid)"
    r"(?: (?:id|number|code))?(?: is| was)?\s{0,3}[:#]?\s{0,3}#?\s{0,3}"
    r"([a-z0-9][a-z0-9.:_-]{3,100})"
)
_LABELS = (
    "reference",
    "ray id",
    "incident id",
    "support id",
    "request id",
    "error id",
    "event id",
    "correlation id",
    "trace id",
    "transaction id",
    "xid:",  # Varnish's Guru Meditation page
)
_AFTER_LABEL = 400
_ID_SHAPE = re.compile(r"[A-Za-z0-9.:_-]*\d[A-Za-z0-9.:_-]*")

# "CODE: text", "ERROR 1045 (28000): text", "Code: 60. text".
_LINE = re.compile(
    r"(?:error\s{1,3})?([A-Za-z][A-Za-z0-9_.\-]{1,60}|\d{2,6})(?:\s{0,3}\(([0-9A-Z]{5})\))?"
    r"\s{0,3}:\s{1,3}(\S)",
    re.IGNORECASE,
)
_ERROR_CODE = re.compile(r"error code\s{0,3}[:#]?\s{0,3}([a-z0-9][a-z0-9_-]{0,39})\b")
_CODE_LABEL = re.compile(r"code:\s{0,3}(\d{1,6})\b")
_NOT_CODES = frozenset(
    {
        "error",
        "warning",
        "fatal",
        "exception",
        "message",
        "note",
        "info",
        "details",
        "detail",
        "reason",
        "status",
        "http",
        "https",
        "description",
        "failed",
        "failure",
    }
)


def only_reason_phrase(title: str) -> bool:
    """True when ``title`` says no more than an HTTP reason phrase ("Error 404 (Not Found)")."""
    words = _words(title)
    return not words or words in _PHRASES


def _inner(window: str, lowered: str, start: int, tag: str) -> str | None:
    inner = lowered.find(">", start) + 1
    if not inner:
        return None
    close = lowered.find("</" + tag, inner)
    end = close if close >= 0 else inner + _FRAGMENT_MAX
    text = html.unescape(_TAGS.sub(" ", window[inner : min(end, inner + _FRAGMENT_MAX)]))
    text = " ".join(text.split())[:_SENTENCE_MAX]
    return text or None


def weak_title(title: str) -> bool:
    """A title that names no more than a reason or a verdict ("Access Denied", "Error 404")."""
    return only_reason_phrase(title) or len(title.split()) <= _WEAK_WORDS


def _leading_text(window: str, lowered: str) -> str | None:
    # The text that opens the page's body, after its heading (HAProxy, Akamai, F5 write
    # their sentence there, in no element of its own).
    start = -1
    for mark in ("</h1", "</h2", "<body"):
        start = lowered.find(mark)
        if start >= 0:
            break
    if start < 0:
        return None
    start = lowered.find(">", start) + 1
    end = lowered.find("<", start, start + _FRAGMENT_MAX) if start else -1
    if end < 0:
        return None
    text = " ".join(html.unescape(window[start:end]).split())[:_SENTENCE_MAX]
    return text if len(text.split()) >= _SENTENCE_WORDS else None


def page_sentence(window: str, lowered: str) -> str | None:
    """The page's own sentence: its opening text, ``<pre>``, first ``<p>``, or error ``<div>``."""
    leading = _leading_text(window, lowered)
    if leading is not None:
        return leading
    for tag in ("pre", "p"):
        found = _OPEN[tag].search(lowered)
        if found is not None and not _in_script(lowered, found.start()):
            text = _inner(window, lowered, found.start(), tag)
            if text is not None and not only_reason_phrase(text):
                return text
    start = _error_div(lowered)
    if start >= 0:
        text = _inner(window, lowered, start, "div")
        if text is not None and not only_reason_phrase(text):
            return text
    return None


def _error_div(lowered: str) -> int:
    # The first <div> whose class or id says error: found from the word, each of a
    # few occurrences looked at once (a page without the words costs three scans).
    for word in _ERROR_WORDS:
        at = lowered.find(word)
        for _ in range(_DIVS_LOOKED_AT):
            if at < 0:
                break
            start = lowered.rfind("<div", max(0, at - _DIV_TAG_MAX), at)
            if start >= 0 and lowered.find(">", start, at) < 0:
                return start  # the word is inside the <div ...> tag itself
            at = lowered.find(word, at + len(word))
    return -1


def _in_script(lowered: str, index: int) -> bool:
    # A "<p" inside a script or style block is code, not the page's sentence.
    return any(lowered.rfind(mark, 0, index) > lowered.rfind("</", 0, index) for mark in _SCRIPTS)


def reference_id(text: str, lowered: str | None = None) -> str | None:
    """A support reference printed on a page ("Reference #18.2d35...", "Ray ID: ...").

    ``lowered``: ``text`` in lower case, one character per character. Only the few
    hundred characters after a label are read (tags dropped, entities decoded: Akamai
    prints "Reference&#32;&#35;18&#46;2d35...").
    """
    if lowered is None:
        lowered = text.encode("ascii", "replace").decode("ascii").lower()
    for label in _LABELS:
        start = lowered.find(label)
        if start < 0:
            continue
        piece = html.unescape(_TAGS.sub(" ", text[start : start + _AFTER_LABEL]))
        found = _REFERENCE.match(piece.encode("ascii", "replace").decode("ascii").lower())
        if found is not None:
            value = piece[found.start(1) : found.end(1)].rstrip(".:-")
            if _ID_SHAPE.fullmatch(value):
                return value
    return None


def labelled_code(text: str, lowered: str) -> str | None:
    """The code after "error code" on a page (Cloudflare: "Error code 1020")."""
    start = lowered.find("error code")
    if start < 0:
        return None
    piece = html.unescape(_TAGS.sub(" ", text[start : start + _AFTER_LABEL]))
    found = _ERROR_CODE.match(piece.lower())
    return piece[found.start(1) : found.end(1)] if found is not None else None


def line_code(text: str, status: int | None = None) -> str | None:
    """The code a one-line text body leads with, or None."""
    line = text[:_SENTENCE_MAX]
    labelled = _CODE_LABEL.match(line.lower())
    if labelled is not None:
        return labelled.group(1)
    found = _LINE.match(line)
    if found is None:
        return None
    code = found.group(1)
    if code.lower() in _NOT_CODES or (status is not None and code == str(status)):
        return None
    # An identifier, not a word that opens a sentence ("Forbidden: ..."): it has an
    # underscore, a digit, a dot, or is written in capitals.
    if code.isdigit() or "_" in code or "." in code or code.isupper() or _has_digit(code):
        return code
    return None


def _has_digit(code: str) -> bool:
    return any(c.isdigit() for c in code)
