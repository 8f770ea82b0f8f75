"""
Tests for a bare C{await future} in coroutines that Twisted runs
(C{ensureDeferred}, C{Deferred.fromCoroutine}, C{inlineCallbacks}; see
L{txtornado.futures}), on a L{TornadoReactor} and on a L{TwistedIOLoop} over
a new C{EPollReactor}, and before C{reactor.run()}.  Runs under pytest and
trial.
"""

from __future__ import annotations

import asyncio
import textwrap
import threading
from collections.abc import Callable, Generator
from typing import Any

from tornado import gen, web
from tornado.httpclient import AsyncHTTPClient
from tornado.httpserver import HTTPServer
from tornado.testing import bind_unused_port
from twisted.internet import defer, task
from twisted.internet.defer import CancelledError, Deferred
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase

from txtornado.test._helpers import parametrize
from txtornado.test._subprocess import runPython
from txtornado.test.reactors import tornadoAsyncioReactor, tornadoUvloopReactor
from txtornado.test.test_futures import LOOP_SETUPS, Boom, LoopSetup, LoopSetupMixin


def resolveSoon(value: object) -> asyncio.Future[Any]:
    """
    A future of the running loop that gets C{value} on the loop's next
    iteration.
    """
    loop = asyncio.get_running_loop()
    future = loop.create_future()
    loop.call_soon(future.set_result, value)
    return future


