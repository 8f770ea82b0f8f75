"""
The private names of Twisted, Tornado and pytest-twisted that txtornado
relies on still exist and still mean what txtornado assumes.  If one of
these fails after an upgrade, the module named in the failure is the one
place to change.
"""

from __future__ import annotations

import inspect
import os
from typing import Any

from twisted.internet.posixbase import PosixReactorBase
from twisted.trial.unittest import SynchronousTestCase

from txtornado._compat import twisted as _twisted_private
from txtornado.test.reactors import tornadoAsyncioReactor


class TwistedPrivateNamesTests(SynchronousTestCase):
    """
    L{txtornado._compat.twisted}.
    """

    def test_continuousPolling(self) -> None:
        """
        C{_ContinuousPolling} takes a reactor and offers the FD-set methods
        and the C{isReading}/C{isWriting} queries the reactor calls.
        """
        cls = _twisted_private._ContinuousPolling
        self.assertEqual(list(inspect.signature(cls).parameters), ["reactor"])
        for name in (
            "addReader",
            "addWriter",
            "removeReader",
            "removeWriter",
            "removeAll",
            "getReaders",
            "getWriters",
            "isReading",
            "isWriting",
        ):
            self.assertTrue(callable(getattr(cls, name)), name)

    def test_noFileDescriptorError(self) -> None:
        """
        C{_NO_FILEDESC} is the ConnectionFdescWentAway instance the select
        and poll reactors disconnect lost descriptors with.
        """
        from twisted.internet.error import ConnectionFdescWentAway

        self.assertIsInstance(_twisted_private._NO_FILEDESC, ConnectionFdescWentAway)

    def test_reactorBaseAttributes(self) -> None:
        """
        Every underscore attribute of the reactor base classes that
        TornadoReactor uses exists on a fresh reactor.
        """
        reactor = tornadoAsyncioReactor()
        try:
            for name in _twisted_private.REACTOR_BASE_ATTRIBUTES:
                self.assertTrue(
                    hasattr(reactor, name) or hasattr(PosixReactorBase, name), name
                )
        finally:
            reactor.io_loop.close()

    def test_twistdServerOptions(self) -> None:
        """
        C{twisted.scripts.twistd.ServerOptions} is twistd's options class,
        with the C{pidfile} and C{nodaemon} options the plugin reads.
        """
        from txtornado._compat.twisted import twistdServerOptions

        config = twistdServerOptions()()
        config.parseOptions(["-n", "--pidfile=x.pid"])
        self.assertTrue(config["nodaemon"])
        self.assertTrue(config["pidfile"].endswith("x.pid"))


class FutureAwaitTests(SynchronousTestCase):
    """
    The names of Twisted's coroutine runner that
    L{_twisted_private.install_future_await} replaces.
    """

    def test_runnerLooksNamesUp(self) -> None:
        """
        C{iscoroutine} and C{_cancellableInlineCallbacks} are globals of
        C{twisted.internet.defer} that C{_inlineCallbacks} (the runner),
        C{Deferred.fromCoroutine} and C{inlineCallbacks} look up when they
        run: replacing the module attributes reaches all three.
        """
        from twisted.internet import defer

        def names(function: Any) -> set[str]:
            found: set[str] = set()
            codes = [function.__code__]
            while codes:
                code = codes.pop()
                found.update(code.co_names)
                codes.extend(c for c in code.co_consts if inspect.iscode(c))
            return found

        for name in _twisted_private.FUTURE_AWAIT_NAMES:
            self.assertTrue(callable(getattr(defer, name, None)), name)
        self.assertLessEqual(
            set(_twisted_private.FUTURE_AWAIT_NAMES), names(defer._inlineCallbacks)
        )
        self.assertLessEqual(
            set(_twisted_private.FUTURE_AWAIT_NAMES),
            names(defer.Deferred.fromCoroutine),
        )
        self.assertIn("_cancellableInlineCallbacks", names(defer.inlineCallbacks))
        self.assertEqual(
            list(inspect.signature(defer._cancellableInlineCallbacks).parameters),
            ["gen"],
        )

    def test_installed(self) -> None:
        """
        Importing L{txtornado.futures} installs the replacements, once (a
        second call keeps the first one's), and the runner waits through
        them for what the predicate accepts: the coroutine is resumed with
        the outcome of the converted Deferred.
        """
        from twisted.internet import defer

        import txtornado.futures  # noqa: F401

        installed = defer._cancellableInlineCallbacks
        self.assertTrue(getattr(installed, "_txtornado_awaits", False))
        _twisted_private.install_future_await(
            lambda obj: False, lambda obj: defer.fail(AssertionError())
        )
        self.assertIs(defer._cancellableInlineCallbacks, installed)

        class Plain:
            # Yields a value that is no Deferred, coroutine or future.
            def __await__(self) -> Any:
                return (yield "plain")

        async def main() -> Any:
            return await Plain()

        # The runner sends it back, as before.
        self.assertEqual(self.successResultOf(defer.ensureDeferred(main())), "plain")

    def test_futureAwaited(self) -> None:
        """
        With the replacements installed, a coroutine run by
        C{ensureDeferred} that awaits an asyncio future waits for it, in
        C{_inlineCallbacks}, without a task.
        """
        import asyncio

        from twisted.internet import defer

        import txtornado.futures  # noqa: F401

        loop = asyncio.new_event_loop()
        self.addCleanup(loop.close)

        async def main() -> Any:
            return await future

        async def run() -> Any:
            nonlocal future
            future = loop.create_future()
            deferred = defer.ensureDeferred(main())
            self.assertNoResult(deferred)
            future.set_result("result")
            await asyncio.sleep(0)
            return self.successResultOf(deferred)

        future: asyncio.Future[Any]
        self.assertEqual(loop.run_until_complete(run()), "result")


