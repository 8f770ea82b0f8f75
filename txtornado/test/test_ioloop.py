"""
Tests for L{txtornado.ioloop.TwistedIOLoop}, on a new EPoll, Poll and
Select reactor per test.  Runs under pytest and trial.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime
import os
import socket
import subprocess
import sys
import threading
import warnings
from collections.abc import Callable
from typing import Any

from tornado import gen, locks, queues, web, websocket
from tornado.httpclient import AsyncHTTPClient
from tornado.httpserver import HTTPServer
from tornado.ioloop import IOLoop, PeriodicCallback
from tornado.iostream import IOStream
from tornado.netutil import bind_sockets
from tornado.util import TimeoutError as TornadoTimeoutError
from twisted.trial.unittest import SynchronousTestCase

from txtornado import TwistedEventLoop, TwistedIOLoop
from txtornado.test._helpers import open_fds, per_reactor


class _IOLoopTests:
    """
    Behaviour of a TwistedIOLoop on C{self.reactor}, a new reactor the
    IOLoop owns.
    """

    reactorFactory: Callable[[], Any]

    def setUp(self) -> None:
        self.reactor = self.reactorFactory()
        self.io_loop = TwistedIOLoop(
            reactor_factory=lambda: self.reactor, make_current=False
        )
        self.addCleanup(self._close)  # type: ignore[attr-defined]

    def _close(self) -> None:
        if not self.io_loop.asyncio_loop.is_closed():  # type: ignore[attr-defined]
            self.io_loop.close(all_fds=True)

    def run_sync(self, func: Callable[[], Any]) -> Any:
        return self.io_loop.run_sync(func, timeout=10)

    def test_is_on_reactor(self) -> None:
        """
        The IOLoop's asyncio loop is a TwistedEventLoop on the reactor, and
        is the running loop (and the IOLoop the current one) while it runs.
        """
        self.assertIs(self.io_loop.reactor, self.reactor)  # type: ignore[attr-defined]

        async def main() -> tuple[Any, Any]:
            return asyncio.get_running_loop(), IOLoop.current()

        loop, current = self.run_sync(main)
        self.assertIsInstance(loop, TwistedEventLoop)  # type: ignore[attr-defined]
        self.assertIs(loop.reactor, self.reactor)  # type: ignore[attr-defined]
        self.assertIs(current, self.io_loop)  # type: ignore[attr-defined]

    def test_handlers_int_and_file_object(self) -> None:
        """
        add_handler/update_handler/remove_handler work with an int fd and
        with a socket object; the handler gets back what was registered.
        """
        a, b = socket.socketpair()
        self.addCleanup(a.close)  # type: ignore[attr-defined]
        self.addCleanup(b.close)  # type: ignore[attr-defined]
        events: list[tuple[Any, int]] = []

        def handler(fd: Any, ev: int) -> None:
            events.append((fd, ev))
            if fd is a:
                self.io_loop.update_handler(a, IOLoop.READ)
                a.send(b"x")
            else:
                self.io_loop.remove_handler(fd)
                self.io_loop.stop()

        self.io_loop.add_handler(a, handler, IOLoop.WRITE)
        self.io_loop.add_handler(b.fileno(), handler, IOLoop.READ)
        self.io_loop.start()
        self.assertEqual(events, [(a, IOLoop.WRITE), (b.fileno(), IOLoop.READ)])  # type: ignore[attr-defined]
        with self.assertRaises(ValueError):  # type: ignore[attr-defined]
            self.io_loop.add_handler(a, handler, IOLoop.READ)
        self.io_loop.remove_handler(a)

    def test_timeouts(self) -> None:
        """
        call_at, call_later and add_timeout (number and timedelta) run in
        time order; remove_timeout cancels.
        """
        calls: list[str] = []
        now = self.io_loop.time()
        self.io_loop.add_timeout(
            datetime.timedelta(seconds=0.02), calls.append, "delta"
        )
        self.io_loop.add_timeout(now + 0.01, calls.append, "number")
        self.io_loop.call_at(now + 0.03, calls.append, "call_at")
        self.io_loop.call_later(0.005, calls.append, "call_later")
        removed = self.io_loop.call_later(0.001, calls.append, "removed")
        self.io_loop.remove_timeout(removed)
        self.io_loop.call_later(0.04, self.io_loop.stop)
        self.io_loop.start()
        self.assertEqual(calls, ["call_later", "number", "delta", "call_at"])  # type: ignore[attr-defined]
        self.assertGreaterEqual(self.io_loop.time(), now + 0.04)  # type: ignore[attr-defined]

    def test_callbacks_and_futures(self) -> None:
        """
        add_callback from another thread, spawn_callback, add_future and
        run_in_executor / set_default_executor.
        """
        executor = concurrent.futures.ThreadPoolExecutor(1)
        self.addCleanup(executor.shutdown)  # type: ignore[attr-defined]
        self.io_loop.set_default_executor(executor)
        calls: list[Any] = []

        async def main() -> None:
            from_thread = locks.Event()
            from_executor = locks.Event()

            def in_loop(what: str) -> None:
                calls.append(what)
                from_thread.set()

            threading.Thread(
                target=self.io_loop.add_callback, args=(in_loop, "thread")
            ).start()
            self.io_loop.spawn_callback(calls.append, "spawned")
            future = self.io_loop.run_in_executor(None, threading.get_ident)
            self.io_loop.add_future(
                future, lambda f: (calls.append(f.result()), from_executor.set())
            )
            await from_thread.wait()
            await from_executor.wait()

        self.run_sync(main)
        self.assertIn("thread", calls)  # type: ignore[attr-defined]
        self.assertIn("spawned", calls)  # type: ignore[attr-defined]
        idents = [c for c in calls if isinstance(c, int)]
        self.assertEqual(len(idents), 1)  # type: ignore[attr-defined]
        self.assertNotEqual(idents[0], threading.get_ident())  # type: ignore[attr-defined]

    def test_add_callback_from_signal(self) -> None:
        """
        add_callback_from_signal (deprecated by Tornado, which warns) still
        schedules the callback.
        """
        calls: list[str] = []

        async def main() -> None:
            called = locks.Event()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                self.io_loop.add_callback_from_signal(
                    lambda: (calls.append("signal"), called.set())
                )
            await called.wait()

        self.run_sync(main)
        self.assertEqual(calls, ["signal"])  # type: ignore[attr-defined]

    def test_run_sync_timeout(self) -> None:
        """
        run_sync raises TimeoutError when the function does not finish in
        time, and the IOLoop can run again.
        """

        async def forever() -> None:
            await asyncio.Event().wait()

        with self.assertRaises(TornadoTimeoutError):  # type: ignore[attr-defined]
            self.io_loop.run_sync(forever, timeout=0.01)
        self.assertEqual(self.run_sync(lambda: gen.sleep(0)), None)  # type: ignore[attr-defined]

    def test_periodic_callback(self) -> None:
        """
        PeriodicCallback runs repeatedly until stopped.
        """
        count = [0]

        def tick() -> None:
            count[0] += 1
            if count[0] == 3:
                periodic.stop()
                self.io_loop.stop()

        periodic = PeriodicCallback(tick, 1)
        self.io_loop.add_callback(periodic.start)
        self.io_loop.start()
        self.assertEqual(count[0], 3)  # type: ignore[attr-defined]

    def test_locks_queues_with_timeout(self) -> None:
        """
        Tornado's locks, queues, gen.sleep and gen.with_timeout.
        """

        async def main() -> list[Any]:
            q: queues.Queue[int] = queues.Queue(maxsize=1)
            lock = locks.Lock()
            out: list[Any] = []

            async def producer() -> None:
                for i in range(3):
                    await q.put(i)
                    await gen.sleep(0.001)

            self.io_loop.spawn_callback(producer)
            async with lock:
                for _ in range(3):
                    out.append(await q.get())
            try:
                await gen.with_timeout(datetime.timedelta(seconds=0.01), q.get())
            except gen.TimeoutError:
                out.append("timeout")
            return out

        self.assertEqual(self.run_sync(main), [0, 1, 2, "timeout"])  # type: ignore[attr-defined]

    def test_http_and_websocket(self) -> None:
        """
        Tornado's HTTP server, HTTP client, IOStream and websockets.
        """

        class Hello(web.RequestHandler):
            def get(self) -> None:
                self.write("hello " + self.get_argument("who"))

        class Echo(websocket.WebSocketHandler):
            def on_message(self, message: str | bytes) -> None:
                self.write_message(message)

        async def main() -> tuple[bytes, Any, bytes]:
            [sock] = bind_sockets(0, "127.0.0.1", family=socket.AF_INET)
            port = sock.getsockname()[1]
            server = HTTPServer(web.Application([("/", Hello), ("/ws", Echo)]))
            server.add_sockets([sock])
            client = AsyncHTTPClient(force_instance=True)
            response = await client.fetch(f"http://127.0.0.1:{port}/?who=twisted")
            conn = await websocket.websocket_connect(f"ws://127.0.0.1:{port}/ws")
            await conn.write_message("ws!")
            message = await conn.read_message()
            conn.close()
            stream = IOStream(socket.socket())
            await stream.connect(("127.0.0.1", port))
            await stream.write(b"GET /?who=stream HTTP/1.0\r\n\r\n")
            raw = await stream.read_until_close()
            client.close()
            server.stop()
            await server.close_all_connections()
            return response.body, message, raw.split(b"\r\n\r\n", 1)[1]

        self.assertEqual(  # type: ignore[attr-defined]
            self.run_sync(main), (b"hello twisted", "ws!", b"hello stream")
        )

    def test_close_all_fds_only_own(self) -> None:
        """
        close(all_fds=True) closes the descriptors registered with this
        IOLoop, and nothing else: not other descriptors, and not other
        delayed calls in the reactor.
        """
        fds_before = open_fds()
        registered, other = socket.socketpair()
        self.addCleanup(other.close)  # type: ignore[attr-defined]
        self.io_loop.add_handler(registered, lambda fd, ev: None, IOLoop.READ)
        foreign = self.reactor.callLater(100, lambda: None)
        self.io_loop.call_later(50, lambda: None)
        delayed = self.reactor.getDelayedCalls()
        self.io_loop.close(all_fds=True)
        self.assertEqual(registered.fileno(), -1)  # type: ignore[attr-defined]
        self.assertNotEqual(other.fileno(), -1)  # type: ignore[attr-defined]
        self.assertIn(foreign, delayed)  # type: ignore[attr-defined]
        self.assertTrue(foreign.active())  # type: ignore[attr-defined]
        other.close()
        self.assertEqual(open_fds() - fds_before, set())  # type: ignore[attr-defined]

    def test_several_ioloops(self) -> None:
        """
        Several TwistedIOLoops, each on its own reactor, live side by side
        and run in turn.
        """
        second = TwistedIOLoop(reactor_factory=self.reactorFactory, make_current=False)
        self.addCleanup(second.close)  # type: ignore[attr-defined]
        self.assertIsNot(second.reactor, self.reactor)  # type: ignore[attr-defined]
        for loop in (self.io_loop, second, self.io_loop):
            self.assertIs(  # type: ignore[attr-defined]
                loop.run_sync(lambda: asyncio.sleep(0.001, asyncio.get_running_loop())),
                loop.asyncio_loop,  # type: ignore[attr-defined]
            )

    def test_install_then_reactor_run(self) -> None:
        """
        The Tornado 4 recipe: TwistedIOLoop().install(), then reactor.run().
        install() warns nothing; Tornado code in reactor callbacks finds the
        IOLoop current, and runs.
        """
        self.io_loop.close()
        reactor = self.reactorFactory()
        io_loop = TwistedIOLoop(reactor=reactor, make_current=False)
        self.addCleanup(io_loop.close)  # type: ignore[attr-defined]
        self.addCleanup(reactor.disconnectAll)  # type: ignore[attr-defined]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            io_loop.install()
        self.assertEqual([str(w.message) for w in caught], [])  # type: ignore[attr-defined]
        results: list[Any] = []

        async def tornado_code() -> None:
            results.append(IOLoop.current())
            await gen.sleep(0.001)
            reactor.stop()

        reactor.callWhenRunning(lambda: IOLoop.current().spawn_callback(tornado_code))
        reactor.run(installSignalHandlers=False)
        self.assertEqual(results, [io_loop])  # type: ignore[attr-defined]

    def test_thread_pool_while_driving(self) -> None:
        """
        run_sync on a reactor that is not running runs the reactor's thread
        pool (deferToThread, its default name resolver) and stops it when
        it returns, leaving no thread; reactor.run() later makes and runs
        a new one.
        """
        from twisted.internet import threads

        from txtornado import TwistedResolver, to_asyncio_future

        reactor = self.reactor

        def in_thread(f: Callable[[], Any]) -> Any:
            # deferToThread, on this reactor rather than the global one
            return threads.deferToThreadPool(reactor, reactor.getThreadPool(), f)

        async def main() -> tuple[int, list[Any]]:
            ident = await to_asyncio_future(in_thread(threading.get_ident))
            resolver = TwistedResolver(reactor=reactor)
            addresses = await resolver.resolve("localhost", 80, socket.AF_INET)
            return ident, addresses

        before = set(threading.enumerate())
        ident, addresses = self.run_sync(main)
        self.assertNotEqual(ident, threading.get_ident())  # type: ignore[attr-defined]
        self.assertEqual(addresses, [(socket.AF_INET, ("127.0.0.1", 80))])  # type: ignore[attr-defined]
        self.assertIsNone(reactor.threadpool)  # type: ignore[attr-defined]
        self.assertEqual(set(threading.enumerate()) - before, set())  # type: ignore[attr-defined]

        # a second run, then the reactor itself
        self.assertNotEqual(  # type: ignore[attr-defined]
            self.run_sync(lambda: to_asyncio_future(in_thread(threading.get_ident))),
            threading.get_ident(),
        )
        results: list[Any] = []

        def hosted() -> None:
            d = in_thread(lambda: "hosted")
            d.addCallback(results.append)
            d.addBoth(lambda _: reactor.stop())

        reactor.callWhenRunning(hosted)
        reactor.run(installSignalHandlers=False)
        self.assertEqual(results, ["hosted"])  # type: ignore[attr-defined]
        self.assertIsNone(reactor.threadpool)  # type: ignore[attr-defined]


per_reactor(_IOLoopTests, globals())


class ConfigureTests(SynchronousTestCase):
    """
    C{IOLoop.configure} with TwistedIOLoop, and importing txtornado.
    """

    def tearDown(self) -> None:
        IOLoop.configure(None)

    def test_configure_class_and_name(self) -> None:
        """
        IOLoop.configure accepts the class and the dotted name, passing
        reactor_factory on to every new IOLoop.
        """
        from twisted.internet.selectreactor import SelectReactor

        for impl in (TwistedIOLoop, "txtornado.TwistedIOLoop"):
            IOLoop.configure(impl, reactor_factory=SelectReactor)
            loop = IOLoop(make_current=False)
            try:
                self.assertIsInstance(loop, TwistedIOLoop)
                assert isinstance(loop, TwistedIOLoop)
                self.assertIsInstance(loop.reactor, SelectReactor)
                self.assertEqual(loop.run_sync(lambda: gen.sleep(0)), None)
            finally:
                loop.close()

    def test_configure_nested_selector(self) -> None:
        """
        IOLoop.configure passes nested_selector on to every new IOLoop's
        event loop: with C{False}, a descriptor the IOLoop reads is itself
        a reader of the reactor.
        """
        from twisted.internet.pollreactor import PollReactor

        for nested in (False, True):
            IOLoop.configure(
                TwistedIOLoop, reactor_factory=PollReactor, nested_selector=nested
            )
            loop = IOLoop(make_current=False)
            a, b = socket.socketpair()
            try:
                assert isinstance(loop, TwistedIOLoop)
                loop.add_handler(a.fileno(), lambda fd, events: None, IOLoop.READ)
                readers = [r.fileno() for r in loop.reactor.getReaders()]
                self.assertEqual(a.fileno() in readers, not nested, readers)
                loop.remove_handler(a.fileno())
            finally:
                loop.close()
                a.close()
                b.close()

    def test_import_does_not_install_reactor(self) -> None:
        """
        Importing txtornado (and creating nothing) leaves
        twisted.internet.reactor uninstalled.
        """
        code = (
            "import sys, txtornado; "
            "print('twisted.internet.reactor' in sys.modules, txtornado.TwistedIOLoop.__name__)"
        )
        out = subprocess.check_output(
            [sys.executable, "-c", code], env=dict(os.environ)
        )
        self.assertEqual(out.split(), [b"False", b"TwistedIOLoop"])


class TornadoMakeCurrentTests(SynchronousTestCase):
    """
    L{txtornado._compat.tornado.make_current}, which
    L{TwistedIOLoop.install} uses.
    """

    def test_make_current_without_warning(self) -> None:
        """
        Tornado's C{IOLoop._make_current} makes an IOLoop current without
        the deprecation warning C{make_current} gives.
        """
        from tornado.platform.asyncio import AsyncIOLoop

        from txtornado._compat import tornado as _tornado_private

        io_loop = AsyncIOLoop(make_current=False)
        self.addCleanup(io_loop.close)
        previous = IOLoop.current(instance=False)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            _tornado_private.make_current(io_loop)
        try:
            self.assertIs(IOLoop.current(instance=False), io_loop)
        finally:
            if previous is None:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", DeprecationWarning)
                    IOLoop.clear_current()
            else:
                _tornado_private.make_current(previous)
