"""
Tests for L{txtornado.testing}: a L{TornadoAppTestCase} used for real, on
the reactor running the tests and, in child processes, under
C{trial --reactor=tornado} and trial's default reactor.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

from twisted.trial.unittest import SynchronousTestCase

from txtornado.test._subprocess import run, runPytest

_CHILD_TESTS = """
import tempfile, os
import tornado.web
from tornado import gen
from twisted.internet import reactor, task
from twisted.internet.defer import inlineCallbacks
from txtornado.testing import TornadoAppTestCase

class Hello(tornado.web.RequestHandler):
    def get(self):
        self.write("hello on " + type(reactor).__name__)

class HelloTests(TornadoAppTestCase):
    def get_app(self):
        return tornado.web.Application([(r"/", Hello)])

    async def test_fetch(self):
        response = await self.fetch("/")
        self.assertTrue(response.body.startswith(b"hello on "))

class UnixTests(HelloTests):
    endpoint = "unix:" + os.path.join(tempfile.mkdtemp(prefix="txt-"), "s.sock")

class Echo(tornado.web.RequestHandler):
    async def get(self):
        await gen.sleep(0.01)
        self.write(self.get_argument("say", "nothing"))

    def post(self):
        self.write(self.request.body[::-1])


class EchoTests(TornadoAppTestCase):
    def get_app(self):
        return tornado.web.Application([(r"/echo", Echo)])

    async def test_asyncFetch(self):
        response = await self.fetch("/echo?say=hello")
        self.assertEqual((response.code, response.body), (200, b"hello"))

    @inlineCallbacks
    def test_inlineCallbacksFetch(self):
        response = yield self.fetch("/echo", method="POST", body=b"abc")
        self.assertEqual(response.body, b"cba")
        missing = yield self.fetch("/nowhere")
        self.assertEqual(missing.code, 404)

    def test_url(self):
        port = self.served.listening.getHost().port
        self.assertEqual(self.get_url("/x"), f"http://127.0.0.1:{port}/x")


class LeakyTests(TornadoAppTestCase):
    def get_app(self):
        return tornado.web.Application([(r"/", Hello)])

    def test_leaks(self):
        # A test that really leaks a timed call is still caught.
        reactor.callLater(3600, lambda: None)
"""


class UnderTrialTests(SynchronousTestCase):
    """
    Test modules using the helper, run by trial on each reactor: clean
    tests pass with no dirty-reactor error, and a leaking test is caught.
    """

    def _trial(self, *options: str) -> str:
        tmp = Path(self.mktemp())
        tmp.mkdir()
        (tmp / "test_child.py").write_text(textwrap.dedent(_CHILD_TESTS))
        result = run(
            [sys.executable, "-m", "twisted.trial", *options, "test_child"], cwd=tmp
        )
        output = result.stdout + result.stderr
        self.assertNotEqual(result.returncode, 0, output)  # LeakyTests fails
        return output

    def _check(self, output: str) -> None:
        for case in ("HelloTests", "UnixTests"):
            self.assertRegex(output, case + r"\n\s+test_fetch \.\.\.\s+\[OK\]")
        self.assertIn("DirtyReactorAggregateError", output)
        self.assertIn("test_child.LeakyTests.test_leaks", output)
        self.assertEqual(
            output.count("DirtyReactorAggregateError: Reactor was unclean."), 1, output
        )
        for test in ("test_asyncFetch", "test_inlineCallbacksFetch", "test_url"):
            self.assertRegex(output, test + r" \.\.\.\s+\[OK\]")
        self.assertIn("FAILED (errors=1, successes=5)", output)

    def test_defaultReactor(self) -> None:
        """
        On trial's default reactor (Tornado on a TwistedIOLoop).
        """
        self._check(self._trial())

    def test_tornadoReactor(self) -> None:
        """
        With C{--reactor=tornado}.
        """
        self._check(self._trial("--reactor=tornado"))


_PYTEST_CHILD = """
import pytest, pytest_twisted, tornado.web

class Hello(tornado.web.RequestHandler):
    def get(self):
        from twisted.internet import reactor
        self.write("hello on " + type(reactor).__name__)

@pytest.fixture
def tornado_app():
    return tornado.web.Application([(r"/", Hello)])

@pytest_twisted.ensureDeferred
async def test_fetch(tornado_server):
    response = await tornado_server.fetch("/")
    assert response.code == 200
    print("BODY", response.body.decode())

@pytest_twisted.ensureDeferred
async def test_again(tornado_server):
    response = await tornado_server.fetch("/missing")
    assert response.code == 404
"""


class PytestFixtureTests(SynchronousTestCase):
    """
    The C{tornado_server} fixture, run by pytest with pytest-twisted on
    each reactor.
    """

    def _pytest(self, *options: str) -> str:
        tmp = Path(self.mktemp())
        tmp.mkdir()
        result = runPytest(tmp, _PYTEST_CHILD, "-s", *options)
        output = result.stdout + result.stderr
        self.assertEqual(result.returncode, 0, output)
        self.assertIn("2 passed", output)
        return output

    def test_defaultReactor(self) -> None:
        """
        On pytest-twisted's default reactor.
        """
        self.assertIn("BODY hello on EPollReactor", self._pytest())

    def test_tornadoReactor(self) -> None:
        """
        With C{--reactor=tornado}.
        """
        self.assertIn("BODY hello on TornadoReactor", self._pytest("--reactor=tornado"))
