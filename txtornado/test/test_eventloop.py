"""
Tests for L{txtornado.eventloop.TwistedEventLoop}, on a new EPoll, Poll and
Select reactor per test (L{txtornado.policy.TwistedEventLoopPolicy}'s are
in C{test_policy}).  Runs under pytest and trial.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import logging
import os
import signal
import socket
import ssl
import sys
import tempfile
import threading
from collections.abc import Callable
from typing import Any

import tornado.test
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReadDescriptor
from twisted.internet.protocol import ProcessProtocol
from twisted.python.failure import Failure
from zope.interface import implementer

from txtornado import TwistedEventLoop
from txtornado.test._helpers import open_fds, per_reactor

_CERT_DIR = os.path.dirname(tornado.test.__file__)


class _EventLoopTests:
    """
    Behaviour of a TwistedEventLoop on C{self.reactor}, a new reactor that
    the loop owns (so closing the loop releases it).
    """

    reactorFactory: Callable[[], Any]
    #: TwistedEventLoop's nested_selector (see per_reactor).
    nestedSelector: bool = True

    # Set up and helpers

    def setUp(self) -> None:
        self.fds_before = open_fds()
        self.reactor = self.reactorFactory()
        self.loop = TwistedEventLoop(
            reactor_factory=lambda: self.reactor, nested_selector=self.nestedSelector
        )
        self.addCleanup(self._close)  # type: ignore[attr-defined]

    def _close(self) -> None:
        if not self.loop.is_closed():
            self.loop.close()

    def _watched_fds(self) -> list[int]:
        """
        The descriptors the reactor polls for reading, as far as the kernel
        still knows them (epoll drops closed ones by itself).
        """
        from txtornado._loop_on_reactor.selector import NestedSelector

        nested = self.loop._reactor_selector
        if isinstance(nested, NestedSelector):
            # The loop's own epoll: ask the kernel what it watches.
            with open(f"/proc/self/fdinfo/{nested.fileno()}") as info:
                return [
                    int(line.split()[1]) for line in info if line.startswith("tfd:")
                ]
        fds = []
        for reader in self.reactor.getReaders():
            fd = reader.fileno()
            try:
                os.fstat(fd)
            except OSError:
                if "EPoll" in type(self.reactor).__name__:
                    continue
            fds.append(fd)
        return fds

    def complete(self, coro: Any) -> Any:
        return self.loop.run_until_complete(asyncio.wait_for(coro, 10))

    # Scheduling

    def test_call_soon_fifo(self) -> None:
        """
        call_soon callbacks run in the order they were scheduled, with their
        arguments, including callbacks scheduled by callbacks.
        """
        calls: list[Any] = []

        def first() -> None:
            calls.append("first")
            self.loop.call_soon(calls.append, "nested")

        self.loop.call_soon(first)
        for i in range(5):
            self.loop.call_soon(calls.append, i)
        self.loop.call_soon(self.loop.stop)
        self.loop.run_forever()
        self.loop.run_until_complete(asyncio.sleep(0))
        self.assertEqual(calls, ["first", 0, 1, 2, 3, 4, "nested"])  # type: ignore[attr-defined]

    def test_call_soon_paths(self) -> None:
        """
        call_soon runs callbacks in their context; in debug mode it makes
        asyncio's checks (a non-callable is refused); once the loop is
        closed it raises, as asyncio's does.
        """
        var: contextvars.ContextVar[str] = contextvars.ContextVar("var")
        context = contextvars.copy_context()
        context.run(var.set, "inside")
        seen: list[str] = []
        self.loop.call_soon(lambda: seen.append(var.get("outside")), context=context)
        self.loop.call_soon(lambda: seen.append(var.get("outside")))
        self.loop.run_until_complete(asyncio.sleep(0))
        self.assertEqual(seen, ["inside", "outside"])  # type: ignore[attr-defined]
        self.loop.set_debug(True)
        with self.assertRaises(TypeError):  # type: ignore[attr-defined]
            self.loop.call_soon(42)  # type: ignore[arg-type]
        self.loop.set_debug(False)
        self.loop.close()
        with self.assertRaises(RuntimeError):  # type: ignore[attr-defined]
            self.loop.call_soon(seen.append, "closed")

    def test_timers_order_and_one_reactor_call(self) -> None:
        """
        Timers run in due order, never early by the loop's clock, and many
        asyncio timers use at most one reactor delayed call plus one for the
        ready queue.  (Due times are fixed from one reading of the clock, so
        that a pause between the calls cannot reorder them.)
        """
        calls: list[tuple[float, float]] = []
        start = self.loop.time()
        for delay in (0.03, 0.01, 0.02, 0.01):
            self.loop.call_at(
                start + delay, lambda d=delay: calls.append((d, self.loop.time()))
            )
        self.loop.call_at(start + 0.04, self.loop.stop)
        self.assertLessEqual(len(self.reactor.getDelayedCalls()), 2)  # type: ignore[attr-defined]
        self.loop.run_forever()
        self.assertEqual([d for d, _ in calls], [0.01, 0.01, 0.02, 0.03])  # type: ignore[attr-defined]
        for delay, when in calls:
            self.assertGreaterEqual(when, start + delay)  # type: ignore[attr-defined]

    def test_cancelled_timer(self) -> None:
        """
        A cancelled timer does not run; the loop keeps running its other
        timers.
        """
        calls: list[str] = []
        handle = self.loop.call_later(0.01, calls.append, "cancelled")
        self.loop.call_later(0.02, calls.append, "kept")
        handle.cancel()
        self.loop.run_until_complete(asyncio.sleep(0.03))
        self.assertEqual(calls, ["kept"])  # type: ignore[attr-defined]

    def test_call_soon_threadsafe_wakes_reactor(self) -> None:
        """
        call_soon_threadsafe from another thread wakes a reactor that is
        blocked waiting, and the callback runs in the loop's thread.
        """
        future: asyncio.Future[int] = self.loop.create_future()
        threads: list[int] = []

        def in_thread() -> None:
            self.loop.call_soon_threadsafe(
                lambda: (threads.append(threading.get_ident()), future.set_result(7))
            )

        thread = threading.Thread(target=in_thread)
        self.loop.call_soon(thread.start)
        self.assertEqual(self.loop.run_until_complete(future), 7)  # type: ignore[attr-defined]
        thread.join()
        self.assertEqual(threads, [threading.get_ident()])  # type: ignore[attr-defined]

    def test_call_soon_threadsafe_burst_shares_wake_up(self) -> None:
        """
        A burst of call_soon_threadsafe calls made while no wake-up has
        been handled costs one reactor.callFromThread; every callback runs,
        in order, and a call made once that wake-up has been handled wakes
        the reactor again.  (A call made before it has been handled shares
        it too, whenever it is made: the test makes the later call from the
        wake-up itself, not after a delay.)
        """
        reactor = self.loop.reactor  # type: ignore[attr-defined]
        wakes: list[object] = []
        callFromThread = reactor.callFromThread

        def counting(f: Any, *args: Any) -> None:
            wakes.append(f)

            def handled() -> None:
                f(*args)
                if len(wakes) == 1:
                    # The first wake-up has been handled: the next call
                    # from a thread must ask for another.
                    self.loop.call_soon(later)

            callFromThread(handled)

        reactor.callFromThread = counting
        self.addCleanup(setattr, reactor, "callFromThread", callFromThread)  # type: ignore[attr-defined]
        ran: list[int] = []
        done: asyncio.Future[None] = self.loop.create_future()

        def burst() -> None:
            # The loop's thread waits for the thread: no wake-up can run.
            thread = threading.Thread(
                target=lambda: [
                    self.loop.call_soon_threadsafe(ran.append, i) for i in range(100)
                ]
            )
            thread.start()
            thread.join()

        def later() -> None:
            thread = threading.Thread(
                target=self.loop.call_soon_threadsafe, args=(done.set_result, None)
            )
            thread.start()
            thread.join()

        self.loop.call_soon(burst)
        # a guard, should a wake-up be lost: fail rather than hang
        guard = self.loop.call_later(30, done.cancel)
        self.loop.run_until_complete(done)
        guard.cancel()
        self.assertEqual(ran, list(range(100)))  # type: ignore[attr-defined]
        self.assertEqual(len(wakes), 2)  # type: ignore[attr-defined]

    def test_exception_handler(self) -> None:
        """
        A callback that raises goes to the exception handler, and the loop
        goes on with the next callback.
        """
        contexts: list[dict[str, Any]] = []
        self.loop.set_exception_handler(lambda loop, ctx: contexts.append(ctx))
        after: list[str] = []

        def boom() -> None:
            raise ValueError("boom")

        self.loop.call_soon(boom)
        self.loop.call_soon(after.append, "after")
        self.loop.run_until_complete(asyncio.sleep(0))
        self.assertEqual(after, ["after"])  # type: ignore[attr-defined]
        self.assertEqual(len(contexts), 1)  # type: ignore[attr-defined]
        self.assertIsInstance(contexts[0]["exception"], ValueError)  # type: ignore[attr-defined]

    def test_base_exception_leaves_run(self) -> None:
        """
        A KeyboardInterrupt raised by a callback leaves run_until_complete,
        as with asyncio (Twisted would log and swallow it), and the loop can
        run again.
        """

        def interrupt() -> None:
            raise KeyboardInterrupt

        self.loop.call_soon(interrupt)
        with self.assertRaises(KeyboardInterrupt):  # type: ignore[attr-defined]
            self.loop.run_until_complete(asyncio.sleep(1))
        self.assertEqual(
            self.loop.run_until_complete(asyncio.sleep(0, "again")), "again"
        )  # type: ignore[attr-defined]

    def test_debug_slow_callback(self) -> None:
        """
        In debug mode, a callback slower than slow_callback_duration is
        logged as a warning.
        """
        self.loop.set_debug(True)
        self.loop.slow_callback_duration = 0.0
        with self.assertLogs("asyncio", logging.WARNING) as logs:  # type: ignore[attr-defined]
            self.loop.run_until_complete(asyncio.sleep(0))
        self.assertTrue(any("Executing" in line for line in logs.output))  # type: ignore[attr-defined]

    # Running and stopping

    def test_run_until_complete_does_not_start_reactor(self) -> None:
        """
        run_until_complete on a reactor that is not running iterates it
        (Twisted calls run, and the running loop is this loop inside them),
        but fires neither 'startup' nor 'shutdown'; reactor.run() works
        afterwards and hosts the same loop.
        """
        events: list[str] = []
        self.reactor.addSystemEventTrigger(
            "before", "startup", events.append, "startup"
        )
        self.reactor.addSystemEventTrigger(
            "before", "shutdown", events.append, "shutdown"
        )
        seen: list[Any] = []
        done: asyncio.Future[str] = self.loop.create_future()

        def twisted_callback() -> None:
            seen.append(asyncio.get_running_loop())
            done.set_result("done")

        self.reactor.callLater(0.001, twisted_callback)
        self.assertEqual(self.loop.run_until_complete(done), "done")  # type: ignore[attr-defined]
        self.assertEqual(seen, [self.loop])  # type: ignore[attr-defined]
        self.assertEqual(events, [])  # type: ignore[attr-defined]
        self.assertFalse(self.reactor.running)  # type: ignore[attr-defined]
        self.assertFalse(self.loop.is_running())  # type: ignore[attr-defined]

        async def in_reactor_run() -> None:
            seen.append(asyncio.get_running_loop())
            await asyncio.sleep(0.001)
            self.reactor.stop()

        self.reactor.callWhenRunning(lambda: self.loop.create_task(in_reactor_run()))
        self.reactor.run(installSignalHandlers=False)
        self.assertEqual(seen, [self.loop, self.loop])  # type: ignore[attr-defined]
        self.assertEqual(events, ["startup", "shutdown"])  # type: ignore[attr-defined]

    def test_hosted_by_reactor_run(self) -> None:
        """
        While reactor.run() runs, the loop is running, is the running loop
        in Twisted callbacks, refuses run_until_complete and close, and its
        stop() does not stop the reactor.
        """
        results: dict[str, Any] = {}

        def started() -> None:
            results["running"] = self.loop.is_running()
            results["current"] = asyncio.get_running_loop()
            coro = asyncio.sleep(0)
            try:
                self.loop.run_until_complete(coro)
            except RuntimeError as e:
                results["nested"] = str(e)
            coro.close()
            try:
                self.loop.close()
            except RuntimeError as e:
                results["close"] = str(e)
            self.loop.stop()
            self.loop.call_soon(after_stop)

        def after_stop() -> None:
            results["still_running"] = self.reactor.running
            self.reactor.stop()

        self.reactor.callWhenRunning(started)
        self.reactor.run(installSignalHandlers=False)
        self.assertEqual(  # type: ignore[attr-defined]
            results,
            {
                "running": True,
                "current": self.loop,
                "nested": "This event loop is already running",
                "close": "Cannot close a running event loop",
                "still_running": True,
            },
        )
        self.assertFalse(self.loop.is_running())  # type: ignore[attr-defined]
        self.assertIsNone(asyncio._get_running_loop())  # type: ignore[attr-defined]

    def test_stop_before_run(self) -> None:
        """
        stop() before run_forever() makes it run what is ready once and
        return.
        """
        calls: list[int] = []
        self.loop.call_soon(calls.append, 1)
        self.loop.stop()
        self.loop.run_forever()
        self.assertEqual(calls, [1])  # type: ignore[attr-defined]
        self.assertFalse(self.loop.is_running())  # type: ignore[attr-defined]

    def test_run_until_complete_errors(self) -> None:
        """
        run_until_complete inside the running loop, and on a closed loop,
        raise asyncio's errors.
        """

        async def nested() -> str:
            coro = asyncio.sleep(0)
            try:
                self.loop.run_until_complete(coro)
            except RuntimeError as e:
                return str(e)
            finally:
                coro.close()
            return "no error"

        self.assertEqual(self.complete(nested()), "This event loop is already running")  # type: ignore[attr-defined]
        self.loop.close()
        coro = asyncio.sleep(0)
        with self.assertRaises(RuntimeError) as e:  # type: ignore[attr-defined]
            self.loop.run_until_complete(coro)
        coro.close()
        self.assertEqual(str(e.exception), "Event loop is closed")  # type: ignore[attr-defined]

    def test_runner_loop_factory(self) -> None:
        """
        asyncio.Runner(loop_factory=...) runs coroutines on a
        TwistedEventLoop and closes it.
        """
        self.loop.close()
        loops: list[TwistedEventLoop] = []

        def factory() -> TwistedEventLoop:
            loops.append(TwistedEventLoop(reactor_factory=type(self.reactor)))
            return loops[-1]

        async def main() -> asyncio.AbstractEventLoop:
            await asyncio.sleep(0.001)
            return asyncio.get_running_loop()

        with asyncio.Runner(loop_factory=factory) as runner:
            self.assertIs(runner.run(main()), loops[0])  # type: ignore[attr-defined]
        self.assertTrue(loops[0].is_closed())  # type: ignore[attr-defined]
        if sys.version_info >= (3, 12):
            loop = asyncio.run(main(), loop_factory=factory)  # type: ignore[call-arg]
            self.assertIs(loop, loops[1])  # type: ignore[attr-defined]

    def test_one_loop_per_reactor(self) -> None:
        """
        A second open loop on the same reactor is refused; once the first is
        closed, a new one may use it.
        """
        with self.assertRaises(RuntimeError):  # type: ignore[attr-defined]
            TwistedEventLoop(self.reactor)
        other = self.reactorFactory()
        loop = TwistedEventLoop(other)
        loop.close()
        again = TwistedEventLoop(other)
        self.addCleanup(again.close)  # type: ignore[attr-defined]
        self.addCleanup(other.disconnectAll)  # type: ignore[attr-defined]
        self.assertIs(again.reactor, other)  # type: ignore[attr-defined]

    # File descriptors

    def test_add_reader_writer(self) -> None:
        """
        add_reader/add_writer callbacks run when the reactor reports the
        descriptor ready, and stop after remove_reader/remove_writer.
        """
        a, b = socket.socketpair()
        self.addCleanup(a.close)  # type: ignore[attr-defined]
        self.addCleanup(b.close)  # type: ignore[attr-defined]
        a.setblocking(False)
        got: asyncio.Future[bytes] = self.loop.create_future()
        writable: asyncio.Future[bool] = self.loop.create_future()

        def on_read() -> None:
            self.assertTrue(self.loop.remove_reader(a))  # type: ignore[attr-defined]
            got.set_result(a.recv(10))

        def on_write() -> None:
            self.assertTrue(self.loop.remove_writer(b.fileno()))  # type: ignore[attr-defined]
            b.send(b"ping")
            writable.set_result(True)

        self.loop.add_reader(a, on_read)
        self.loop.add_writer(b.fileno(), on_write)
        self.assertEqual(self.complete(got), b"ping")  # type: ignore[attr-defined]
        self.assertFalse(self.loop.remove_reader(a))  # type: ignore[attr-defined]

    def _hosted(self, body: Callable[[], None]) -> None:
        """
        Run C{body} once C{reactor.run()} hosts the loop; it must stop the
        reactor eventually.
        """
        self.reactor.callWhenRunning(body)
        self.reactor.run(installSignalHandlers=False)

    def test_io_callbacks_hosted(self) -> None:
        """
        While reactor.run() hosts the loop, reader callbacks (run as soon
        as the reactor reports the descriptor) see the loop as the running
        loop, run after callbacks queued before them, send exceptions to
        the exception handler and keep being called.
        """
        a, b = socket.socketpair()
        self.addCleanup(a.close)  # type: ignore[attr-defined]
        self.addCleanup(b.close)  # type: ignore[attr-defined]
        a.setblocking(False)
        contexts: list[dict[str, Any]] = []
        self.loop.set_exception_handler(lambda loop, ctx: contexts.append(ctx))
        calls: list[Any] = []

        def on_read() -> None:
            calls.append(("read", asyncio.get_running_loop(), a.recv(10)))
            if len(calls) == 1:
                raise ValueError("boom")
            self.loop.remove_reader(a)
            self.loop.call_soon(self.reactor.stop)

        def second_send() -> None:
            self.loop.call_soon(calls.append, "queued")
            b.send(b"2")

        def start() -> None:
            self.loop.add_reader(a, on_read)
            b.send(b"1")
            self.reactor.callLater(0.01, second_send)

        self._hosted(start)
        self.assertEqual(  # type: ignore[attr-defined]
            calls,
            [("read", self.loop, b"1"), "queued", ("read", self.loop, b"2")],
        )
        self.assertEqual(len(contexts), 1)  # type: ignore[attr-defined]
        self.assertIsInstance(contexts[0]["exception"], ValueError)  # type: ignore[attr-defined]

    def test_io_base_exception_hosted(self) -> None:
        """
        A KeyboardInterrupt from a reader callback while hosted reaches
        Twisted's log (as from any reactor call) and the descriptor stays
        watched.
        """
        a, b = socket.socketpair()
        self.addCleanup(a.close)  # type: ignore[attr-defined]
        self.addCleanup(b.close)  # type: ignore[attr-defined]
        a.setblocking(False)
        reads: list[bytes] = []

        def on_read() -> None:
            reads.append(a.recv(10))
            if len(reads) == 1:
                b.send(b"2")
                raise KeyboardInterrupt
            self.reactor.stop()

        def start() -> None:
            self.loop.add_reader(a, on_read)
            b.send(b"1")

        self._hosted(start)
        self.assertEqual(reads, [b"1", b"2"])  # type: ignore[attr-defined]
        self.assertEqual(  # type: ignore[attr-defined]
            len(self.flushLoggedErrors(KeyboardInterrupt)),  # type: ignore[attr-defined]
            1,
        )

    def test_io_base_exception_driving(self) -> None:
        """
        A KeyboardInterrupt from a reader callback leaves
        run_until_complete, and the loop can run again.
        """
        a, b = socket.socketpair()
        self.addCleanup(a.close)  # type: ignore[attr-defined]
        self.addCleanup(b.close)  # type: ignore[attr-defined]
        a.setblocking(False)

        def on_read() -> None:
            self.loop.remove_reader(a)
            a.recv(10)
            raise KeyboardInterrupt

        self.loop.add_reader(a, on_read)
        b.send(b"1")
        with self.assertRaises(KeyboardInterrupt):  # type: ignore[attr-defined]
            self.loop.run_until_complete(asyncio.sleep(1))
        self.assertEqual(
            self.loop.run_until_complete(asyncio.sleep(0, "again")), "again"
        )  # type: ignore[attr-defined]

    def test_debug_slow_io_callback(self) -> None:
        """
        In debug mode, a slow reader callback is reported as any other.
        """
        a, b = socket.socketpair()
        self.addCleanup(a.close)  # type: ignore[attr-defined]
        self.addCleanup(b.close)  # type: ignore[attr-defined]
        a.setblocking(False)
        got: asyncio.Future[bytes] = self.loop.create_future()

        def on_read() -> None:
            self.loop.remove_reader(a)
            got.set_result(a.recv(10))

        self.loop.set_debug(True)
        self.loop.slow_callback_duration = 0.0
        self.loop.add_reader(a, on_read)
        b.send(b"x")
        with self.assertLogs("asyncio", logging.WARNING) as logs:  # type: ignore[attr-defined]
            self.assertEqual(self.complete(got), b"x")  # type: ignore[attr-defined]
        self.assertTrue(any("on_read" in line for line in logs.output))  # type: ignore[attr-defined]

    def test_endless_call_soon_does_not_starve_reactor(self) -> None:
        """
        A callback that always calls call_soon again (hosted or driving)
        does not keep the reactor from delivering I/O (to asyncio's readers
        and to the reactor's own) and running its timed calls.
        """
        a, b = socket.socketpair()
        c, d = socket.socketpair()
        for s in (a, b, c, d):
            self.addCleanup(s.close)  # type: ignore[attr-defined]
        a.setblocking(False)
        c.setblocking(False)
        seen: list[str] = []
        reactor = self.reactor

        @implementer(IReadDescriptor)
        class TwistedReader:
            def fileno(self) -> int:
                return c.fileno()

            def logPrefix(self) -> str:
                return "test"

            def doRead(self) -> None:
                c.recv(10)
                reactor.removeReader(self)
                seen.append("twisted-read")

            def connectionLost(self, reason: Failure) -> None:
                pass

        def spin() -> None:
            if len(seen) < 3:
                self.loop.call_soon(spin)

        def on_read() -> None:
            self.loop.remove_reader(a)
            seen.append("read")

        def start() -> None:
            self.loop.call_soon(spin)
            self.loop.add_reader(a, on_read)
            reactor.addReader(TwistedReader())
            b.send(b"x")
            d.send(b"x")
            reactor.callLater(0.01, seen.append, "timed")

        expected = ["read", "timed", "twisted-read"]
        self.loop.call_soon(start)
        self.loop.run_until_complete(asyncio.sleep(0.05))
        self.assertEqual(sorted(seen), expected)  # type: ignore[attr-defined]
        del seen[:]

        def hosted() -> None:
            start()
            self.reactor.callLater(0.02, self.reactor.stop)

        self._hosted(hosted)
        self.assertEqual(sorted(seen), expected)  # type: ignore[attr-defined]

    def test_loop_survives_disconnect_all(self) -> None:
        """
        After the reactor dropped every descriptor (C{disconnectAll}, as at
        reactor shutdown), asyncio's descriptors are watched again (the
        nested selector's is re-registered), driving and hosted.
        """
        a, b = socket.socketpair()
        self.addCleanup(a.close)  # type: ignore[attr-defined]
        self.addCleanup(b.close)  # type: ignore[attr-defined]
        a.setblocking(False)
        self.loop.run_until_complete(asyncio.sleep(0))
        self.reactor.disconnectAll()
        got: asyncio.Future[bytes] = self.loop.create_future()

        def on_read() -> None:
            self.loop.remove_reader(a)
            got.set_result(a.recv(10))

        self.loop.add_reader(a, on_read)
        b.send(b"x")
        self.assertEqual(self.complete(got), b"x")  # type: ignore[attr-defined]
        self.reactor.disconnectAll()
        reads: list[bytes] = []

        def on_read_hosted() -> None:
            self.loop.remove_reader(a)
            reads.append(a.recv(10))
            self.reactor.stop()

        def start() -> None:
            self.loop.add_reader(a, on_read_hosted)
            b.send(b"y")
            self.reactor.callLater(5, self.reactor.stop)

        self.loop.call_soon(start)
        self._hosted(lambda: None)
        self.assertEqual(reads, [b"y"])  # type: ignore[attr-defined]

    def test_add_reader_closed_fd(self) -> None:
        """
        add_reader on a closed descriptor raises OSError(EBADF) at once.
        """
        a, b = socket.socketpair()
        fd = a.detach()
        os.close(fd)
        b.close()
        with self.assertRaises(OSError) as e:  # type: ignore[attr-defined]
            self.loop.add_reader(fd, lambda: None)
        self.assertIn(str(fd), str(e.exception))  # type: ignore[attr-defined]

    def test_fd_closed_while_registered(self) -> None:
        """
        A descriptor closed while registered is dropped without a busy loop,
        can be removed afterwards, and its number can be registered again.
        """
        a, b = socket.socketpair()
        self.addCleanup(b.close)  # type: ignore[attr-defined]
        fd = a.fileno()
        calls: list[int] = []
        self.loop.add_reader(fd, calls.append, 1)
        self.assertIn(fd, self._watched_fds())  # type: ignore[attr-defined]
        a.close()
        iterations = [0]
        original = self.reactor.doIteration

        def counting(timeout: float | None) -> None:
            iterations[0] += 1
            original(timeout)

        def count_iterations() -> int:
            iterations[0] = 0
            for _ in range(3):
                self.loop.run_until_complete(asyncio.sleep(0))
            return iterations[0]

        self.reactor.doIteration = counting
        with_closed_fd = count_iterations()
        # The reactor watches it no more (epoll forgot it by itself; poll and
        # select reported it and the loop dropped it), so nothing can spin.
        self.assertNotIn(fd, self._watched_fds())  # type: ignore[attr-defined]
        self.loop.remove_reader(fd)
        without = count_iterations()
        # As many reactor iterations as with nothing registered: the closed
        # descriptor makes the reactor spin at most once more.
        self.assertLessEqual(with_closed_fd, without + 1)  # type: ignore[attr-defined]
        self.assertEqual(calls, [])  # type: ignore[attr-defined]
        c, d = socket.socketpair()
        self.addCleanup(c.close)  # type: ignore[attr-defined]
        self.addCleanup(d.close)  # type: ignore[attr-defined]
        # Reuse the number if the kernel gives it back (it usually does).
        got: asyncio.Future[bytes] = self.loop.create_future()
        self.loop.add_reader(c, lambda: got.done() or got.set_result(c.recv(5)))
        d.send(b"again")
        self.assertEqual(self.complete(got), b"again")  # type: ignore[attr-defined]
        self.loop.remove_reader(c)

    def test_pipe_eof_reaches_reader(self) -> None:
        """
        A hang-up on a pipe (which epoll and poll report without
        readability, and Twisted turns into a disconnection) still runs the
        asyncio reader, which then sees end of file.
        """
        r, w = os.pipe()
        self.addCleanup(os.close, r)  # type: ignore[attr-defined]
        got: asyncio.Future[bytes] = self.loop.create_future()
        self.loop.add_reader(r, lambda: got.done() or got.set_result(os.read(r, 10)))
        os.close(w)
        self.assertEqual(self.complete(got), b"")  # type: ignore[attr-defined]
        self.loop.remove_reader(r)

    # asyncio's own machinery on top

    def test_tcp_streams(self) -> None:
        """
        asyncio streams (transports, servers, create_connection) work.
        """

        async def main() -> bytes:
            async def handle(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
                w.write((await r.readline()).upper())
                await w.drain()
                w.close()
                await w.wait_closed()

            server = await asyncio.start_server(handle, "127.0.0.1", 0)
            port = server.sockets[0].getsockname()[1]
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"hello\n")
            data = await reader.read()
            writer.close()
            await writer.wait_closed()
            server.close()
            await server.wait_closed()
            return data

        self.assertEqual(self.complete(main()), b"HELLO\n")  # type: ignore[attr-defined]

    def test_tls_and_unix_streams(self) -> None:
        """
        TLS over a Unix socket, with asyncio's ssl transport.
        """
        server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server_ctx.load_cert_chain(
            os.path.join(_CERT_DIR, "test.crt"), os.path.join(_CERT_DIR, "test.key")
        )
        client_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        client_ctx.check_hostname = False
        client_ctx.verify_mode = ssl.CERT_NONE
        tmp = tempfile.mkdtemp()
        path = os.path.join(tmp, "sock")
        self.addCleanup(os.rmdir, tmp)  # type: ignore[attr-defined]

        async def main() -> bytes:
            async def handle(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
                w.write(b"secret:" + await r.readexactly(3))
                await w.drain()
                w.close()

            server = await asyncio.start_unix_server(handle, path, ssl=server_ctx)
            reader, writer = await asyncio.open_unix_connection(
                path, ssl=client_ctx, server_hostname="localhost"
            )
            writer.write(b"abc")
            data = await reader.read()
            writer.close()
            server.close()
            await server.wait_closed()
            if sys.version_info >= (3, 13):
                # asyncio 3.13 removes the socket file as the server closes.
                self.assertFalse(os.path.exists(path))  # type: ignore[attr-defined]
            else:
                os.unlink(path)
            return data

        self.assertEqual(self.complete(main()), b"secret:abc")  # type: ignore[attr-defined]

    def test_datagram_and_sock_methods(self) -> None:
        """
        UDP endpoints and the sock_* coroutines work.
        """

        async def main() -> tuple[bytes, bytes]:
            received: asyncio.Future[bytes] = self.loop.create_future()

            class Proto(asyncio.DatagramProtocol):
                def datagram_received(self, data: bytes, addr: Any) -> None:
                    received.set_result(data)

            transport, _ = await self.loop.create_datagram_endpoint(
                Proto, local_addr=("127.0.0.1", 0)
            )
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.sendto(b"dgram", transport.get_extra_info("sockname"))
            sock.close()
            data = await received
            transport.close()

            a, b = socket.socketpair()
            a.setblocking(False)
            b.setblocking(False)
            await self.loop.sock_sendall(a, b"sock")
            got = await self.loop.sock_recv(b, 4)
            a.close()
            b.close()
            return data, got

        self.assertEqual(self.complete(main()), (b"dgram", b"sock"))  # type: ignore[attr-defined]

    def test_executor(self) -> None:
        """
        run_in_executor uses the default executor, or the one set with
        set_default_executor; shutdown_default_executor shuts it down.
        """
        executor = concurrent.futures.ThreadPoolExecutor(1)
        self.loop.set_default_executor(executor)
        ident = self.complete(self.loop.run_in_executor(None, threading.get_ident))
        self.assertNotEqual(ident, threading.get_ident())  # type: ignore[attr-defined]
        self.loop.run_until_complete(self.loop.shutdown_default_executor())
        with self.assertRaises(RuntimeError):  # type: ignore[attr-defined]
            executor.submit(int)

    def test_shutdown_asyncgens(self) -> None:
        """
        shutdown_asyncgens finalises async generators left unfinished.
        """
        finalised: list[bool] = []

        async def agen() -> Any:
            try:
                yield 1
                yield 2
            finally:
                finalised.append(True)

        async def main() -> Any:
            gen = agen()
            value = await gen.__anext__()
            self.gen = gen  # keep it alive until shutdown_asyncgens
            return value

        self.assertEqual(self.complete(main()), 1)  # type: ignore[attr-defined]
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.assertEqual(finalised, [True])  # type: ignore[attr-defined]

    def test_subprocess(self) -> None:
        """
        asyncio subprocesses with pipes run and report their exit status.
        """

        async def main() -> tuple[bytes, int]:
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                "import sys; sys.stdout.write(sys.stdin.read().upper()); sys.exit(3)",
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
            )
            out, _ = await proc.communicate(b"shout")
            return out, await proc.wait()

        self.assertEqual(self.complete(main()), (b"SHOUT", 3))  # type: ignore[attr-defined]

    def test_subprocess_and_spawn_process(self) -> None:
        """
        Under reactor.run() with Twisted's signal handling (its SIGCHLD
        handler and wakeup fd), a Twisted spawnProcess child and an asyncio
        subprocess both run and are both reaped.
        """
        if threading.current_thread() is not threading.main_thread():
            raise AssertionError("this test must run in the main thread")
        ended: Deferred[int] = Deferred()

        class Proto(ProcessProtocol):
            def processEnded(self, reason: Failure) -> None:
                ended.callback(reason.value.exitCode)

        results: dict[str, Any] = {}

        async def asyncio_child() -> None:
            proc = await asyncio.create_subprocess_exec(sys.executable, "-c", "exit(5)")
            results["asyncio"] = await proc.wait()

        def started() -> None:
            self.reactor.spawnProcess(
                Proto(), sys.executable, [sys.executable, "-c", "exit(4)"], env=None
            )
            task = self.loop.create_task(asyncio_child())
            ended.addCallback(lambda code: results.setdefault("twisted", code))
            ended.addCallback(lambda _: Deferred.fromFuture(task))
            ended.addBoth(lambda _: self.reactor.stop())

        self.reactor.callWhenRunning(started)
        self.reactor.callLater(20, self.reactor.stop)
        self.reactor.run(installSignalHandlers=True)
        self.assertEqual(results, {"twisted": 4, "asyncio": 5})  # type: ignore[attr-defined]

    def test_signal_handler(self) -> None:
        """
        add_signal_handler runs the callback in the loop when the signal
        arrives, without taking the wakeup fd; remove_signal_handler puts
        the previous handler back.
        """
        if threading.current_thread() is not threading.main_thread():
            raise AssertionError("this test must run in the main thread")
        wakeup = signal.set_wakeup_fd(-1)
        signal.set_wakeup_fd(wakeup)
        previous = signal.getsignal(signal.SIGUSR1)
        got: asyncio.Future[str] = self.loop.create_future()
        self.loop.add_signal_handler(signal.SIGUSR1, got.set_result, "usr1")
        self.assertEqual(signal.set_wakeup_fd(wakeup), wakeup)  # type: ignore[attr-defined]
        self.loop.call_soon(os.kill, os.getpid(), signal.SIGUSR1)
        self.assertEqual(self.complete(got), "usr1")  # type: ignore[attr-defined]
        self.assertTrue(self.loop.remove_signal_handler(signal.SIGUSR1))  # type: ignore[attr-defined]
        self.assertFalse(self.loop.remove_signal_handler(signal.SIGUSR1))  # type: ignore[attr-defined]
        self.assertEqual(signal.getsignal(signal.SIGUSR1), previous)  # type: ignore[attr-defined]
        with self.assertRaises(ValueError):  # type: ignore[attr-defined]
            self.loop.add_signal_handler(0, lambda: None)

    # Closing

    def test_close_keeps_other_reactor_state(self) -> None:
        """
        Closing a loop on a reactor it does not own removes only its own
        descriptors, delayed calls and triggers.
        """
        other = self.reactorFactory()
        self.addCleanup(other.disconnectAll)  # type: ignore[attr-defined]
        foreign = other.callLater(100, lambda: None)
        self.addCleanup(foreign.cancel)  # type: ignore[attr-defined]
        readers_before = set(other.getReaders())
        loop = TwistedEventLoop(other)
        a, b = socket.socketpair()
        self.addCleanup(a.close)  # type: ignore[attr-defined]
        self.addCleanup(b.close)  # type: ignore[attr-defined]
        loop.add_reader(a, lambda: None)
        loop.call_later(50, lambda: None)
        loop.call_soon(lambda: None)
        self.assertGreater(len(other.getReaders()), len(readers_before))  # type: ignore[attr-defined]
        loop.close()
        self.assertEqual(set(other.getReaders()), readers_before)  # type: ignore[attr-defined]
        self.assertEqual(other.getDelayedCalls(), [foreign])  # type: ignore[attr-defined]
        self.assertTrue(foreign.active())  # type: ignore[attr-defined]

    def test_no_fd_leak(self) -> None:
        """
        Closing a loop that owns its reactor, after it ran servers and
        connections, leaves no file descriptor open, not even the reactor's
        poll object (the loop disposes of its reactor at once).
        """
        self.test_tcp_streams()
        self.loop.close()
        self.assertEqual(open_fds() - self.fds_before, set())  # type: ignore[attr-defined]


per_reactor(_EventLoopTests, globals(), per_fd=True)
