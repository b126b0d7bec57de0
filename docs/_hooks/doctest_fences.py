"""A griffe extension for the API reference: interactive examples in docstrings
(``>>>`` lines and the output under them) are shown as ``pycon`` code, not as Markdown
block quotes."""

from __future__ import annotations

import re
from typing import Any

import griffe

# A run of lines that starts with ">>> " and goes on until a blank line.
_EXAMPLE = re.compile(r"^(?P<indent>[ \t]*)>>> .*?(?=\n[ \t]*\n|\Z)", re.M | re.S)


def fence_examples(text: str) -> str:
    def fence(match: re.Match[str]) -> str:
        indent = match.group("indent")
        return f"{indent}```pycon\n{match.group(0)}\n{indent}```"

    return _EXAMPLE.sub(fence, text)


class DoctestFences(griffe.Extension):
    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = fence_examples(obj.docstring.value)