class _AwaitFutureTests:
    """
    A bare C{await future} in Twisted's coroutines on C{self.setup}.
    """

    setup: LoopSetup

    # Provided by SynchronousTestCase.
    assertEqual: Callable[..., None]
    assertIs: Callable[..., None]
    assertIn: Callable[..., None]
    assertTrue: Callable[..., None]
    assertFalse: Callable[..., None]
    assertNoResult: Callable[..., None]
    failureResultOf: Callable[..., Failure]
    addCleanup: Callable[..., None]

    def test_ensureDeferred(self) -> None:
        """
        A coroutine run by C{ensureDeferred} awaits asyncio futures, Tornado
        futures and coroutines, asyncio coroutines, tasks and gathers, and
        Deferreds between them, each giving its result.
        """

        @gen.coroutine
        def tornadoCoroutine() -> Generator[Any, Any, str]:
            yield gen.moment
            return "tornado coroutine"

        async def nativeCoroutine() -> str:
            return str(await resolveSoon("native coroutine"))

        async def main() -> list[Any]:
            return [
                await resolveSoon("future"),
                await gen.sleep(0),
                await tornadoCoroutine(),
                await nativeCoroutine(),
                await asyncio.ensure_future(nativeCoroutine()),
                await asyncio.gather(resolveSoon(1), nativeCoroutine()),
                await task.deferLater(self.setup.reactor, 0, lambda: "deferred"),
                await asyncio.sleep(0, "sleep(0)"),
            ]

        self.assertEqual(
            self.setup.run(lambda: defer.ensureDeferred(main())),
            [
                "future",
                None,
                "tornado coroutine",
                "native coroutine",
                "native coroutine",
                [1, "native coroutine"],
                "deferred",
                "sleep(0)",
            ],
        )

    def test_fromCoroutine(self) -> None:
        """
        The same with C{Deferred.fromCoroutine}.
        """

        async def main() -> Any:
            return await resolveSoon("from coroutine")

        self.assertEqual(
            self.setup.run(lambda: Deferred.fromCoroutine(main())), "from coroutine"
        )

    def test_inlineCallbacks(self) -> None:
        """
        In C{inlineCallbacks}, a yielded coroutine awaits futures, and
        C{yield from future} waits for the future; a future yielded as a
        plain value is sent back as it is, as Twisted documents for every
        value that is not a Deferred.
        """

        async def nativeCoroutine() -> Any:
            return await resolveSoon("coroutine")

        @defer.inlineCallbacks
        def main() -> Generator[Any, Any, list[Any]]:
            coroutineResult = yield nativeCoroutine()
            yieldedFrom = yield from resolveSoon("yield from")
            future = resolveSoon("plain")
            sentBack = yield future
            return [coroutineResult, yieldedFrom, sentBack is future]

        self.assertEqual(self.setup.run(main), ["coroutine", "yield from", True])

    def test_exception(self) -> None:
        """
        A future's exception is raised at the C{await}, and fails the
        coroutine's Deferred if not caught.
        """
        boom = Boom("boom")

        async def main() -> Any:
            future = asyncio.get_running_loop().create_future()
            future.get_loop().call_soon(future.set_exception, boom)
            try:
                await future
            except Boom as e:
                caught = e
            future = asyncio.get_running_loop().create_future()
            future.get_loop().call_soon(future.set_exception, Boom("uncaught"))
            try:
                await future
            finally:
                self.assertIs(caught, boom)

        with self.assertRaises(Boom) as raised:  # type: ignore[attr-defined]
            self.setup.run(lambda: defer.ensureDeferred(main()))
        self.assertEqual(str(raised.exception), "uncaught")

    def test_cancelDeferredCancelsFuture(self) -> None:
        """
        Cancelling the Deferred of a coroutine awaiting a future cancels the
        future at once; the coroutine sees Twisted's C{CancelledError} at
        the C{await}, and the Deferred fails with it.
        """
        seen: list[Any] = []

        async def waiter(future: asyncio.Future[Any]) -> None:
            try:
                await future
            except BaseException as e:
                seen.append(type(e))
                raise

        def main() -> Any:
            future = asyncio.get_running_loop().create_future()
            waiting = defer.ensureDeferred(waiter(future))
            self.assertNoResult(waiting)
            waiting.cancel()
            seen.append(future.cancelled())
            self.failureResultOf(waiting, CancelledError)
            return defer.succeed("cancelled")

        self.assertEqual(self.setup.run(main), "cancelled")
        self.assertEqual(seen, [CancelledError, True])

    def test_cancelDeferredCancelsTask(self) -> None:
        """
        Cancelling the Deferred of a coroutine awaiting a task cancels the
        task: its coroutine sees asyncio's C{CancelledError}.
        """
        seen: list[str] = []
        finished = asyncio.Event()

        async def sleeper() -> None:
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                seen.append("task cancelled")
                raise
            finally:
                finished.set()

        async def waiter(sleeping: asyncio.Task[None]) -> None:
            await sleeping

        async def main() -> Any:
            sleeping = asyncio.ensure_future(sleeper())
            waiting = defer.ensureDeferred(waiter(sleeping))
            await asyncio.sleep(0)
            waiting.cancel()
            self.failureResultOf(waiting, CancelledError)
            await finished.wait()
            return sleeping.cancelled()

        self.assertIs(self.setup.run(main), True)
        self.assertEqual(seen, ["task cancelled"])

    def test_cancelledFutureFailsDeferred(self) -> None:
        """
        A future cancelled on the asyncio side raises Twisted's
        C{CancelledError} at the C{await}, and fails the coroutine's
        Deferred with it if not caught.
        """
        seen: list[Any] = []

        async def main() -> None:
            future = asyncio.get_running_loop().create_future()
            future.get_loop().call_soon(future.cancel)
            try:
                await future
            except CancelledError as e:
                seen.append(type(e))
            future = asyncio.get_running_loop().create_future()
            future.get_loop().call_soon(future.cancel)
            await future

        with self.assertRaises(CancelledError):  # type: ignore[attr-defined]
            self.setup.run(lambda: defer.ensureDeferred(main()))
        self.assertEqual(seen, [CancelledError])

    def test_tornadoHTTPClient(self) -> None:
        """
        C{await AsyncHTTPClient().fetch(url)} in a coroutine run by
        C{ensureDeferred} gets the response of a Tornado server on the
        same loop.
        """

        class Hello(web.RequestHandler):
            def get(self) -> None:
                self.write("hello")

        sock, port = bind_unused_port()

        async def main() -> Any:
            server = HTTPServer(web.Application([("/", Hello)]))
            server.add_sockets([sock])
            try:
                response = await AsyncHTTPClient().fetch(f"http://127.0.0.1:{port}/")
                return response.body
            finally:
                server.stop()
                await server.close_all_connections()

        self.assertEqual(self.setup.run(lambda: defer.ensureDeferred(main())), b"hello")

    def test_streamConnect(self) -> None:
        """
        C{await txtornado.connect(...)} (a coroutine awaiting asyncio
        futures) and the stream's reads and writes work in a coroutine run
        by C{ensureDeferred}, and in one yielded in C{inlineCallbacks}.
        """
        from twisted.internet.protocol import Factory, Protocol

        from txtornado.endpoints import connect

        reactor = self.setup.reactor

        class Echo(Protocol):
            def dataReceived(self, data: bytes) -> None:
                assert self.transport is not None
                self.transport.write(data)

        async def roundTrip(port: int, data: bytes) -> bytes:
            stream = await connect(f"tcp:host=127.0.0.1:port={port}", reactor=reactor)
            try:
                await stream.write(data)
                return await stream.read_bytes(len(data))
            finally:
                stream.close()

        @defer.inlineCallbacks
        def main() -> Generator[Any, Any, list[bytes]]:
            listening = reactor.listenTCP(
                0, Factory.forProtocol(Echo), interface="127.0.0.1"
            )
            port = listening.getHost().port
            try:
                first = yield defer.ensureDeferred(roundTrip(port, b"ensured"))
                second = yield roundTrip(port, b"yielded")
            finally:
                yield listening.stopListening()
            return [first, second]

        self.assertEqual(self.setup.run(main), [b"ensured", b"yielded"])


