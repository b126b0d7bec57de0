"""A readable console line for terminals: structlog's, with the API error facts under it.

::

    2024-05-01T10:00:00Z [error    ] charge failed     [billing] service=checkout
        api_error  stripe 402 card_declined "Your card was declined." request_id=req_1
                   fields: number (is invalid)  url: POST https://api.stripe.com/v1/charges
    Traceback (most recent call last):
      ...
"""

from __future__ import annotations

import json
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog

from errorlens._internal.text import cap, escape_controls, escape_controls_in_lines

__all__ = ["ConsoleRenderer", "facts_text"]

_RESET = "\x1b[0m"
_BOLD_RED = "\x1b[1;31m"
_RED = "\x1b[31m"
_CYAN = "\x1b[36m"
_DIM = "\x1b[2m"
_YELLOW = "\x1b[33m"

_INDENT = "    "
_LABEL = "api_error  "
_DETAILS_WIDTH = 200


def _paint(text: str, style: str, colors: bool) -> str:
    return f"{style}{text}{_RESET}" if colors else text


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False) if " " in text else text


def _safe(value: object) -> str:
    """``value`` as one line of text: its control characters written as escapes."""
    return escape_controls(str(value))


def facts_text(api_error: Mapping[str, Any], *, colors: bool = False) -> str:
    """The ``api_error`` facts as one or two indented lines (no trailing newline)."""
    label = _paint(_LABEL, _DIM, colors)
    lines = [_INDENT + label + " ".join(_first_line(api_error, colors))]
    second = _second_line(api_error)
    if second:
        pad = _INDENT + " " * len(_LABEL)
        lines.extend(pad + _paint(part, _DIM, colors) for part in second)
    return "\n".join(lines)


def _head(api_error: Mapping[str, Any]) -> list[str]:
    """``vendor status code (type)``."""
    head = [
        _safe(api_error[key])
        for key in ("vendor", "status", "code")
        if api_error.get(key) is not None
    ]
    kind = api_error.get("type")
    if kind is not None and kind != api_error.get("code"):
        head.append(f"({_safe(kind)})")
    return head


def _first_line(api_error: Mapping[str, Any], colors: bool) -> list[str]:
    first: list[str] = []
    head = _head(api_error)
    if head:
        first.append(_paint(" ".join(head), _BOLD_RED, colors))
    message = api_error.get("message")
    if message:
        first.append(_safe(_quoted(str(message))))
    for key in ("request_id", "correlation_id"):
        value = api_error.get(key)
        if value is not None:
            first.append(f"{key}=" + _paint(_safe(value), _CYAN, colors))
    retry_after = api_error.get("retry_after")
    if isinstance(retry_after, int | float):
        first.append(_paint(f"retry_after={retry_after:g}s", _YELLOW, colors))
    elif api_error.get("retryable"):
        first.append(_paint("retryable", _YELLOW, colors))
    return first


def _fields_text(fields: list[Any]) -> str:
    shown = []
    for item in fields[:10]:
        if isinstance(item, Mapping):
            name = _safe(item.get("field"))
            text = item.get("message")
            shown.append(f"{name} ({_safe(text)})" if text else name)
    more = f" +{len(fields) - 10}" if len(fields) > 10 else ""
    return "fields: " + ", ".join(shown) + more


def _second_line(api_error: Mapping[str, Any]) -> list[str]:
    second: list[str] = []
    fields = api_error.get("fields")
    if isinstance(fields, list) and fields:
        second.append(_fields_text(fields))
    url = api_error.get("url")
    if url:
        method = api_error.get("method")
        second.append("url: " + _safe(f"{method} {url}" if method else url))
    details = api_error.get("details")
    if details is not None:
        text = json.dumps(details, ensure_ascii=False, default=str, separators=(",", ":"))
        second.append("details: " + _safe(cap(text, _DETAILS_WIDTH)))
    return second


class ConsoleRenderer:
    """structlog's ``ConsoleRenderer``, plus the ``api_error`` facts under the message.

    The traceback (``exception``, as :func:`errorlens.processors.format_exc_info` left
    it) comes after the facts.

    .. versionadded:: 0.1.0
    """

    def __init__(self, *, colors: bool = True) -> None:
        self._colors = colors
        self._line = structlog.dev.ConsoleRenderer(colors=colors, pad_event_to=30)

    def __call__(self, logger: Any, method_name: str, event_dict: MutableMapping[str, Any]) -> str:
        api_error = event_dict.pop("api_error", None)
        exception = event_dict.pop("exception", None)
        for key, value in event_dict.items():
            if isinstance(value, str):  # one line: vendor text interpolated cannot forge more
                event_dict[key] = escape_controls(value)
        out = self._line(logger, method_name, event_dict)
        if isinstance(api_error, Mapping):
            out += "\n" + facts_text(api_error, colors=self._colors)
        if exception:
            # Many lines by nature; a reason phrase's ESC or BEL inside is shown, not obeyed.
            text = exception if isinstance(exception, str) else str(exception)
            out += "\n" + escape_controls_in_lines(text)
        return out
