"""Every interactive example (``>>>``) in the package's docstrings runs as it stands.

The API reference of the documentation site is generated from these docstrings, so an
example there is an example a user copies: it may use no name it does not import.
Sketches that are not meant to run are written as plain indented code, without ``>>>``.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import errorlens

MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(errorlens.__path__, prefix="errorlens.")
    if not info.name.endswith("__main__")
)


def test_modules_are_found() -> None:
    assert "errorlens.processors" in MODULES
    assert "errorlens._internal.config" in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report: list[str] = []
    for test in finder.find(module, name, globs={}):
        runner.run(test, out=report.append)
    try:
        assert runner.failures == 0, "".join(report)
    finally:
        errorlens.unconfigure()