class TornadoPrivateNamesTests(SynchronousTestCase):
    """
    The Tornado attribute the reactor's loop driver uses.
    """

    def test_stopThreadPool(self) -> None:
        """
        C{ReactorBase._stopThreadPool} stops the pool made by
        C{getThreadPool}, and forgets it and its startup trigger.
        """
        from twisted.internet.selectreactor import SelectReactor

        reactor = SelectReactor()
        pool = reactor.getThreadPool()
        pool.start()
        _twisted_private.stopThreadPool(reactor)
        self.assertFalse(pool.started)
        self.assertEqual(pool.threads, [])
        self.assertIsNone(reactor.threadpool)
        reactor.fireSystemEvent("startup")
        self.assertFalse(pool.started)

    def test_alpnAsksFactory(self) -> None:
        """
        Twisted's TLS names ALPN protocols in exactly one of the two ways
        C{alpnAsksFactory} tells apart: C{_sslverify.protosFromProtocol}
        (the select callback asks the wrapped factory at each handshake),
        or C{TLSMemoryBIOFactory._applyProtocolNegotiation} (the factory's
        protocols set on the context per connection).
        """
        from twisted.internet import _sslverify
        from twisted.protocols.tls import TLSMemoryBIOFactory

        asks = _twisted_private.alpnAsksFactory()
        self.assertIsInstance(asks, bool)
        if asks:
            self.assertEqual(
                list(inspect.signature(_sslverify.protosFromProtocol).parameters),
                ["tlsProto", "acceptableProtocols"],
            )
            self.assertFalse(hasattr(TLSMemoryBIOFactory, "_applyProtocolNegotiation"))
        else:
            self.assertTrue(hasattr(TLSMemoryBIOFactory, "_applyProtocolNegotiation"))

    def test_forgetEPollDescriptor(self) -> None:
        """
        An EPollReactor keeps registered descriptors in C{_reads},
        C{_writes} and C{_selectables}, which C{forgetEPollDescriptor}
        empties of a number.
        """
        from twisted.internet.epollreactor import EPollReactor

        reactor = EPollReactor()
        r, w = os.pipe()
        try:

            class Reader:
                def fileno(self) -> int:
                    return r

                def logPrefix(self) -> str:
                    return "Reader"

            reactor.addReader(Reader())  # type: ignore[arg-type]
            self.assertIn(r, reactor._reads)  # type: ignore[attr-defined]
            self.assertIn(r, reactor._selectables)  # type: ignore[attr-defined]
            _twisted_private.forgetEPollDescriptor(reactor, r)
            self.assertNotIn(r, reactor._reads)  # type: ignore[attr-defined]
            self.assertNotIn(r, reactor._writes)  # type: ignore[attr-defined]
            self.assertNotIn(r, reactor._selectables)  # type: ignore[attr-defined]
        finally:
            os.close(r)
            os.close(w)
            reactor.removeReader(reactor.waker)
            reactor.waker.connectionLost(None)

    def test_asyncioLoopAttribute(self) -> None:
        """
        A Tornado IOLoop publishes its asyncio loop as C{asyncio_loop}.
        """
        import asyncio

        from tornado.platform.asyncio import AsyncIOLoop

        loop = asyncio.new_event_loop()
        ioLoop = AsyncIOLoop(asyncio_loop=loop)
        try:
            self.assertIs(ioLoop.asyncio_loop, loop)  # type: ignore[attr-defined]
        finally:
            ioLoop.close()


