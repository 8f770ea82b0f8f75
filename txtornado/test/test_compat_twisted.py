"""
The private names of Twisted, Tornado and pytest-twisted that txtornado
relies on still exist and still mean what txtornado assumes.  If one of
these fails after an upgrade, the module named in the failure is the one
place to change.
"""

from __future__ import annotations

import inspect
import os
import socket
from typing import Any

from twisted.internet.posixbase import PosixReactorBase
from twisted.trial.unittest import SynchronousTestCase

from txtornado._compat import twisted as _twisted_private
from txtornado.test._gui import requireModule
from txtornado.test._subprocess import runPython
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

    def test_startedAccessors(self) -> None:
        """
        C{reactor_has_started} is true from C{startRunning} until a
        C{crash}; C{reactor_started_before} is true from C{stop} on, for
        good.
        """
        reactor = tornadoAsyncioReactor()
        try:
            self.assertFalse(_twisted_private.reactor_has_started(reactor))
            self.assertFalse(_twisted_private.reactor_started_before(reactor))
            reactor.startRunning(installSignalHandlers=False)
            self.assertTrue(_twisted_private.reactor_has_started(reactor))
            self.assertFalse(_twisted_private.reactor_started_before(reactor))
            reactor.crash()
            self.assertFalse(_twisted_private.reactor_has_started(reactor))
            reactor.startRunning(installSignalHandlers=False)
            reactor.stop()
            self.assertTrue(_twisted_private.reactor_started_before(reactor))
        finally:
            reactor.io_loop.close()

    def test_hooks(self) -> None:
        """
        L{PosixReactorHooks}: C{startRunning(installSignalHandlers=True)}
        installs what C{makeSignalHandling} returns, and
        C{uninstall_signal_handling} uninstalls it; a timed call moved
        sooner reaches C{timedCallMovedSooner}, a later one does not.
        """
        from twisted.internet.selectreactor import SelectReactor

        events: list[object] = []

        class Handling:
            def install(self) -> None:
                events.append("install")

            def uninstall(self) -> None:
                events.append("uninstall")

        class Reactor(_twisted_private.PosixReactorHooks, SelectReactor):
            def makeSignalHandling(self) -> Any:
                return Handling()

            def timedCallMovedSooner(self, delayedCall: Any) -> None:
                events.append(delayedCall)

        reactor = Reactor()
        try:
            call = reactor.callLater(10, lambda: None)
            reactor.runUntilCurrent()  # into the heap
            call.delay(5)
            self.assertEqual(events, [])
            call.reset(1)
            self.assertEqual(events, [call])
            del events[:]
            reactor.startRunning(installSignalHandlers=True)
            self.assertEqual(events, ["install"])
            _twisted_private.uninstall_signal_handling(reactor)
            self.assertEqual(events, ["install", "uninstall"])
            call.cancel()
        finally:
            reactor.removeReader(reactor.waker)
            reactor.waker.connectionLost(None)

    def test_descriptorAccessors(self) -> None:
        """
        C{disconnect_selectable} removes a descriptor and calls its
        C{connectionLost} with the reason; C{remove_all_descriptors} removes
        and returns the given readers and writers.
        """
        from twisted.internet.error import ConnectionDone
        from twisted.internet.selectreactor import SelectReactor

        reactor = SelectReactor()
        r, w = os.pipe()
        lost: list[Any] = []

        class Descriptor:
            def fileno(self) -> int:
                return r

            def logPrefix(self) -> str:
                return "Descriptor"

            def connectionLost(self, reason: Any) -> None:
                lost.append(reason)

        try:
            one, two = Descriptor(), Descriptor()
            reactor.addReader(one)  # type: ignore[arg-type]
            _twisted_private.disconnect_selectable(reactor, one, ConnectionDone(), True)
            self.assertNotIn(one, reactor.getReaders())
            self.assertEqual(len(lost), 1)
            lost[0].trap(ConnectionDone)
            reactor.addWriter(two)  # type: ignore[arg-type]
            removed = _twisted_private.remove_all_descriptors(reactor, [], [two])
            self.assertEqual(removed, [two])
            self.assertNotIn(two, reactor.getWriters())
        finally:
            os.close(r)
            os.close(w)
            reactor.removeReader(reactor.waker)
            reactor.waker.connectionLost(None)

    def test_twistdServerOptions(self) -> None:
        """
        C{twisted.scripts.twistd.ServerOptions} is twistd's options class,
        with the C{pidfile} and C{nodaemon} options the plugin reads.
        """
        from txtornado._compat.twisted import twistd_server_options

        config = twistd_server_options()()
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