parametrize(globals(), (_AwaitFutureTests, LoopSetupMixin), LOOP_SETUPS)


class BeforeRunTests(SynchronousTestCase):
    """
    Coroutines that Twisted starts before C{reactor.run()} on a
    L{TornadoReactor}.
    """

    def _beforeRun(self, reactorFactory: Callable[[], Any]) -> None:
        reactor = reactorFactory()
        steps: list[str] = []

        def operation(value: str) -> Any:
            # As frameworks decide per call whether they may use asyncio.
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                steps.append("no running loop: Deferred")
                return task.deferLater(reactor, 0, lambda: value)
            steps.append("running loop: future")
            future = loop.create_future()
            loop.call_soon(future.set_result, value)
            return future

        async def main() -> list[str]:
            return [await operation("first"), await operation("second")]

        loop = reactor.io_loop.asyncio_loop
        early = loop.create_future()
        loop.call_soon(early.set_result, "early")

        async def awaitsEarly() -> str:
            return str(await early)

        outcomes: list[Any] = []
        started = defer.ensureDeferred(main())
        earlyAwaited = defer.ensureDeferred(awaitsEarly())
        both = defer.gatherResults([started, earlyAwaited])
        both.addBoth(outcomes.append)
        both.addBoth(lambda _: reactor.stop())
        timeout = reactor.callLater(10, reactor.stop)
        self.assertEqual(steps, ["no running loop: Deferred"])
        self.assertEqual(outcomes, [])
        reactor.run(installSignalHandlers=False)
        if timeout.active():
            timeout.cancel()
        self.assertEqual(steps, ["no running loop: Deferred", "running loop: future"])
        self.assertEqual(outcomes, [[["first", "second"], "early"]])

    def test_asyncio(self) -> None:
        """
        A coroutine started before C{run()}, when no loop is running, that
        awaits a Deferred and then, inside C{run()}, an asyncio future (as
        frameworks that decide per call give it), gets both results; so
        does one awaiting a future of the reactor's loop made before
        C{run()}.
        """
        self._beforeRun(tornadoAsyncioReactor)

    def test_uvloop(self) -> None:
        """
        The same on uvloop.
        """
        self._beforeRun(tornadoUvloopReactor)