class PytestTwistedPrivateNamesTests(SynchronousTestCase):
    """
    The pytest-twisted names L{txtornado.pytest_plugin} uses.
    """

    def test_installers(self) -> None:
        """
        pytest-twisted keeps its reactor installers in a dict, and has the
        C{_install_reactor(reactor_installer, reactor_type)} helper.
        """
        import pytest_twisted

        import txtornado.pytest_plugin  # noqa: F401  (registers "tornado")

        self.assertIsInstance(pytest_twisted.reactor_installers, dict)
        self.assertEqual(
            list(inspect.signature(pytest_twisted._install_reactor).parameters),
            ["reactor_installer", "reactor_type"],
        )
        self.assertIn("tornado", pytest_twisted.reactor_installers)


class _FakeGLib:
    """
    The parts of C{gi.repository.GLib} that C{GlibReactorBase.__init__}
    and its waker use, recording the main loop's runs and quits.
    """

    PRIORITY_DEFAULT_IDLE = 200

    class IOCondition:
        IN, OUT, ERR, HUP, NVAL = 1, 4, 8, 16, 32

    def __init__(self) -> None:
        self.calls: list[str] = []
        glib = self

        class MainLoop:
            def run(self) -> None:
                glib.calls.append("run")

            def quit(self) -> None:
                glib.calls.append("quit")

        self.MainLoop = MainLoop

    def main_context_default(self) -> Any:
        class Context:
            def pending(self) -> bool:
                return False

            def iteration(self, may_block: bool) -> bool:
                return False

        return Context()

    def io_add_watch(self, *args: object) -> int:
        return 1

    def source_remove(self, tag: int) -> None:
        pass

    def timeout_add(self, *args: object, **kwargs: object) -> int:
        return 2

    def idle_add(self, callback: Any) -> int:
        callback()
        return 3


class DrivingModeNamesTests(SynchronousTestCase):
    """
    What driving mode (L{txtornado._loop_on_reactor.driving}) relies on.
    """

    def test_reactorIteration(self) -> None:
        """
        A poller reactor overrides C{ReactorBase.doIteration} and has
        C{runUntilCurrent} and C{timeout}; C{ReactorBase.doIteration}
        itself is not an implementation.
        """
        from twisted.internet.base import ReactorBase
        from twisted.internet.pollreactor import PollReactor

        from txtornado.eventloop import dispose_reactor

        reactor = PollReactor()
        self.addCleanup(dispose_reactor, reactor)
        iteration = _twisted_private.reactorIteration(reactor)
        assert iteration is not None
        self.assertEqual(iteration.timeout(), None)
        iteration.runUntilCurrent()
        iteration.doIteration(0)
        with self.assertRaises(NotImplementedError):
            ReactorBase.doIteration(reactor, 0)

        class NoIteration(PollReactor):
            doIteration = ReactorBase.doIteration

        other = NoIteration()
        self.addCleanup(dispose_reactor, other)
        self.assertIsNone(_twisted_private.reactorIteration(other))

    def test_toolkitMainLoop(self) -> None:
        """
        C{GlibReactorBase.__init__} sets C{_run} and C{_crash} to run and
        quit its main loop (C{crash} quits it from an idle callback); a
        reactor of another kind has no toolkit main loop.
        """
        from twisted.internet import _glibbase
        from twisted.internet.pollreactor import PollReactor

        from txtornado.eventloop import dispose_reactor

        glib = _FakeGLib()
        reactor = _glibbase.GlibReactorBase(glib, None)
        main_loop = _twisted_private.toolkitMainLoop(reactor)
        assert main_loop is not None
        main_loop.run()
        main_loop.quit()
        self.assertEqual(glib.calls, ["run", "quit"])
        self.assertIsNone(_twisted_private.reactorIteration(reactor))
        poller = PollReactor()
        self.addCleanup(dispose_reactor, poller)
        self.assertIsNone(_twisted_private.toolkitMainLoop(poller))
