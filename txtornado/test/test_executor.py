"""
Tests for L{txtornado.executor.ReactorThreadPoolExecutor}: Tornado's and
asyncio's executor calls in the reactor's thread pool, on a
L{TornadoReactor} and on a L{TwistedIOLoop} over a new C{EPollReactor}, and
the executor's own contract (cancellation, C{map}, C{shutdown}) on a reactor
that is not running.  Runs under pytest and trial.
"""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Callable
from typing import Any

from tornado.concurrent import run_on_executor
from twisted.internet import defer, threads
from twisted.internet.defer import Deferred
from twisted.internet.epollreactor import EPollReactor
from twisted.trial.unittest import SynchronousTestCase

from txtornado import ReactorThreadPoolExecutor, deferred_from_future
from txtornado.test._helpers import parametrize
from txtornado.test.test_futures import (
    LOOP_SETUPS,
    LoopSetup,
    LoopSetupMixin,
    TwistedIOLoopSetup,
)


class _ExecutorTests:
    """
    The executor on C{self.setup}'s reactor, used by Tornado and Twisted
    code while the reactor runs.
    """

    setup: LoopSetup
    assertEqual: Callable[..., None]
    assertIn: Callable[..., None]
    assertRaises: Callable[..., Any]

    def test_sharedThreadPool(self) -> None:
        """
        run_on_executor, IOLoop.run_in_executor and deferToThread all run in
        the reactor's pool, whose size suggestThreadPoolSize governs for
        all of them.
        """
        reactor = self.setup.reactor
        reactor.suggestThreadPoolSize(1)
        executor = ReactorThreadPoolExecutor(reactor)
        self.setup.io_loop.set_default_executor(executor)
        pool = reactor.getThreadPool()

        class Worker:
            def __init__(self) -> None:
                self.executor = executor

            @run_on_executor
            def ident(self) -> int:
                return threading.get_ident()

        def main() -> Deferred[list[int]]:
            return defer.gatherResults(
                [
                    deferred_from_future(Worker().ident()),
                    deferred_from_future(
                        self.setup.io_loop.run_in_executor(None, threading.get_ident)
                    ),
                    threads.deferToThreadPool(reactor, pool, threading.get_ident),
                ]
            )

        idents = self.setup.run(main)
        self.assertEqual(len(set(idents)), 1, idents)
        self.assertIn(idents[0], {t.ident for t in pool.threads})

    def test_executorErrorsAndShutdown(self) -> None:
        """
        An exception in the pool reaches the awaiting coroutine; after
        shutdown, submit raises; so it does once the reactor stopped the
        pool.
        """
        executor = ReactorThreadPoolExecutor(self.setup.reactor)

        def fail() -> None:
            raise KeyError("in thread")

        async def main() -> str:
            try:
                await self.setup.io_loop.run_in_executor(executor, fail)
            except KeyError as e:
                return str(e)
            return "no error"

        self.assertEqual(self.setup.run(main), "'in thread'")
        with self.assertRaises(RuntimeError):
            executor.submit(fail)
        executor.shutdown()
        with self.assertRaises(RuntimeError):
            executor.submit(fail)


parametrize(globals(), (_ExecutorTests, LoopSetupMixin), LOOP_SETUPS)


class ExecutorDrivingTwistedIOLoopTests(SynchronousTestCase):
    """
    A TwistedIOLoop driven by run_sync does not start its reactor (nor the
    reactor's pool); the executor starts the pool, and stops it on
    shutdown (as IOLoop.close does for the default executor).
    """

    def test_runSyncStartsAndStopsPool(self) -> None:
        setup = TwistedIOLoopSetup()
        self.addCleanup(setup.close)
        executor = ReactorThreadPoolExecutor(setup.reactor)
        setup.io_loop.set_default_executor(executor)
        pool = setup.reactor.getThreadPool()
        self.assertEqual(pool.started, False)

        async def main() -> int:
            return await setup.io_loop.run_in_executor(None, threading.get_ident)

        ident = setup.io_loop.run_sync(main, timeout=10)
        self.assertIn(ident, {t.ident for t in pool.threads})
        self.assertEqual(setup.reactor.running, False)
        threadsUsed = list(pool.threads)
        setup.io_loop.close(all_fds=True)
        self.assertEqual(pool.started, False)
        self.assertEqual(
            [t.is_alive() for t in threadsUsed], [False] * len(threadsUsed)
        )
        with self.assertRaises(RuntimeError):
            executor.submit(threading.get_ident)


