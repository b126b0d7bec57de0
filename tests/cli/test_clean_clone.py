"""A newcomer's first hour, from a clean clone: the README's first command, then every example.

Clones this repository into a temporary folder, runs the first shell command the README
shows (``bash scripts/demo.sh``: a ``.venv`` with errorlens and what the examples import),
then every command of the README that runs an example with that ``.venv``. Slow (a fresh
virtualenv; pip's cache keeps it to a minute or two), and it runs in CI: nothing skips it.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"

pytestmark = [pytest.mark.slow, pytest.mark.integration]


def _shell_blocks(text: str) -> list[list[str]]:
    """The commands of each ```sh block, comments stripped."""
    blocks = re.findall(r"```sh\n(.*?)```", text, flags=re.S)
    return [
        [line.split("  #", 1)[0].strip() for line in block.splitlines() if line.strip()]
        for block in blocks
    ]


def _clean_env() -> dict[str, str]:
    # As a newcomer's shell: no virtualenv of ours, no errorlens or OTel settings.
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "LOG_LEVEL")
        and not k.startswith(("ERRORLENS_", "OTEL_", "PYTEST_"))
    }
    bin_dir = str(Path(os.environ.get("VIRTUAL_ENV", "/nonexistent")) / "bin")
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != bin_dir)
    env["NO_COLOR"] = "1"
    return env


def _run(command: str, cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        shlex.split(command),
        cwd=cwd,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"{command}\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    assert "errorlens: internal error" not in done.stderr
    return done


def test_readme_first_command_then_every_example(tmp_path: Path) -> None:
    git = shutil.which("git")
    assert git is not None, "git is needed to clone the repository"
    clone = tmp_path / "errorlens"
    subprocess.run(
        [git, "clone", "--quiet", "--no-hardlinks", str(ROOT), str(clone)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    blocks = _shell_blocks((clone / "README.md").read_text())
    first = blocks[0]
    assert first == ["bash scripts/demo.sh"], first

    started = time.monotonic()
    demo = _run(first[0], clone, timeout=900)
    setup_seconds = time.monotonic() - started
    assert "VENDOR" in demo.stdout and "rate_limit_exceeded" in demo.stdout
    assert (clone / ".venv" / "bin" / "python").exists()

    commands = [line for block in blocks for line in block if line.startswith(".venv/bin/")]
    examples = sorted(p.name for p in (clone / "examples").glob("*.py") if p.name[0] != "_")
    shown = {Path(shlex.split(c)[1]).name for c in commands if "examples/" in c}
    assert set(examples) <= shown, f"examples the README does not run: {set(examples) - shown}"

    timings = {}
    for command in commands:
        started = time.monotonic()
        done = _run(command, clone, timeout=120)
        timings[command] = time.monotonic() - started
        if "explain" in command:
            assert "rate_limit_exceeded" in done.stdout
    print(
        f"\nclean clone: demo.sh {setup_seconds:.0f} s;",
        {k: round(v, 1) for k, v in timings.items()},
    )