class CannotWorkTests(SynchronousTestCase):
    """
    Futures that no reactor runs.
    """

    def test_loopNobodyRuns(self) -> None:
        """
        Awaiting a future of a loop that is not running and that no reactor
        runs raises C{RuntimeError} at the C{await}, saying what to do.
        """
        loop = asyncio.new_event_loop()
        self.addCleanup(loop.close)

        async def main() -> None:
            await loop.create_future()

        failure = self.failureResultOf(defer.ensureDeferred(main()), RuntimeError)
        message = str(failure.value)
        self.assertIn("is not running", message)
        self.assertIn("TornadoReactor (txtornado.install()", message)
        self.assertIn("TwistedEventLoopPolicy or TwistedIOLoop", message)
        self.assertIn("IOLoop.configure(TwistedIOLoop) alone is not enough", message)

    def test_closedLoop(self) -> None:
        """
        A future of a closed loop raises C{RuntimeError} saying so.
        """
        loop = asyncio.new_event_loop()
        future = loop.create_future()
        loop.close()

        async def main() -> None:
            await future

        failure = self.failureResultOf(defer.ensureDeferred(main()), RuntimeError)
        self.assertIn("is closed", str(failure.value))

    def test_loopInAnotherThread(self) -> None:
        """
        A future of a loop running in another thread raises
        C{RuntimeError} saying to convert in that thread.
        """
        loop = asyncio.new_event_loop()
        running = threading.Event()
        loop.call_soon(running.set)
        thread = threading.Thread(target=loop.run_forever)
        thread.start()

        def stop() -> None:
            loop.call_soon_threadsafe(loop.stop)
            thread.join()
            loop.close()

        self.addCleanup(stop)
        running.wait(10)
        future = loop.create_future()

        async def main() -> None:
            await future

        failure = self.failureResultOf(defer.ensureDeferred(main()), RuntimeError)
        self.assertIn("running in another thread", str(failure.value))


class OtherReactorTests(SynchronousTestCase):
    """
    Twisted's own reactors, in child processes.
    """

    def test_asyncioSelectorReactor(self) -> None:
        """
        On Twisted's C{AsyncioSelectorReactor}, with L{txtornado.futures}
        imported,
        a coroutine run by C{ensureDeferred} inside the running reactor
        awaits futures of the reactor's asyncio loop.
        """
        result = runPython(
            textwrap.dedent(
                """
                from twisted.internet import asyncioreactor
                asyncioreactor.install()
                import asyncio
                from twisted.internet import defer, reactor
                import txtornado.futures
                async def main():
                    loop = asyncio.get_running_loop()
                    future = loop.create_future()
                    loop.call_soon(future.set_result, "future")
                    return [await future, await asyncio.sleep(0.001, "sleep")]
                def report(result):
                    print(result)
                    reactor.stop()
                reactor.callLater(
                    0, lambda: defer.ensureDeferred(main()).addBoth(report))
                reactor.run()
                """
            ),
            timeout=60,
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout, "['future', 'sleep']\n")

    def test_installedByTheLoops(self) -> None:
        """
        Importing the module of L{TornadoReactor}, or of L{TwistedIOLoop}
        and L{TwistedEventLoop}, teaches Twisted's coroutine runner about
        futures.
        """
        for module in ("txtornado.reactor", "txtornado.ioloop"):
            result = runPython(
                f"import {module}\n"
                "from twisted.internet import defer\n"
                "print(defer._cancellableInlineCallbacks._txtornado_awaits)\n",
                timeout=60,
            )
            self.assertEqual((result.stdout, result.stderr), ("True\n", ""), module)

    def test_otherReactor(self) -> None:
        """
        On Twisted's epoll reactor, with Tornado on its own asyncio loop
        that nobody runs, C{await AsyncHTTPClient().fetch(url)} in
        C{ensureDeferred} fails at once with the message saying what to do
        (instead of asyncio's "await wasn't used with future").
        """
        result = runPython(
            textwrap.dedent(
                """
                from twisted.internet import epollreactor
                epollreactor.install()
                from twisted.internet import defer, reactor
                from tornado.httpclient import AsyncHTTPClient
                from txtornado import deferred_from_future
                async def main():
                    await AsyncHTTPClient().fetch("http://127.0.0.1:1/")
                def report(failure):
                    print(failure.type.__name__, failure.value)
                    reactor.stop()
                reactor.callWhenRunning(
                    lambda: defer.ensureDeferred(main()).addErrback(report))
                reactor.run()
                """
            ),
            timeout=60,
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("RuntimeError", result.stdout)
        self.assertIn("the reactor (<twisted.internet.epollreactor", result.stdout)
        self.assertIn("install txtornado's TornadoReactor", result.stdout)
