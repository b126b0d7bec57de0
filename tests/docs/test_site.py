"""The documentation site builds with warnings as errors, every link in it resolves, and
its pages render in a real browser with their styles.

The build is MkDocs Material with mkdocstrings (the API reference comes from the
docstrings). The browser is Debian's Chromium, headless, loading the built site from a
loopback HTTP server that records every request it could not answer.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from conftest import require

ROOT = Path(__file__).resolve().parents[2]

# The site is built with one Python, the main one (scripts/test.sh runs the integration
# tests there): the docs toolchain is a build tool, not part of what each Python runs.
pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require("mkdocs")
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return out


class _Links(HTMLParser):
    """The href and src values of a page, and the ids its elements carry."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name in ("href", "src"):
                self.links.append(value)
            elif name == "id":
                self.ids.add(value)


@functools.cache
def _parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def _target(site: Path, page: Path, link: str) -> tuple[Path, str]:
    parts = urlsplit(link)
    base = site if parts.path.startswith("/") else page.parent
    target = (base / unquote(parts.path.lstrip("/"))).resolve() if parts.path else page
    if target.is_dir():
        target = target / "index.html"
    return target, unquote(parts.fragment)


def broken_links(site: Path) -> list[str]:
    """Every internal link of the built site whose file or anchor does not exist."""
    broken = []
    for page in sorted(site.rglob("*.html")):
        for link in _parse(page).links:
            scheme = urlsplit(link).scheme
            if scheme in ("http", "https", "mailto", "data", "javascript"):
                continue  # nothing outside the site is fetched here
            target, fragment = _target(site, page, link)
            if not target.exists():
                broken.append(f"{page.relative_to(site)}: {link} (no file)")
            elif fragment and target.suffix == ".html" and fragment not in _parse(target).ids:
                broken.append(f"{page.relative_to(site)}: {link} (no anchor)")
    return broken


def test_link_checker_finds_a_broken_link(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text(
        '<a id="top" href="#top">ok</a><a href="missing/">no</a><a href="#nowhere">no</a>'
    )
    assert broken_links(tmp_path) == [
        "index.html: missing/ (no file)",
        "index.html: #nowhere (no anchor)",
    ]


def test_every_link_resolves(site: Path) -> None:
    assert (site / "reference" / "api" / "index.html").exists()
    assert broken_links(site) == []


def test_api_reference_lists_every_public_name(site: Path) -> None:
    import errorlens

    page = (site / "reference" / "api" / "index.html").read_text(encoding="utf-8")
    missing = [
        name
        for name in errorlens.__all__
        if not name.startswith("__") and f'id="errorlens.{name}"' not in page
    ]
    assert missing == []


class _Recorder(SimpleHTTPRequestHandler):
    missing: list[str]

    def log_message(self, format: str, *args: object) -> None:
        pass

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        self.missing.append(f"{code} {self.path}")
        super().send_error(code, message, explain)


@pytest.fixture
def served(site: Path) -> Iterator[tuple[str, list[str]]]:
    missing: list[str] = []
    handler = functools.partial(
        type("Handler", (_Recorder,), {"missing": missing}), directory=str(site)
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", missing
    finally:
        server.shutdown()
        server.server_close()


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("chromium is missing in CI (scripts/test.sh installs Debian's package)")
        pytest.skip("chromium is not installed")
    return found


def _screenshot(url: str, out: Path, profile: Path) -> None:
    subprocess.run(
        [
            _chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--window-size=1280,900",
            "--hide-scrollbars",
            f"--screenshot={out}",
            url,
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )


def _header_share(png: Path) -> float:
    """How much of the top band is the theme's indigo header: missing styles leave it white."""
    image_module = require("PIL.Image")
    with image_module.open(png) as image:
        rgb = image.convert("RGB")
        band = [rgb.getpixel((x, 10)) for x in range(0, rgb.width, 4)]
    indigo = [p for p in band if p[2] > 150 and p[0] < 100 and p[1] < 110]
    return len(indigo) / len(band)


@pytest.mark.parametrize("path", ["", "reference/api/", "how-to/stdlib/"])
def test_page_renders_with_its_styles(
    served: tuple[str, list[str]], path: str, tmp_path: Path
) -> None:
    base, missing = served
    shot = tmp_path / "page.png"
    _screenshot(f"{base}/{path}", shot, tmp_path / "profile")
    assert missing == []
    assert _header_share(shot) > 0.6