class ExecutorContractTests(SynchronousTestCase):
    """
    The C{concurrent.futures.Executor} contract, on the pool of a new
    C{EPollReactor} that never runs (the executor starts the pool, and its
    L{shutdown} stops it).
    """

    def setUp(self) -> None:
        self.reactor = EPollReactor()
        self.reactor.suggestThreadPoolSize(1)
        self.executor = ReactorThreadPoolExecutor(self.reactor)
        self.pool = self.reactor.getThreadPool()
        self.release = threading.Event()
        self.addCleanup(self.executor.shutdown)
        # Before the shutdown: a failing test must not leave a call blocked.
        self.addCleanup(self.release.set)

    def block(self) -> concurrent.futures.Future[str]:
        """
        Occupy the pool's only thread until C{self.release} is set; return
        that call's future once it runs.
        """
        started = threading.Event()

        def blocking() -> str:
            started.set()
            self.release.wait(10)
            return "released"

        future = self.executor.submit(blocking)
        self.assertTrue(started.wait(10))
        return future

    def test_submitStartsPool(self) -> None:
        """
        Work submitted while the reactor is not running starts the pool,
        runs in one of its threads, and shutdown stops the pool again.
        """
        self.assertFalse(self.pool.started)
        ident = self.executor.submit(threading.get_ident).result(10)
        self.assertTrue(self.pool.started)
        self.assertIn(ident, {t.ident for t in self.pool.threads})
        self.executor.shutdown()
        self.assertFalse(self.pool.started)

    def test_cancelBeforeStart(self) -> None:
        """
        A call cancelled before it starts never runs; the calls around it
        do.
        """
        ran: list[str] = []
        first = self.block()
        second = self.executor.submit(ran.append, "second")
        third = self.executor.submit(ran.append, "third")
        self.assertTrue(second.cancel())
        self.release.set()
        self.assertEqual(first.result(10), "released")
        third.result(10)
        self.assertTrue(second.cancelled())
        self.assertEqual(ran, ["third"])

    def test_shutdownCancelFutures(self) -> None:
        """
        C{shutdown(cancel_futures=True)} cancels the calls not started yet
        and refuses new work at once; it returns once the running call has
        finished (the executor started the pool, and stops it).
        """
        ran: list[str] = []
        first = self.block()
        queued = [self.executor.submit(ran.append, str(i)) for i in range(3)]
        # A cancelled future runs its done callbacks at once, but counts as
        # done for concurrent.futures.wait only once a worker would have
        # run it (as with ThreadPoolExecutor): wait for the callbacks.
        ended: list[concurrent.futures.Future[None]] = []
        allEnded = threading.Event()

        def onDone(future: concurrent.futures.Future[None]) -> None:
            ended.append(future)
            if len(ended) == len(queued):
                allEnded.set()

        for future in queued:
            future.add_done_callback(onDone)
        thread = threading.Thread(
            target=self.executor.shutdown, kwargs={"cancel_futures": True}
        )
        thread.start()
        self.addCleanup(thread.join, 10)
        self.assertTrue(allEnded.wait(10))
        self.assertEqual([f.cancelled() for f in queued], [True] * 3)
        with self.assertRaises(RuntimeError):
            self.executor.submit(ran.append, "late")
        self.assertTrue(thread.is_alive())
        self.release.set()
        thread.join(10)
        self.assertFalse(thread.is_alive())
        self.assertEqual(first.result(0), "released")
        self.assertEqual(ran, [])
        self.assertFalse(self.pool.started)

    def test_shutdownWaits(self) -> None:
        """
        C{shutdown(wait=True)} returns once every call submitted has
        finished.
        """
        first = self.block()
        second = self.executor.submit(lambda: "second")
        done = threading.Event()

        def shutdown() -> None:
            self.executor.shutdown(wait=True)
            done.set()

        thread = threading.Thread(target=shutdown)
        thread.start()
        self.addCleanup(thread.join, 10)
        self.assertFalse(first.done())
        self.release.set()
        self.assertTrue(done.wait(10))
        self.assertEqual((first.result(0), second.result(0)), ("released", "second"))

    def test_map(self) -> None:
        """
        C{map} (C{Executor}'s, through L{submit}) returns the results in
        order.
        """
        self.assertEqual(
            list(self.executor.map(str.upper, "abc", timeout=10)), list("ABC")
        )

    def test_exception(self) -> None:
        """
        An exception raised by the call is the future's exception.
        """

        def fail() -> None:
            raise KeyError("in thread")

        future = self.executor.submit(fail)
        with self.assertRaises(KeyError):
            future.result(10)
