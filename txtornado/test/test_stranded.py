"""
L{txtornado._loop_on_reactor.stranded}: the warning for Tornado work left on
a loop that the running reactor does not run; in child processes, since each
installs a global reactor.
"""

from __future__ import annotations

import asyncio
import textwrap

from tornado.platform.asyncio import AsyncIOLoop
from twisted.trial.unittest import SynchronousTestCase

from txtornado._loop_on_reactor.stranded import pending_work
from txtornado.test._subprocess import runPython

#: The child's set-up: TwistedIOLoop configured but never made current, and a
#: Tornado app listening on the current IOLoop (a stdlib AsyncIOMainLoop).
_CONFIGURED = """
import warnings
warnings.simplefilter("default")
from twisted.internet import reactor
from tornado.ioloop import IOLoop
import tornado.web, txtornado
IOLoop.configure(txtornado.TwistedIOLoop)
"""

_LISTEN = """
tornado.web.Application([]).listen(0, address="127.0.0.1")
print("current:", type(IOLoop.current()).__name__, flush=True)
reactor.callWhenRunning(reactor.stop)
reactor.run()
print("stopped")
"""


class StrandedWarningTests(SynchronousTestCase):
    """
    C{reactor.run()} warns once it runs when the current IOLoop is a
    stdlib one with work waiting.
    """

    def _runChild(self, code: str) -> tuple[str, str]:
        result = runPython(textwrap.dedent(code), timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("stopped", result.stdout)
        return result.stdout, result.stderr

    def test_configureThenCurrentWarns(self) -> None:
        """
        C{IOLoop.configure(TwistedIOLoop)} then C{Application.listen()}
        (which uses C{IOLoop.current()}, a stdlib C{AsyncIOMainLoop}): the
        reactor warns when it runs, saying what to do.
        """
        out, err = self._runChild(_CONFIGURED + _LISTEN)
        self.assertIn("current: AsyncIOMainLoop", out)
        self.assertIn("StrandedIOLoopWarning", err)
        self.assertIn("txtornado.TwistedIOLoop().install()", err)
        self.assertEqual(err.count("StrandedIOLoopWarning"), 1, err)

    def test_installedTwistedIOLoopIsQuiet(self) -> None:
        """
        With a TwistedIOLoop made current (C{install()}), nothing is
        stranded: no warning.
        """
        out, err = self._runChild(
            _CONFIGURED + "txtornado.TwistedIOLoop().install()\n" + _LISTEN
        )
        self.assertIn("current: TwistedIOLoop", out)
        self.assertNotIn("StrandedIOLoopWarning", err)

    def test_policyIsQuiet(self) -> None:
        """
        With C{TwistedEventLoopPolicy}, C{IOLoop.current()} wraps a
        TwistedEventLoop, which the reactor runs: no warning.
        """
        _, err = self._runChild(
            _CONFIGURED
            + "import asyncio\n"
            + "asyncio.set_event_loop_policy(txtornado.TwistedEventLoopPolicy())\n"
            + _LISTEN
        )
        self.assertNotIn("StrandedIOLoopWarning", err)

    def test_noPendingWorkIsQuiet(self) -> None:
        """
        A stdlib current IOLoop with nothing waiting on it: no warning.
        """
        out, err = self._runChild(
            _CONFIGURED
            + textwrap.dedent(
                """
                print("current:", type(IOLoop.current()).__name__, flush=True)
                reactor.callWhenRunning(reactor.stop)
                reactor.run()
                print("stopped")
                """
            )
        )
        self.assertIn("current: AsyncIOMainLoop", out)
        self.assertNotIn("StrandedIOLoopWarning", err)

    def test_tornadoReactorIsQuiet(self) -> None:
        """
        On TornadoReactor the current IOLoop is the reactor's, running: no
        warning, with txtornado.ioloop imported before the reactor runs.
        """
        _, err = self._runChild(
            textwrap.dedent(
                """
                import warnings
                warnings.simplefilter("default")
                import txtornado
                reactor = txtornado.install()
                import txtornado.ioloop
                import tornado.web
                from tornado.ioloop import IOLoop
                tornado.web.Application([]).listen(0, address="127.0.0.1")
                reactor.callWhenRunning(reactor.stop)
                reactor.run()
                print("stopped")
                """
            )
        )
        self.assertNotIn("StrandedIOLoopWarning", err)


class PendingWorkTests(SynchronousTestCase):
    """
    L{pending_work} sees each kind of waiting work on a stdlib IOLoop.
    """

    def setUp(self) -> None:
        self.io_loop = AsyncIOLoop(asyncio_loop=asyncio.new_event_loop())
        self.addCleanup(self.io_loop.close, all_fds=True)

    def test_registry(self) -> None:
        """
        Tornado's registry, read through
        L{txtornado._compat.tornado.ioloops_by_asyncio_loop}, maps the
        asyncio loop of an IOLoop to it (fails if Tornado changes it).
        """
        from txtornado._compat.tornado import ioloops_by_asyncio_loop

        registry = ioloops_by_asyncio_loop()
        self.assertIs(registry[self.io_loop.asyncio_loop], self.io_loop)

    def test_each_kind(self) -> None:
        """
        A handler, a callback and a timer each count; an empty loop has
        none.
        """
        import socket

        self.assertEqual(pending_work(self.io_loop), 0)
        sock = socket.socket()
        self.io_loop.add_handler(sock, lambda fd, events: None, self.io_loop.READ)
        self.assertEqual(pending_work(self.io_loop), 1)
        self.io_loop.add_callback(lambda: None)
        self.assertEqual(pending_work(self.io_loop), 2)
        self.io_loop.call_later(10, lambda: None)
        self.assertEqual(pending_work(self.io_loop), 3)