class ReactorPrivateNamesTests(SynchronousTestCase):
    """
    The private reactor, TLS and transport names used.
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
        _twisted_private.stop_thread_pool(reactor)
        self.assertFalse(pool.started)
        self.assertEqual(pool.threads, [])
        self.assertIsNone(reactor.threadpool)
        reactor.fireSystemEvent("startup")
        self.assertFalse(pool.started)

    def test_alpnAsksFactory(self) -> None:
        """
        Twisted's TLS names ALPN protocols in exactly one of the two ways
        C{alpn_asks_factory} tells apart: C{_sslverify.protosFromProtocol}
        (the select callback asks the wrapped factory at each handshake),
        or C{TLSMemoryBIOFactory._applyProtocolNegotiation} (the factory's
        protocols set on the context per connection).
        """
        from twisted.internet import _sslverify
        from twisted.protocols.tls import TLSMemoryBIOFactory

        asks = _twisted_private.alpn_asks_factory()
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
        C{_writes} and C{_selectables}, which C{forget_epoll_descriptor}
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
            _twisted_private.forget_epoll_descriptor(reactor, r)
            self.assertNotIn(r, reactor._reads)  # type: ignore[attr-defined]
            self.assertNotIn(r, reactor._writes)  # type: ignore[attr-defined]
            self.assertNotIn(r, reactor._selectables)  # type: ignore[attr-defined]
        finally:
            os.close(r)
            os.close(w)
            reactor.removeReader(reactor.waker)
            reactor.waker.connectionLost(None)


class TransportAttributeTests(SynchronousTestCase):
    """
    The instance attributes of Twisted's TCP transport and TLS wrapper that
    L{txtornado._compat.twisted.transport_socket} and
    L{started_tls_protocol} read.
    """

    def setUp(self) -> None:
        from twisted.internet.selectreactor import SelectReactor

        self.reactor = SelectReactor()
        self.sockets = socket.socketpair()

    def tearDown(self) -> None:
        for sock in self.sockets:
            sock.close()
        self.reactor.removeAll()

    def test_tcp(self) -> None:
        """
        A TCP transport's socket is its C{socket}; it has started no TLS.
        """
        from twisted.internet import tcp
        from twisted.internet.protocol import Protocol

        connection = tcp.Connection(self.sockets[0], Protocol(), self.reactor)
        self.assertIs(_twisted_private.transport_socket(connection), self.sockets[0])
        self.assertIsNone(_twisted_private.started_tls_protocol(connection))

    def test_startTLS(self) -> None:
        """
        After C{startTLS}, a TCP transport keeps its socket and delivers to
        a C{TLSMemoryBIOProtocol}, its C{protocol}.
        """
        from twisted.internet import tcp
        from twisted.internet.protocol import Protocol
        from twisted.internet.ssl import optionsForClientTLS
        from twisted.protocols.tls import TLSMemoryBIOProtocol

        connection = tcp.Connection(self.sockets[0], Protocol(), self.reactor)
        connection._tlsClientDefault = True  # as tcp.Client has it
        connection.startTLS(optionsForClientTLS("example.com"))
        self.assertIsInstance(
            _twisted_private.started_tls_protocol(connection), TLSMemoryBIOProtocol
        )
        self.assertIs(_twisted_private.transport_socket(connection), self.sockets[0])

    def test_tlsWrapper(self) -> None:
        """
        Through a C{TLSMemoryBIOProtocol} over a TCP transport (a C{tls:}
        endpoint), the socket is the TCP transport's.
        """
        from twisted.internet import tcp
        from twisted.internet.protocol import Factory, Protocol
        from twisted.internet.ssl import optionsForClientTLS
        from twisted.protocols.tls import TLSMemoryBIOFactory

        factory = TLSMemoryBIOFactory(
            optionsForClientTLS("example.com"),
            True,
            Factory.forProtocol(Protocol),
            clock=self.reactor,
        )
        tls = factory.buildProtocol(None)
        connection = tcp.Connection(self.sockets[0], tls, self.reactor)
        tls.makeConnection(connection)
        self.assertIs(_twisted_private.transport_socket(tls), self.sockets[0])
        self.assertIsNone(_twisted_private.started_tls_protocol(tls))


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
        self.calls.append(f"source_remove {tag}")

    def timeout_add(self, *args: object, **kwargs: object) -> int:
        return 2

    def idle_add(self, callback: Any) -> int:
        self.calls.append("idle_add")
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
        iteration = _twisted_private.reactor_iteration(reactor)
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
        self.assertIsNone(_twisted_private.reactor_iteration(other))

    def test_discardGlibReactorTimeout(self) -> None:
        """
        C{GlibReactorBase.callLater} keeps a GLib timeout for its timed
        calls in C{_simtag} (C{_reschedule}, through C{_timeout_add});
        discarding the reactor removes it through C{_source_remove}.
        """
        from twisted.internet import _glibbase

        glib = _FakeGLib()
        reactor = _glibbase.GlibReactorBase(glib, None)
        reactor.callLater(10, lambda: None)
        self.assertEqual(reactor._simtag, 2)
        del glib.calls[:]
        reactor.disconnectAll()
        _twisted_private.discard_reactor_state(reactor)
        self.assertIn("source_remove 2", glib.calls)
        self.assertEqual(vars(reactor), {})

    def test_toolkitMainLoop(self) -> None:
        """
        C{GlibReactorBase.__init__} sets C{loop} to the GLib main loop it
        runs; the toolkit main loop runs it and quits it at once (not from
        an idle callback, as the reactor's C{crash} does); a reactor of
        another kind has no toolkit main loop.
        """
        from twisted.internet import _glibbase
        from twisted.internet.pollreactor import PollReactor

        from txtornado.eventloop import dispose_reactor

        glib = _FakeGLib()
        reactor = _glibbase.GlibReactorBase(glib, None)
        main_loop = _twisted_private.toolkit_main_loop(reactor)
        assert main_loop is not None
        main_loop.run()
        main_loop.quit()
        self.assertEqual(glib.calls, ["run", "quit"])
        reactor.crash()
        self.assertEqual(glib.calls[2:], ["idle_add", "quit"])
        self.assertIsNone(_twisted_private.reactor_iteration(reactor))
        poller = PollReactor()
        self.addCleanup(dispose_reactor, poller)
        self.assertIsNone(_twisted_private.toolkit_main_loop(poller))

    def test_qtReactorMainLoop(self) -> None:
        """
        qt5reactor's C{QtReactor} keeps its C{QTimer} in C{_timer}, which
        belongs to the thread that made the reactor, and C{qt5reactor.core}
        has its Qt binding's C{QEventLoop}: the toolkit main loop runs a new
        one until quit; in another thread it is refused.  (In a child: it
        makes a C{QCoreApplication}.)
        """
        requireModule("PyQt5")
        requireModule("qt5reactor")
        result = runPython(_QT_MAIN_LOOP_CHILD, timeout=60)
        self.assertEqual(
            (result.returncode, result.stdout.strip()), (0, "OK"), result.stderr
        )


#: Run in a child by L{DrivingModeNamesTests.test_qtReactorMainLoop}.
_QT_MAIN_LOOP_CHILD = """
import threading
from PyQt5.QtCore import QCoreApplication, QEventLoop, QThread, QTimer
application = QCoreApplication([])
import qt5reactor.core
from txtornado._compat import twisted as _twisted_private

reactor = qt5reactor.core.QtReactor()
assert isinstance(reactor._timer, QTimer), reactor._timer
assert reactor._timer.thread() is QThread.currentThread()
assert qt5reactor.core.QEventLoop is QEventLoop
main_loop = _twisted_private.toolkit_main_loop(reactor)
QTimer.singleShot(0, main_loop.quit)
main_loop.run()
refused = []

def elsewhere():
    try:
        _twisted_private.toolkit_main_loop(reactor)
    except RuntimeError as e:
        refused.append(str(e))

thread = threading.Thread(target=elsewhere)
thread.start()
thread.join()
assert len(refused) == 1, refused
print("OK")
"""


class ReactorLifetimeNamesTests(SynchronousTestCase):
    """
    What hosted mode and private reactors rely on
    (L{txtornado._compat.twisted.wrap_crash}, C{discard_reactor_state}).
    """

    def test_wrapCrash(self) -> None:
        """
        A C{crash} instance attribute shadows the reactor's method (which
        C{ReactorBase.crash} is, looked up on the instance by callers such
        as trial), runs it, then C{after}; unwrapping removes it, and a
        second wrap while wrapped wraps nothing.
        """
        from twisted.internet.base import ReactorBase
        from twisted.internet.pollreactor import PollReactor

        from txtornado.eventloop import dispose_reactor

        reactor = PollReactor()
        self.addCleanup(dispose_reactor, reactor)
        self.assertIn("crash", vars(ReactorBase))
        calls: list[str] = []
        unwrap = _twisted_private.wrap_crash(reactor, lambda: calls.append("after"))
        assert unwrap is not None
        self.assertIsNone(_twisted_private.wrap_crash(reactor, lambda: None))
        reactor.crash()
        self.assertEqual(calls, ["after"])
        unwrap()
        self.assertNotIn("crash", vars(reactor))
        reactor.crash()
        self.assertEqual(calls, ["after"])

    def test_discardReactor(self) -> None:
        """
        C{ReactorBase.installWaker} leaves the waker, a reader with a
        descriptor, in C{reactor.waker}; discarding the reactor closes it
        and empties the reactor's instance dictionary.
        """
        from twisted.internet.pollreactor import PollReactor

        reactor = PollReactor()
        waker = reactor.waker
        self.assertIn(waker, reactor.getReaders())
        fd = waker.fileno()
        os.fstat(fd)
        reactor.disconnectAll()
        _twisted_private.discard_reactor_state(reactor)
        self.assertEqual(vars(reactor), {})
        self.assertEqual(vars(waker), {})
        with self.assertRaises(OSError):
            os.fstat(fd)
