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
