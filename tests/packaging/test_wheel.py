"""errorlens as users install it: from its wheel, not from an editable checkout.

``python -m build`` makes the wheel and the sdist, ``twine check`` reads their metadata,
and on every supported Python the wheel goes into a fresh virtualenv: first alone (the
core has no SDK or backend dependency, and the CLI works), then with each extra, and
then the examples run from a copy outside the checkout, importing the installed
package. Slow (virtualenvs and installs from the package index), and it runs in CI.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from conftest import require

ROOT = Path(__file__).resolve().parents[2]
SUPPORTED = ("3.10", "3.11", "3.12", "3.13")
# What the examples import besides errorlens (scripts/demo.sh installs the same).
EXAMPLE_CLIENTS = (
    "requests>=2.31",
    "httpx>=0.27",
    "aiohttp>=3.9",
    "python-json-logger>=3",
    "flask>=3",
    "fastapi>=0.110",
    "uvicorn>=0.29",
    "waitress>=3",
)

pytestmark = [pytest.mark.slow, pytest.mark.integration]


def _run(argv: list[str], *, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ERRORLENS_", "OTEL_"))}
    env.pop("PYTHONPATH", None)
    env.pop("VIRTUAL_ENV", None)
    env["NO_COLOR"] = "1"
    done = subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{argv}\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    return done


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require("build")
    require("twine")
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)], cwd=ROOT)
    _run([sys.executable, "-m", "twine", "check", "--strict", *map(str, out.iterdir())], cwd=ROOT)
    return out


def _wheel(dist: Path) -> Path:
    (wheel,) = dist.glob("errorlens-*.whl")
    return wheel


def test_wheel_holds_the_package_data(dist: Path) -> None:
    names = set(zipfile.ZipFile(_wheel(dist)).namelist())
    assert "errorlens/py.typed" in names
    assert "errorlens/cli/emulator_routes.json" in names
    assert any(n.endswith("licenses/LICENSE") for n in names)
    assert not any(n.startswith(("tests/", "docs/")) for n in names)


def test_sdist_holds_the_tests_and_the_corpus(dist: Path) -> None:
    (sdist,) = dist.glob("errorlens-*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    corpus = {n for n in names if n.startswith("tests/corpus/") and n.endswith(".json")}
    assert len(corpus) == len(list((ROOT / "tests" / "corpus").glob("*.json")))
    assert {"tests/conftest.py", "LICENSE", "README.md", "CHANGELOG.md"} <= names
    assert not any(n.startswith((".venv", "site/")) for n in names)


def _interpreter(version: str) -> str:
    roots = [os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv")), "/root/.pyenv"]
    for root in roots:
        for candidate in sorted(Path(root).glob(f"versions/{version}.*/bin/python{version}")):
            return str(candidate)
    found = shutil.which(f"python{version}")
    if found:
        return found
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"no Python {version} in CI: the wheel is tested on every supported version")
    pytest.skip(f"no Python {version} here")


@pytest.mark.parametrize("version", SUPPORTED)
def test_wheel_installs_and_runs(version: str, dist: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    _run([_interpreter(version), "-m", "venv", str(venv)], cwd=tmp_path)
    python, pip = str(venv / "bin" / "python"), [str(venv / "bin" / "python"), "-m", "pip"]
    wheel = str(_wheel(dist))
    quiet = ["install", "-q", "--disable-pip-version-check"]

    # The core alone: no SDK or backend, the CLI reads a saved response.
    _run([*pip, *quiet, wheel], cwd=tmp_path)
    probe = (
        "import importlib.util as u, errorlens; "
        "print(errorlens.__file__); "
        "optional = ('opentelemetry.sdk', 'sentry_sdk', 'tenacity', 'httpx'); "
        "print([m for m in optional if u.find_spec(m)])"
    )
    where, present = _run([python, "-c", probe], cwd=tmp_path).stdout.splitlines()
    assert "site-packages" in where
    assert present == "[]"
    explained = _run(
        [str(venv / "bin" / "errorlens"), "explain", str(ROOT / "examples/responses/s3_404.txt")],
        cwd=tmp_path,
    )
    assert "NoSuchKey" in explained.stdout

    # Each extra brings what it promises, and what it enables works.
    extras = {
        "otel": "from errorlens import otel; import opentelemetry.sdk; "
        "assert otel.setup(service='wheel') is not None; otel.shutdown()",
        "sentry": "import sentry_sdk; from errorlens.sentry import ErrorlensIntegration; "
        "ErrorlensIntegration()",
        "retry": "import tenacity; from errorlens import retry; retry.retry_if_retryable",
    }
    for extra, check in extras.items():
        _run([*pip, *quiet, f"{wheel}[{extra}]"], cwd=tmp_path)
        no_export = "import os; os.environ.update(dict.fromkeys(SIGNALS, 'none')); ".replace(
            "SIGNALS", repr([f"OTEL_{s}_EXPORTER" for s in ("TRACES", "METRICS", "LOGS")])
        )
        _run([python, "-c", no_export + check], cwd=tmp_path)

    # The examples, from a copy outside the checkout, against their loopback vendors.
    _run([*pip, *quiet, f"{wheel}[all]", *EXAMPLE_CLIENTS], cwd=tmp_path)
    examples = tmp_path / "examples"
    shutil.copytree(ROOT / "examples", examples)
    for script in sorted(examples.glob("[!_]*.py")):
        done = _run([python, str(script)], cwd=examples, timeout=120)
        assert "errorlens: internal error" not in done.stderr
