"""
pytest-asyncio beside pytest-twisted's C{--reactor=tornado}: the
combinations C{docs/testing.rst} documents, each in a child pytest.
"""

from __future__ import annotations

from pathlib import Path

from twisted.trial.unittest import SynchronousTestCase

from txtornado.test._subprocess import runPytest

#: A test pytest-twisted runs (on the reactor) that awaits Twisted and
#: asyncio/Tornado alike, and one pytest-asyncio runs.
_TESTS = """
import asyncio
import pytest
import pytest_twisted
from twisted.internet import task

from txtornado import deferred_from_future


@pytest_twisted.ensureDeferred
async def test_on_the_reactor():
    from twisted.internet import reactor
    assert type(reactor).__name__ == "TornadoReactor"
    await task.deferLater(reactor, 0.01, lambda: None)
    await asyncio.sleep(0.01)                          # an asyncio future, awaited
    await deferred_from_future(asyncio.wait_for(asyncio.sleep(0.01), 5))  # a task


@pytest.mark.asyncio
async def test_pytest_asyncio():
    await asyncio.sleep(0.01)
"""


class PytestAsyncioTests(SynchronousTestCase):
    """
    The supported combination passes; the unsupported one fails with
    pytest-asyncio's own error, which the testing page quotes.
    """

    def setUp(self) -> None:
        self.directory = Path(self.mktemp())
        self.directory.mkdir()

    def test_reactorTestsUnderTornadoReactor(self) -> None:
        """
        Under C{--reactor=tornado}, coroutine tests that pytest-twisted runs
        (C{pytest_twisted.ensureDeferred}) await asyncio futures and
        Deferreds, with pytest-asyncio installed.
        """
        result = runPytest(
            self.directory, _TESTS, "--reactor=tornado", "-k", "on_the_reactor"
        )
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("1 passed", result.stdout)

    def test_pytestAsyncioWithoutReactorOption(self) -> None:
        """
        Without C{--reactor}, pytest-asyncio's tests run on its own loop.
        """
        result = runPytest(self.directory, _TESTS, "-k", "pytest_asyncio")
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("1 passed", result.stdout)

    def test_pytestAsyncioUnderTornadoReactorFails(self) -> None:
        """
        Under C{--reactor=tornado} a C{pytest.mark.asyncio} test fails: the
        reactor's asyncio loop is already running in the thread when
        pytest-asyncio starts its own.  (If this starts passing, the
        testing page must say so.)
        """
        result = runPytest(
            self.directory, _TESTS, "--reactor=tornado", "-k", "pytest_asyncio"
        )
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assertIn("1 failed", result.stdout)
        self.assertIn(
            "Runner.run() cannot be called from a running event loop", result.stdout
        )
