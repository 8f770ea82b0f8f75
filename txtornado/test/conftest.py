"""
pytest configuration for txtornado's tests.

Trial's C{TestCase.mktemp} makes directories relative to the current
directory (trial itself runs in C{_trial_temp}); under pytest, run every
test session in a temporary directory instead of the checkout.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True, scope="session")
def _runInTemporaryDirectory(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[None]:
    previous = os.getcwd()
    os.chdir(tmp_path_factory.mktemp("cwd"))
    try:
        yield
    finally:
        os.chdir(previous)


@pytest.fixture(autouse=True)
def _showProgress(request: pytest.FixtureRequest) -> Iterator[None]:
    """
    For a test class with C{showsProgress = True} (a long conformance
    judge): show the lines L{txtornado.test._subprocess.progressWriter}
    gets on the terminal as they come, past pytest's output capture.
    """
    if not getattr(request.cls, "showsProgress", False):
        yield
        return
    from txtornado.test import _subprocess

    capsys = request.getfixturevalue("capsys")

    def write(line: str) -> None:
        with capsys.disabled():
            print(line, flush=True)

    previous = _subprocess.progressWriter
    _subprocess.progressWriter = write
    try:
        yield
    finally:
        _subprocess.progressWriter = previous
