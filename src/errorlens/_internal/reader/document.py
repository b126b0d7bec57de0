"""Decode a body once: JSON, CBOR, XML, HTML or text, reading at most a bounded prefix.

A JSON, CBOR or XML body within :data:`READ_CAP` is parsed whole. A larger one is not an
ordinary error body: only its first :data:`SALVAGE_WINDOW` bytes are looked at, and the
usual keys are salvaged from that prefix, so the cost stays flat however large the body
is. An HTML page is searched for its title in its first :data:`MARKUP_WINDOW` characters
only, and a text body gives at most its first :data:`TEXT_WINDOW` characters.

Every scan here is linear in what it reads: no pattern can backtrack over more than a
bounded span, and no search restarts from each position of the input.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

from errorlens._internal.reader.cbor import MAX_ITEMS, decode_cbor
from errorlens._internal.reader.page import (
    labelled_code,
    page_sentence,
    reference_id,
    weak_title,
)

__all__ = [
    "MARKUP_WINDOW",
    "READ_CAP",
    "SALVAGE_WINDOW",
    "TEXT_WINDOW",
    "Document",
    "clean_text",
    "decode",
]

READ_CAP = 64 * 1024
SALVAGE_WINDOW = 4 * 1024
MARKUP_WINDOW = 8 * 1024
TEXT_WINDOW = 1024
_HEAD = 256  # where an HTML page announces itself
_XML_MAX_DEPTH = 24
_XML_MAX_CHILDREN = 200
# More tags than this is no ordinary error document: its prefix is salvaged instead of
# building a tree of every element (each one costs a parser callback).
_XML_MAX_TAGS = 256
_FRAGMENT_MAX = 1024
_SALVAGE_MAX_KEYS = 64
# At most this many places where a salvaged key could start: a prefix dense with them
# (a run of quotes or of tags) is salvaged from a shorter window.
_SALVAGE_STARTS = 128


class Document:
    """A decoded body. ``data`` is a JSON value (an XML or CBOR body becomes one too).

    ``kind`` is "json" (JSON, or CBOR decoded to the same shape), "xml", "html", "text",
    "binary" (a body with no readable text) or "empty".
    """

    __slots__ = ("code", "data", "kind", "reference", "text")

    def __init__(
        self,
        kind: str,
        data: Any = None,
        text: str | None = None,
        reference: str | None = None,
        code: str | None = None,
    ) -> None:
        self.kind = kind
        self.data = data
        self.text = text
        self.reference = reference  # a support reference printed on an HTML or text page
        self.code = code  # a code printed on an HTML page ("Error code 1020")


EMPTY = Document("empty")
BINARY = Document("binary")

# A value with an escaped quote is not salvaged (json.loads of the cut text fails and
# the key is skipped): an unescaped-only string pattern backtracks cheaply, where one
# that allows escapes costs several times more on an unterminated string.
#
# The key is "[A-Za-z_@$][\w\-.@$]{0,40}" and a string value "[^"\n]{0,600}"; each is
# first checked by a lookahead for its closing quote, a run of one negated character that
# the regex engine scans and backs over in a tight loop, where the word and newline
# classes cost a test per character: text that is no key or an unterminated string is
# given up at that cost. (The lookaheads only fail where the full pattern would.)
_JSON_SALVAGE = re.compile(
    r'"(?=[^"]{1,41}")([A-Za-z_@$][\w\-.@$]{0,40})"\s*:\s*'
    r'("(?=[^"]{0,600}")[^"\n]*"|-?\d{1,20}(?:\.\d+)?|true|false)'
)
# What may follow a key's closing quote in a member: the pattern's own tail, less a string.
_JSON_TAIL = re.compile(r"\s*(?::\s*(?:-?\d{1,20}(?:\.\d+)?|true|false)?)?")
_XML_SALVAGE = re.compile(
    r"<(?:[\w.-]{1,40}:)?([A-Za-z][\w.-]{0,40})>([^<]{1,600})</(?:[\w.-]{1,40}:)?\1>"
)
# Each pattern below stops at the next "<": a run of unclosed tags costs one pass.
_OPENING = {tag: re.compile(f"<{tag}[>/\\s]") for tag in ("title", "h1", "h2")}
_TAGS = re.compile(r"<[^<>]*>")
# Control characters (C0, DEL, C1) and bidirectional overrides: never part of a
# vendor's text, and able to forge or hide parts of a log line.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]+")
_LEAD = re.compile(r"[\s\ufeff]*")
_LEAD_BYTES = re.compile(rb"(?:\s|\xef\xbb\xbf)*")
# Map heads (major type 5): no UTF-8 text starts with these bytes.
_CBOR_MAP_HEADS = frozenset(range(0xA0, 0xBC)) | {0xBF}
_SNIFFED_CBOR_ITEMS = 64
_BINARY_TYPES = ("image/", "audio/", "video/", "font/")
_BINARY_SUBTYPES = re.compile("octet-stream|protobuf|grpc|msgpack|zip|pdf|cbor")


def decode(body: Any, content_type: str | None = None) -> Document:
    """Decode ``body`` (bytes, str, or an already-parsed JSON value). Never raises."""
    if body is None:
        return EMPTY
    if type(body) is bytes and body[:1] in _JSON_HEADS and len(body) <= READ_CAP:
        document = _plain_json(body, content_type)
        if document is not None:
            return document
    if isinstance(body, dict | list):
        return Document("json", body)
    ctype = content_type.lower() if isinstance(content_type, str) else ""
    if isinstance(body, str):
        return _decode_str(body, ctype)
    if isinstance(body, bytes | bytearray | memoryview):
        return _decode_bytes(body, ctype)
    return EMPTY


_JSON_HEADS = (b"{", b"[")


def _plain_json(body: bytes, content_type: str | None) -> Document | None:
    """The common case, parsed at once: UTF-8 JSON, labelled JSON or not labelled.

    None sends the body down the general path (another label, invalid UTF-8 or JSON),
    which reads it the same way when it can.
    """
    if content_type and isinstance(content_type, str):
        ctype = content_type.lower()
        if "json" not in ctype or "cbor" in ctype:
            return None
    try:
        data = _loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        return None
    return None if data is _INVALID else Document("json", data)


def _decode_str(body: str, ctype: str) -> Document:
    oversize = len(body) > READ_CAP
    text = body[:SALVAGE_WINDOW] if oversize else body
    start = _LEAD.match(text).end()  # type: ignore[union-attr]  # matches the empty string
    if start == len(text):
        return EMPTY
    kind = _sniff(text[start], text[start : start + _HEAD].lower(), ctype)
    whole = not oversize and (kind == "json" or (kind == "xml" and _few_tags(text, "<")))
    end = len(text) if whole else start + MARKUP_WINDOW
    return _read(text[start:end], kind, whole)


def _decode_bytes(body: bytes | bytearray | memoryview, ctype: str) -> Document:
    try:
        oversize = len(body) > READ_CAP
        raw = bytes(body[:SALVAGE_WINDOW] if oversize else body)
    except (TypeError, ValueError):  # a released or multi-dimensional memoryview
        return EMPTY
    start = _LEAD_BYTES.match(raw).end()  # type: ignore[union-attr]  # matches b""
    if start == len(raw):
        return EMPTY
    if "cbor" in ctype or (start == 0 and raw[0] in _CBOR_MAP_HEADS):
        document = _as_cbor(raw, oversize, declared="cbor" in ctype)
        if document is not None:
            return document
    if _is_binary(raw, ctype):
        return BINARY
    head = raw[start : start + _HEAD].decode("latin-1").lower()
    kind = _sniff(head[0], head, ctype)
    whole = not oversize and (kind == "json" or (kind == "xml" and _few_tags(raw, b"<")))
    end = len(raw) if whole else start + (2 * TEXT_WINDOW if kind == "text" else MARKUP_WINDOW)
    return _read(raw[start:end].decode("utf-8", "replace"), kind, whole)


def _sniff(first: str, head: str, ctype: str) -> str:
    """The kind of a body from its first character, its head and its content type."""
    if first == "<":
        html_page = "<html" in head or "<!doctype html" in head or "html" in ctype
        return "html" if html_page else "xml"
    if first in '{["' or "json" in ctype:
        return "json"
    return "text"


def _few_tags(text: Any, mark: Any) -> bool:
    """Whether ``text`` holds at most :data:`_XML_MAX_TAGS` tags (``mark``: "<" or b"<").

    An XML body with more is no ordinary error document: only its prefix is read.
    Counted a window at a time, so that a body dense with tags stops early.
    """
    tags = 0
    for start in range(0, len(text), SALVAGE_WINDOW):
        tags += text.count(mark, start, start + SALVAGE_WINDOW)
        if tags > _XML_MAX_TAGS:
            return False
    return True


def _read(text: str, kind: str, whole: bool) -> Document:
    if kind in ("json", "xml"):
        return _as_tree(text, kind, whole)
    if kind == "html":
        return _as_html(text)
    return _as_text(text)


def _as_tree(text: str, kind: str, whole: bool) -> Document:
    """A JSON or XML body: parsed whole, else the usual keys salvaged from its prefix."""
    parse, salvage, fallback = _TREES[kind]
    if whole:
        data = parse(text)
        if data is not _INVALID:
            return Document(kind, data)
    salvaged = salvage(text)
    if salvaged:
        return Document(kind, salvaged)
    return fallback(text)


def _is_binary(raw: bytes, ctype: str) -> bool:
    """Whether a body holds no text to show: a binary content type, or NUL bytes."""
    if ctype and _binary_type(ctype):
        return True
    return raw.find(b"\x00", 0, 1024) >= 0


def _binary_type(ctype: str) -> bool:
    textual = "json" in ctype or "xml" in ctype or "text" in ctype
    return not textual and (
        ctype.startswith(_BINARY_TYPES) or _BINARY_SUBTYPES.search(ctype) is not None
    )


def _as_cbor(raw: bytes, oversize: bool, declared: bool) -> Document | None:
    """A CBOR body as its JSON-shaped value; a declared one that is unreadable is binary.

    A body that only looks like CBOR (it starts with a map head, which no UTF-8 text
    does) gets a small item budget: it is more likely mis-declared text.
    """
    budget = MAX_ITEMS if declared else _SNIFFED_CBOR_ITEMS
    data = None if oversize else decode_cbor(raw, budget)
    if data is not None:
        return Document("json", data)
    return BINARY if declared else None


# --- JSON ---------------------------------------------------------------------------


def _constant(name: str) -> None:
    return None  # NaN, Infinity, -Infinity: not JSON, and not kept


def _int_or_text(digits: str) -> int | str:
    # An integer too long for int() (Python's digit limit) stays text.
    return int(digits) if len(digits) <= 4000 else digits


_DECODER = json.JSONDecoder(parse_constant=_constant)
_BIG_INT_DECODER = json.JSONDecoder(parse_constant=_constant, parse_int=_int_or_text)


_INVALID = object()


def _loads(text: str) -> Any:
    try:
        return _scanned(text, _SCAN)
    except RecursionError:
        return _INVALID
    except ValueError as error:
        if "digits" not in str(error):
            return _INVALID
    try:
        return _scanned(text, _BIG_INT_SCAN)
    except (ValueError, RecursionError):
        return _INVALID


# ``JSONDecoder.decode`` without its two Python-level calls: the C scanner, with the
# whitespace allowed around the value (anything else after it is no JSON document).
_SCAN = _DECODER.scan_once  # type: ignore[attr-defined]
_BIG_INT_SCAN = _BIG_INT_DECODER.scan_once  # type: ignore[attr-defined]
_WHITESPACE = re.compile(r"[ \t\n\r]*").match


def _scanned(text: str, scan: Any) -> Any:
    try:
        data, end = scan(text, _WHITESPACE(text).end())  # type: ignore[union-attr]
    except StopIteration:  # no value where one starts
        return _INVALID
    if _WHITESPACE(text, end).end() != len(text):  # type: ignore[union-attr]
        return _INVALID
    return data


def _salvage_end(text: str, mark: str) -> int:
    """Where salvaging stops: the window, halved while ``mark`` starts too many candidates.

    The marks are counted up to the last one (``rfind`` finds it in one fast pass): a
    window that ends in a long run without one (a huge string value) is not walked.
    """
    end = min(len(text), SALVAGE_WINDOW)
    while end > 256 and text.count(mark, 0, text.rfind(mark, 0, end) + 1) > _SALVAGE_STARTS:
        end //= 2
    return end


def _json_salvage_end(text: str) -> int:
    """Where salvaging JSON stops: no member starts after the window's last quote.

    A member whose value follows that quote can only go on with the rest of a number,
    ``true`` or ``false`` (``_JSON_TAIL``): the pattern is run up to there, and never
    scans the quote-free rest of the window for a start.
    """
    end = _salvage_end(text, '"')
    last = text.rfind('"', 0, end)
    return _JSON_TAIL.match(text, last + 1, end).end() if last >= 0 else 0  # type: ignore[union-attr]


def _salvage_json(text: str) -> dict[str, Any] | None:
    # The first occurrence of each key, as a flat object: enough for the generic reader
    # to find code, message and ids in a truncated or malformed body.
    found: dict[str, Any] = {}
    for match in _JSON_SALVAGE.finditer(text, 0, _json_salvage_end(text)):
        key = match.group(1)
        if key in found:
            continue
        try:
            value = _scanned(match.group(2), _SCAN)
        except ValueError:
            continue
        if value is not _INVALID:
            found[key] = value
        if len(found) >= _SALVAGE_MAX_KEYS:
            break
    return found or None


# --- XML ----------------------------------------------------------------------------


def _salvage_xml(text: str) -> dict[str, Any] | None:
    found: dict[str, Any] = {}
    for match in _XML_SALVAGE.finditer(text, 0, _salvage_end(text, "<")):
        found.setdefault(match.group(1), clean_text(html.unescape(match.group(2))))
        if len(found) >= _SALVAGE_MAX_KEYS:
            break
    return {"Error": found} if found else None


def _parse_xml(text: str) -> Any:
    try:
        from defusedxml import ElementTree as SafeElementTree

        root = SafeElementTree.fromstring(text, forbid_dtd=True)
    except Exception:  # DTDs, entities, malformed markup: all just "not XML we read"
        return _INVALID
    return {_local_name(root.tag): _element_value(root, 0)}


def _local_name(tag: object) -> str:
    if not isinstance(tag, str):
        return ""
    name: str = tag.rpartition("}")[2] if tag.startswith("{") else tag
    return name.rpartition(":")[2]


def _element_value(element: Any, depth: int) -> Any:
    children = list(element)[:_XML_MAX_CHILDREN]
    facts = _error_attributes(element)
    if not children or depth >= _XML_MAX_DEPTH:
        text = element.text
        text = text.strip() if isinstance(text, str) and text.strip() else None
        if facts and text is not None:
            facts.setdefault("Text", text)
        return facts or text
    out: dict[str, Any] = {}
    for child in children:
        name = _local_name(child.tag)
        if name:
            _add_child(out, name, _element_value(child, depth + 1))
    for name, value in facts.items():
        out.setdefault(name, value)
    return out


def _error_attributes(element: Any) -> dict[str, Any]:
    """An error element's plain attributes, read as its children would be: Namecheap's
    ``<Error Number="1011102">Parameter APIKey is missing</Error>``. Other elements'
    attributes (``xml:lang``, schema hints) say nothing of the error."""
    if not _local_name(element.tag).lower().endswith(_ERROR_ELEMENTS):
        return {}
    attributes = element.attrib
    return {
        name: value.strip()
        for name, value in list(attributes.items())[:_XML_MAX_CHILDREN]
        if isinstance(name, str) and "}" not in name and isinstance(value, str) and value.strip()
    }


_ERROR_ELEMENTS = ("error", "fault", "exception")


def _add_child(out: dict[str, Any], name: str, value: Any) -> None:
    # A repeated element becomes a list, in document order.
    if name not in out:
        out[name] = value
    elif isinstance(out[name], list):
        out[name].append(value)
    else:
        out[name] = [out[name], value]


# --- HTML and text ------------------------------------------------------------------


def clean_text(text: str) -> str:
    """``text`` without control characters, its whitespace runs made single spaces."""
    spaced = " ".join(text.split())
    # Printable text (the common case, one fast pass) holds no control characters.
    return spaced if spaced.isprintable() else " ".join(_CONTROLS.sub(" ", spaced).split())


def _element_text(window: str, lowered: str, tag: str) -> str | None:
    """The inner markup of the first ``<tag>`` element of ``window``, or None.

    ``lowered`` is ``window`` in lower case. One search for the opening tag (a literal
    prefix, which the regex engine scans for in one pass) and one for the closing tag:
    linear however many unclosed tags the page holds.
    """
    opening = _OPENING[tag].search(lowered)
    if opening is None:
        return None
    inner = lowered.find(">", opening.start()) + 1
    close = lowered.find("</" + tag, inner) if inner else -1
    if close < 0:
        return None
    return window[inner : min(close, inner + _FRAGMENT_MAX)]


def _as_html(text: str) -> Document:
    window = text[:MARKUP_WINDOW]
    # Each non-ASCII character becomes one "?": the same length, so the same indices.
    lowered = window.encode("ascii", "replace").decode("ascii").lower()
    title = _title(window, lowered)
    if title is None or weak_title(title):
        # "502 Bad Gateway" says nothing the status does not: the page's own sentence.
        title = page_sentence(window, lowered) or title
    reference = reference_id(window, lowered)
    return Document("html", None, title, reference, labelled_code(window, lowered))


def _title(window: str, lowered: str) -> str | None:
    for tag in ("title", "h1", "h2"):
        fragment = _element_text(window, lowered, tag)
        if fragment is not None:
            title = clean_text(html.unescape(_TAGS.sub(" ", fragment)))[:300]
            if title:
                return title
    return None


def _as_text(text: str) -> Document:
    cleaned = clean_text(text[:TEXT_WINDOW])
    return Document("text", None, cleaned[:500] or None, reference_id(cleaned))


# Per tree kind: parse whole, salvage a prefix, and what a body that gives neither is.
_TREES = {"json": (_loads, _salvage_json, _as_text), "xml": (_parse_xml, _salvage_xml, _as_html)}
