"""Every Python code block of the docs and the README runs as it stands.

The ```python blocks of one page run in order, in one fresh interpreter, as a reader
pasting them one after another would run them; ```pycon blocks are doctests run in the
same namespace. Blocks in any other language (sh, json, text) are shown, not run. Each
page runs in its own temporary folder with no errorlens or OpenTelemetry settings from
the environment; the pages reach vendors only through errorlens's loopback emulator.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [*sorted((ROOT / "docs").rglob("*.md")), ROOT / "README.md"]

_FENCE = re.compile(r"^```(\w+)[^\n]*\n(.*?)^```\s*$", re.S | re.M)

# Runs in the child: python blocks executed, pycon blocks checked by doctest, one namespace.
_RUNNER = """
import doctest, json, sys
blocks = json.loads(sys.stdin.read())
namespace = {"__name__": "__main__"}
for number, (language, source) in enumerate(blocks, 1):
    name = f"block {number} ({language})"
    if language == "python":
        exec(compile(source, name, "exec"), namespace)
        continue
    test = doctest.DocTestParser().get_doctest(source, namespace, name, name, 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test, out=sys.stderr.write, clear_globs=False)
    namespace.update(test.globs)  # a DocTest runs in a copy of the names it is given
    if runner.failures:
        sys.exit(f"{name}: {runner.failures} doctest failure(s)")
"""


def code_blocks(text: str) -> list[tuple[str, str]]:
    """The runnable blocks of a page, in order: (language, source)."""
    return [
        (language, source)
        for language, source in _FENCE.findall(text)
        if language in ("python", "pycon")
    ]


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ERRORLENS_", "OTEL_"))}
    env.pop("LOG_LEVEL", None)
    env["NO_COLOR"] = "1"
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT / "src"), env.get("PYTHONPATH", "")) if p
    )
    return env


def test_fence_parser_finds_blocks() -> None:
    page = "intro\n```python\nx = 1\n```\ntext\n```json\n{}\n```\n```pycon\n>>> x\n1\n```\n"
    assert code_blocks(page) == [("python", "x = 1\n"), ("pycon", ">>> x\n1\n")]


def test_every_page_is_checked() -> None:
    # A page with Python in it under another fence name would escape the runner.
    for page in PAGES:
        for language, _ in _FENCE.findall(page.read_text(encoding="utf-8")):
            assert language in ("python", "pycon", "sh", "json", "text", "yaml", "toml", "ini"), (
                f"{page.relative_to(ROOT)}: unknown fence language {language!r}"
            )


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_page_code_runs(page: Path, tmp_path: Path) -> None:
    import json

    blocks = code_blocks(page.read_text(encoding="utf-8"))
    if not blocks:
        return
    result = subprocess.run(
        [sys.executable, "-c", _RUNNER],
        input=json.dumps(blocks),
        cwd=tmp_path,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, (
        f"{page.relative_to(ROOT)}\nstdout:\n{result.stdout[-2000:]}\n"
        f"stderr:\n{result.stderr[-4000:]}"
    )
    assert "errorlens: internal error" not in result.stderr
