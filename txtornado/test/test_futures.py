"""
Tests for L{txtornado.futures}: Deferreds and Tornado/asyncio futures in
both directions, on a L{TornadoReactor} and on a L{TwistedIOLoop} over a new
C{EPollReactor}.  Runs under pytest and trial.

The loop set-up harness here (L{LoopSetup}, L{LoopSetupMixin},
L{LOOP_SETUPS}) is shared with C{test_await_deferred}, C{test_await_future},
C{test_resolver} and C{test_primitives}.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import gc
import threading
import traceback
from collections.abc import Callable
from typing import Any

from tornado import gen
from tornado.ioloop import IOLoop
from twisted.internet import defer, task
from twisted.internet.defer import CancelledError, Deferred
from twisted.internet.epollreactor import EPollReactor
from twisted.logger import globalLogPublisher
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase

from txtornado import (
    TwistedIOLoop,
    deferred_from_future,
    future_from_deferred,
    to_asyncio_future,
    to_tornado_future,
)
from txtornado.test._helpers import factory_variants, parametrize
from txtornado.test.reactors import tornadoAsyncioReactor

# --- Loop set-ups -----------------------------------------------------------


class LoopSetup:
    """
    A new reactor and Tornado IOLoop sharing one loop.  L{run} runs one
    test body with C{reactor.run()}, which works the same way on both
    set-ups: it starts the IOLoop under a TornadoReactor, and hosts the
    TwistedIOLoop's event loop on the Twisted reactor.
    """

    reactor: Any
    io_loop: IOLoop

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self.io_loop.asyncio_loop  # type: ignore[attr-defined,no-any-return]

    def run(self, body: Callable[[], Any], timeout: float = 10) -> Any:
        """
        Call C{body()} once the reactor runs, wait for what it returns (a
        Deferred, or an awaitable run as an asyncio task), stop the reactor
        and return the result or raise the exception.  Fails after
        C{timeout} seconds.
        """
        outcome: list[tuple[bool, Any]] = []

        def finish(ok: bool, value: Any) -> None:
            if not outcome:
                outcome.append((ok, value))
                self.reactor.stop()

        def futureDone(future: asyncio.Future[Any]) -> None:
            if future.cancelled():
                finish(False, asyncio.CancelledError())
            elif future.exception() is not None:
                finish(False, future.exception())
            else:
                finish(True, future.result())

        def start() -> None:
            try:
                result = body()
            except BaseException as e:
                finish(False, e)
                return
            if isinstance(result, Deferred):
                result.addCallbacks(
                    lambda value: finish(True, value),
                    lambda failure: finish(False, failure.value),
                )
            else:
                asyncio.ensure_future(result).add_done_callback(futureDone)

        # Not callWhenRunning(start): a TornadoReactor runs startup
        # triggers before its loop runs, and the bodies need a running loop.
        self.reactor.callWhenRunning(self.reactor.callLater, 0, start)
        timer = self.reactor.callLater(
            timeout, finish, False, AssertionError(f"timed out after {timeout}s")
        )
        self.reactor.run(installSignalHandlers=False)
        if timer.active():
            timer.cancel()
        ok, value = outcome[0]
        if not ok:
            raise value
        return value

    def close(self) -> None:
        raise NotImplementedError


class TornadoReactorSetup(LoopSetup):
    """
    A L{TornadoReactor} on a new AsyncIOLoop (closed by the next set-up
    built, see L{tornadoAsyncioReactor}).
    """

    def __init__(self) -> None:
        self.reactor = tornadoAsyncioReactor()
        self.io_loop = self.reactor.io_loop

    def close(self) -> None:
        pass


class TwistedIOLoopSetup(LoopSetup):
    """
    A L{TwistedIOLoop} owning a new C{EPollReactor}.
    """

    def __init__(self) -> None:
        self.reactor = EPollReactor()
        reactor = self.reactor
        self.io_loop = TwistedIOLoop(
            reactor_factory=lambda: reactor, make_current=False
        )

    def close(self) -> None:
        if not self.loop.is_closed():
            self.io_loop.close(all_fds=True)


SETUPS: dict[str, Callable[[], LoopSetup]] = {
    "TornadoReactor": TornadoReactorSetup,
    "TwistedIOLoopEPoll": TwistedIOLoopSetup,
}


class LoopSetupMixin:
    """
    A new L{LoopSetup} per test, as C{self.setup}, from C{setupFactory}
    (one of L{SETUPS}: see L{LOOP_SETUPS}); closed after the test.
    """

    setupFactory: Callable[[], LoopSetup]
    addCleanup: Callable[..., None]

    def setUp(self) -> None:
        self.setup = self.setupFactory()
        self.addCleanup(self.setup.close)


#: The variants for L{parametrize}: one test class per loop set-up.
LOOP_SETUPS = factory_variants("setupFactory", SETUPS)


class ErrorCatcher:
    """
    Collects what Twisted logs as failures, and what reaches the loop's
    asyncio exception handler, while a test runs.
    """

    def __init__(self, case: SynchronousTestCase, loop: asyncio.AbstractEventLoop):
        self.twisted: list[Failure] = []
        self.asyncio: list[dict[str, Any]] = []
        self._case = case
        globalLogPublisher.addObserver(self._observe)
        case.addCleanup(globalLogPublisher.removeObserver, self._observe)
        loop.set_exception_handler(lambda loop, context: self.asyncio.append(context))
        case.addCleanup(loop.set_exception_handler, None)

    def _observe(self, event: dict[str, Any]) -> None:
        if "log_failure" in event:
            self.twisted.append(event["log_failure"])

    def collect(self) -> None:
        """
        Collect garbage (where unhandled errors are reported), and tell
        trial that the Twisted ones were expected.
        """
        gc.collect()
        self._case.flushLoggedErrors()


# --- The bridge -------------------------------------------------------------


class Boom(Exception):  # noqa: N818 (a test exception)
    pass


def raiseBoom(*args: object) -> None:
    raise Boom("boom")


async def sleepUntilCancelled(
    seen: list[str], finished: asyncio.Event | None = None
) -> None:
    """
    Sleep until cancelled; record C{"cancelled"} in C{seen} then, and set
    C{finished} when done.
    """
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        seen.append("cancelled")
        raise
    finally:
        if finished is not None:
            finished.set()


class _BridgeTests:
    """
    The futures bridge on C{self.setup}.
    """

    setup: LoopSetup

    # Provided by SynchronousTestCase.
    assertEqual: Callable[..., None]
    assertIs: Callable[..., None]
    assertIn: Callable[..., None]
    assertTrue: Callable[..., None]
    assertFalse: Callable[..., None]
    assertIsInstance: Callable[..., None]
    assertRaises: Callable[..., Any]
    assertNoResult: Callable[..., None]
    successResultOf: Callable[..., Any]
    failureResultOf: Callable[..., Failure]
    addCleanup: Callable[..., None]

    def later(self, delay: float, value: object) -> Deferred[Any]:
        return task.deferLater(self.setup.reactor, delay, lambda: value)

    # Waiting for each other

    def test_yieldDeferredInGenCoroutine(self) -> None:
        """
        A C{@gen.coroutine} can yield a Deferred, and lists of them.
        """

        @gen.coroutine
        def main() -> Any:
            one = yield self.later(0.001, 1)
            several = yield [self.later(0.002, 2), self.later(0, 3)]
            return one, several

        self.assertEqual(self.setup.run(main), (1, [2, 3]))

    def test_awaitDeferredInNativeCoroutine(self) -> None:
        """
        An C{async def} run as an asyncio task (as Tornado runs them) awaits
        a Deferred through L{future_from_deferred}, L{to_asyncio_future},
        L{to_tornado_future} or C{gen.convert_yielded}.
        """

        async def main() -> list[Any]:
            return [
                await future_from_deferred(self.later(0.001, "a")),
                await to_asyncio_future(self.later(0, "b")),
                await to_tornado_future(self.later(0, "c")),
                await gen.convert_yielded(self.later(0, "d")),
            ]

        self.assertEqual(self.setup.run(main), ["a", "b", "c", "d"])

    def test_bareAwaitDeferredInTask(self) -> None:
        """
        As the module documents, a bare C{await deferred} works in an
        asyncio task on txtornado's loops (more in C{test_await_deferred}).
        """

        async def main() -> Any:
            return await self.later(0, "bare")

        self.assertEqual(self.setup.run(main), "bare")

    def test_inlineCallbacksWaitsForFutures(self) -> None:
        """
        C{inlineCallbacks} waits for Tornado coroutines and futures, asyncio
        futures and coroutines through L{deferred_from_future}.
        """

        @gen.coroutine
        def tornadoCoroutine() -> Any:
            yield gen.sleep(0.001)
            return "tornado"

        async def nativeCoroutine() -> str:
            await asyncio.sleep(0)
            return "native"

        @defer.inlineCallbacks
        def main() -> Any:
            loop = asyncio.get_running_loop()
            future = loop.create_future()
            loop.call_later(0.001, future.set_result, "future")
            results = []
            for awaitable in (tornadoCoroutine(), nativeCoroutine(), future):
                results.append((yield deferred_from_future(awaitable)))
            return results

        self.assertEqual(self.setup.run(main), ["tornado", "native", "future"])

    def test_ensureDeferredAwaitsFutures(self) -> None:
        """
        A coroutine run by C{ensureDeferred} awaits futures and Tornado
        coroutines through L{deferred_from_future}, and a future with a
        bare C{await} (more in C{test_await_future}).
        """

        async def main() -> Any:
            results = [
                await deferred_from_future(gen.sleep(0.001)),
                await deferred_from_future(asyncio.sleep(0, "slept")),
                await self.later(0, "deferred"),
            ]
            future = asyncio.get_running_loop().create_future()
            future.get_loop().call_soon(future.set_result, "bare")
            results.append(await future)
            return results

        self.assertEqual(
            self.setup.run(lambda: defer.ensureDeferred(main())),
            [None, "slept", "deferred", "bare"],
        )

    # Already done: synchronous

    def test_firedDeferredGivesDoneFuture(self) -> None:
        """
        A Deferred that already fired gives a future that is done on
        return; its outcome is consumed (as by C{Deferred.asFuture}).
        """
        loop = self.setup.loop
        succeeded = defer.succeed(7)
        future = future_from_deferred(succeeded, loop)
        self.assertEqual(future.result(), 7)
        self.assertIs(self.successResultOf(succeeded), None)

        failed: Deferred[None] = defer.fail(Boom())
        future = future_from_deferred(failed, loop)
        self.assertIsInstance(future.exception(), Boom)
        self.assertIs(self.successResultOf(failed), None)

        cancelled: Deferred[None] = defer.fail(CancelledError())
        self.assertTrue(future_from_deferred(cancelled, loop).cancelled())

    def test_doneFutureGivesFiredDeferred(self) -> None:
        """
        A future that is already done gives a Deferred that has fired on
        return (twisted#9273): result, exception, cancellation.
        """
        loop = self.setup.loop
        done = loop.create_future()
        done.set_result("done")
        self.assertEqual(self.successResultOf(deferred_from_future(done)), "done")

        failed = loop.create_future()
        failed.set_exception(Boom())
        self.failureResultOf(deferred_from_future(failed), Boom)

        cancelled = loop.create_future()
        cancelled.cancel()
        self.failureResultOf(deferred_from_future(cancelled), CancelledError)

        deferred: Deferred[None] = Deferred()
        self.assertIs(deferred_from_future(deferred), deferred)

    # Cancellation

    def test_cancelFutureCancelsDeferred(self) -> None:
        """
        Cancelling the future cancels the Deferred at once; the Deferred
        side sees Twisted's CancelledError, and nothing is reported.
        """
        errors = ErrorCatcher(self, self.setup.loop)  # type: ignore[arg-type]
        cancelled: list[Deferred[Any]] = []
        deferred: Deferred[Any] = Deferred(cancelled.append)
        seen: list[Failure] = []
        deferred.addErrback(lambda f: (seen.append(f), f)[1])
        future = future_from_deferred(deferred, self.setup.loop)
        self.assertTrue(future.cancel())
        self.assertEqual(cancelled, [deferred])
        self.assertEqual([f.type for f in seen], [CancelledError])
        self.assertTrue(future.cancelled())
        del deferred, future
        errors.collect()
        self.assertEqual((errors.twisted, errors.asyncio), ([], []))

    def test_cancelledDeferredCancelsFuture(self) -> None:
        """
        A Deferred cancelled on the Twisted side cancels its future: code
        awaiting it gets asyncio's CancelledError.
        """
        deferred: Deferred[Any] = Deferred()
        future = future_from_deferred(deferred, self.setup.loop)
        deferred.cancel()
        self.assertTrue(future.cancelled())
        with self.assertRaises(asyncio.CancelledError):
            future.result()

    def test_failureAfterCancelIsReportedByTwisted(self) -> None:
        """
        If the Deferred fails with something other than CancelledError after
        its future was cancelled, Twisted reports it (once).
        """
        errors = ErrorCatcher(self, self.setup.loop)  # type: ignore[arg-type]
        inner: Deferred[Any] = Deferred(lambda d: d.errback(Boom()))
        outer: Deferred[Any] = defer.succeed(None)
        outer.addCallback(lambda _: inner)  # outer now waits for inner
        future = future_from_deferred(outer, self.setup.loop)
        future.cancel()  # cancels outer, which cancels inner, which fails
        self.assertTrue(future.cancelled())
        del outer, future
        errors.collect()
        self.assertEqual([f.type for f in errors.twisted], [Boom])
        self.assertEqual(errors.asyncio, [])

    def test_cancelDeferredCancelsFuture(self) -> None:
        """
        Cancelling a Deferred from L{deferred_from_future} cancels the
        future at once and fails the Deferred with Twisted's CancelledError
        (not asyncio's, twisted#9679).
        """
        future = self.setup.loop.create_future()
        deferred = deferred_from_future(future)
        deferred.cancel()
        self.assertTrue(future.cancelled())
        self.failureResultOf(deferred, CancelledError)

    def test_cancelledFutureFailsDeferredWithTwistedError(self) -> None:
        """
        A future cancelled on the asyncio side (a task cancelled while it
        runs) fails the Deferred with Twisted's CancelledError.
        """
        seen: list[str] = []

        @defer.inlineCallbacks
        def main() -> Any:
            sleeping = asyncio.ensure_future(sleepUntilCancelled(seen))
            asyncio.get_running_loop().call_later(0.001, sleeping.cancel)
            try:
                yield deferred_from_future(sleeping)
            except CancelledError as e:
                return type(e)

        self.assertIs(self.setup.run(main), CancelledError)
        self.assertEqual(seen, ["cancelled"])

    def test_cancelBeforeTaskStarted(self) -> None:
        """
        Cancelling the Deferred of a task that has not started yet cancels
        the task (its coroutine never runs) and leaves nothing unhandled on
        either side (twisted#12470).
        """
        errors = ErrorCatcher(self, self.setup.loop)  # type: ignore[arg-type]
        ran: list[str] = []

        async def coroutine() -> None:
            ran.append("ran")

        def main() -> Deferred[Any]:
            sleeping = asyncio.ensure_future(coroutine())
            deferred = deferred_from_future(sleeping)
            deferred.cancel()
            failure = self.failureResultOf(deferred, CancelledError)
            # Let the loop run the cancelled task, then finish.
            return task.deferLater(self.setup.reactor, 0.001, lambda: failure.type)

        self.assertIs(self.setup.run(main), CancelledError)
        errors.collect()
        self.assertEqual((ran, errors.twisted, errors.asyncio), ([], [], []))

    def test_cancelTaskAwaitingDeferred(self) -> None:
        """
        Cancelling a task that awaits a Deferred cancels the Deferred (its
        canceller runs, Twisted's CancelledError on the Deferred side) and
        the task ends with asyncio's CancelledError.
        """
        onDeferredSide: list[type[BaseException]] = []

        def cancel(deferred: Deferred[Any]) -> None:
            onDeferredSide.append(CancelledError)

        async def waiter(deferred: Deferred[Any]) -> None:
            await future_from_deferred(deferred)

        async def main() -> Any:
            deferred: Deferred[Any] = Deferred(cancel)
            deferred.addErrback(lambda f: (onDeferredSide.append(f.type), f)[1])
            waiting = asyncio.ensure_future(waiter(deferred))
            await asyncio.sleep(0)
            waiting.cancel()
            try:
                await waiting
            except asyncio.CancelledError:
                return "task cancelled"

        self.assertEqual(self.setup.run(main), "task cancelled")
        self.assertEqual(onDeferredSide, [CancelledError, CancelledError])

    def test_cancelInlineCallbacksCancelsTask(self) -> None:
        """
        Cancelling an C{inlineCallbacks} Deferred waiting on a task cancels
        the task: its coroutine sees asyncio's CancelledError.
        """
        seen: list[str] = []
        finished = asyncio.Event()

        @defer.inlineCallbacks
        def waiter() -> Any:
            yield deferred_from_future(sleepUntilCancelled(seen, finished))

        def main() -> Deferred[Any]:
            waiting = waiter()
            self.setup.reactor.callLater(0.001, waiting.cancel)
            waiting.addErrback(lambda f: f.trap(CancelledError))
            # Finish once the task has seen the cancellation.
            return waiting.addCallback(
                lambda trapped: deferred_from_future(finished.wait()).addCallback(
                    lambda _: trapped
                )
            )

        self.assertEqual(self.setup.run(main), CancelledError)
        self.assertEqual(seen, ["cancelled"])

    # Failures

    def test_tracebackFromDeferredToFuture(self) -> None:
        """
        The future's exception carries the traceback of the code that
        raised it in a Deferred callback.
        """
        deferred: Deferred[None] = Deferred()
        deferred.addCallback(raiseBoom)
        future = future_from_deferred(deferred, self.setup.loop)
        deferred.callback(None)
        exception = future.exception()
        assert exception is not None
        names = [frame.name for frame in traceback.extract_tb(exception.__traceback__)]
        self.assertIn("raiseBoom", names)

    def test_tracebackFromCoroutineToDeferred(self) -> None:
        """
        The Deferred's failure carries the traceback of the coroutine that
        raised.
        """

        async def failing() -> None:
            await asyncio.sleep(0)
            raiseBoom()

        def main() -> Deferred[Any]:
            return deferred_from_future(failing()).addErrback(
                lambda f: f.getTraceback()
            )

        text = self.setup.run(main)
        self.assertIn("raiseBoom", text)
        self.assertIn("failing", text)

    def test_unhandledReportedOnce(self) -> None:
        """
        An exception nobody handles is reported exactly once: by asyncio
        when it ends in a future, by Twisted when it ends in a Deferred;
        handled ones are not reported.
        """
        loop = self.setup.loop
        errors = ErrorCatcher(self, loop)  # type: ignore[arg-type]

        # Deferred -> future, future never looked at: asyncio reports.
        deferred: Deferred[None] = Deferred()
        future: asyncio.Future[Any] | None = future_from_deferred(deferred, loop)
        deferred.errback(Boom("in future"))
        del deferred, future
        errors.collect()
        self.assertEqual(errors.twisted, [])
        self.assertEqual(len(errors.asyncio), 1)
        self.assertIsInstance(errors.asyncio[0]["exception"], Boom)

        # future -> Deferred, Deferred never handled: Twisted reports.
        future = loop.create_future()
        converted: Deferred[Any] | None = deferred_from_future(future)
        future.set_exception(Boom("in deferred"))
        del future
        gc.collect()  # the future is still referenced by its done callback
        self.assertEqual(len(errors.twisted), 0)
        errors.collect()

        # ... until the loop delivers it; run the loop once.
        loop.call_soon(loop.stop)
        loop.run_forever()
        del converted
        errors.collect()
        self.assertEqual([f.type for f in errors.twisted], [Boom])
        self.assertEqual(len(errors.asyncio), 1)

        # Handled on both sides: nothing more.
        deferred = Deferred()
        future = future_from_deferred(deferred, loop)
        deferred.errback(Boom())
        self.assertIsInstance(future.exception(), Boom)
        handled = deferred_from_future(future)
        handled.addErrback(lambda f: None)
        del deferred, future, handled
        errors.collect()
        self.assertEqual(len(errors.twisted), 1)
        self.assertEqual(len(errors.asyncio), 1)

    # Context variables

    def test_contextvarsCrossTheBridge(self) -> None:
        """
        Context variables set by the caller are visible in the callee in
        both directions, and the callee's changes stay in the callee, as
        with asyncio tasks.
        """
        var: contextvars.ContextVar[str] = contextvars.ContextVar("var")

        async def asyncioCallee() -> str:
            value = var.get("unset")
            var.set("changed by asyncio callee")
            return value

        async def twistedCallee() -> str:
            await self.later(0, None)
            value = var.get("unset")
            var.set("changed by Twisted callee")
            return value

        async def tornadoCaller() -> list[str]:
            var.set("tornado caller")
            seen = [await future_from_deferred(defer.ensureDeferred(twistedCallee()))]
            seen.append(var.get())
            return seen

        async def twistedCaller() -> list[str]:
            var.set("twisted caller")
            seen = [await deferred_from_future(asyncioCallee())]
            seen.append(var.get())
            seen.extend(await deferred_from_future(tornadoCaller()))
            seen.append(var.get())
            return seen

        self.assertEqual(
            self.setup.run(lambda: defer.ensureDeferred(twistedCaller())),
            [
                "twisted caller",
                "twisted caller",
                "tornado caller",
                "tornado caller",
                "twisted caller",
            ],
        )

    # Threads

    def test_otherThreadRaises(self) -> None:
        """
        Converting for a loop that runs in another thread raises a clear
        RuntimeError; with no loop at all, too.
        """
        errors: list[str] = []

        def inThread(future: asyncio.Future[Any]) -> None:
            for convert in (
                lambda: future_from_deferred(Deferred(), future.get_loop()),
                lambda: deferred_from_future(future),
                lambda: future_from_deferred(Deferred()),
            ):
                try:
                    convert()
                except RuntimeError as e:
                    errors.append(str(e))

        async def main() -> None:
            future = asyncio.get_running_loop().create_future()
            thread = threading.Thread(target=inThread, args=(future,))
            thread.start()
            await asyncio.get_running_loop().run_in_executor(None, thread.join)

        self.setup.run(main)
        self.assertEqual(len(errors), 3)
        self.assertIn("running in another thread", errors[0])
        self.assertIn("running in another thread", errors[1])
        self.assertIn("no event loop is running in this thread", errors[2])

    def test_concurrentFutureFromOtherThread(self) -> None:
        """
        A C{concurrent.futures.Future} completed in another thread is the
        thread-safe way in: its Deferred and future fire in the loop thread.
        """
        loopThread: list[int] = []

        def complete(future: concurrent.futures.Future[str], value: str) -> None:
            threading.Thread(target=future.set_result, args=(value,)).start()

        @defer.inlineCallbacks
        def main() -> Any:
            first: concurrent.futures.Future[str] = concurrent.futures.Future()
            deferred = deferred_from_future(first)
            deferred.addCallback(
                lambda r: (loopThread.append(threading.get_ident()), r)[1]
            )
            complete(first, "deferred")
            second: concurrent.futures.Future[str] = concurrent.futures.Future()
            future = to_asyncio_future(second)
            complete(second, "future")
            results = [(yield deferred), (yield deferred_from_future(future))]
            return results

        self.assertEqual(self.setup.run(main), ["deferred", "future"])
        self.assertEqual(loopThread, [threading.get_ident()])

    def test_toAsyncioFutureAcceptsYieldables(self) -> None:
        """
        L{to_asyncio_future} accepts futures (returned as they are),
        coroutines, lists and dicts of yieldables, and Deferreds.
        """

        async def coroutine() -> str:
            return "coroutine"

        async def main() -> list[Any]:
            future = asyncio.get_running_loop().create_future()
            future.set_result("future")
            self.assertIs(to_asyncio_future(future), future)
            return [
                await to_asyncio_future(coroutine()),
                await to_asyncio_future([future, self.later(0, "in list")]),
                await to_asyncio_future({"k": self.later(0, "in dict")}),
            ]

        self.assertEqual(
            self.setup.run(main),
            ["coroutine", ["future", "in list"], {"k": "in dict"}],
        )


parametrize(globals(), (_BridgeTests, LoopSetupMixin), LOOP_SETUPS)
