"""
Tornado's coroutine primitives (locks, queues, timers, chain_future) mixed
with Deferreds, on a L{TornadoReactor} and on a L{TwistedIOLoop} over a new
C{EPollReactor}.  Runs under pytest and trial.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime
from collections.abc import Callable
from typing import Any

from tornado import gen, locks, queues
from tornado.concurrent import chain_future
from tornado.ioloop import PeriodicCallback
from tornado.util import TimeoutError as TornadoTimeoutError
from twisted.internet import defer, task
from twisted.internet.defer import Deferred

from txtornado import (
    deferred_from_future,
    future_from_deferred,
    to_asyncio_future,
)
from txtornado.test._helpers import parametrize
from txtornado.test.test_futures import (
    LOOP_SETUPS,
    LoopSetup,
    LoopSetupMixin,
)


class _PrimitiveTests:
    """
    Tornado primitives used from Tornado coroutines and from Twisted code
    on C{self.setup}.
    """

    setup: LoopSetup
    assertEqual: Callable[..., None]
    assertIn: Callable[..., None]
    assertTrue: Callable[..., None]
    assertRaises: Callable[..., Any]
    addCleanup: Callable[..., None]

    def later(self, delay: float, value: object = None) -> Deferred[Any]:
        return task.deferLater(self.setup.reactor, delay, lambda: value)

    def test_lockHeldAcrossDeferred(self) -> None:
        """
        A Tornado coroutine holds a Lock while awaiting a Deferred; Twisted
        code waiting for the lock gets it only after the release.
        """
        lock = locks.Lock()
        events: list[str] = []

        async def holder() -> None:
            async with lock:
                events.append("tornado acquired")
                await future_from_deferred(self.later(0.01))
                events.append("tornado releases")

        @defer.inlineCallbacks
        def twistedWaiter() -> Any:
            yield deferred_from_future(lock.acquire())
            events.append("twisted acquired")
            lock.release()

        async def main() -> None:
            held = asyncio.ensure_future(holder())
            await asyncio.sleep(0)
            await future_from_deferred(twistedWaiter())
            await held

        self.setup.run(main)
        self.assertEqual(
            events, ["tornado acquired", "tornado releases", "twisted acquired"]
        )

    def test_conditionAndEvent(self) -> None:
        """
        Deferreds wait on a Condition and an Event that Tornado code
        notifies and sets after awaiting a Deferred.
        """
        condition = locks.Condition()
        event = locks.Event()

        async def notifier() -> None:
            await future_from_deferred(self.later(0.001))
            condition.notify_all()
            await future_from_deferred(self.later(0.001))
            event.set()

        def main() -> Deferred[Any]:
            waits = [deferred_from_future(condition.wait()) for _ in range(3)]
            waits.append(deferred_from_future(event.wait()))
            notifying = deferred_from_future(notifier())
            return defer.gatherResults(waits).addCallback(
                lambda results: notifying.addCallback(lambda _: results)
            )

        self.assertEqual(self.setup.run(main), [True, True, True, None])
        self.assertTrue(event.is_set())

    def test_semaphores(self) -> None:
        """
        A Semaphore bounds Twisted and Tornado workers together; a
        BoundedSemaphore refuses an extra release.
        """
        semaphore = locks.Semaphore(2)
        running: list[int] = [0]
        peak: list[int] = [0]

        async def work(delay: float) -> None:
            async with semaphore:
                running[0] += 1
                peak[0] = max(peak[0], running[0])
                await future_from_deferred(self.later(delay))
                running[0] -= 1

        @defer.inlineCallbacks
        def twistedWork(delay: float) -> Any:
            yield deferred_from_future(semaphore.acquire())
            try:
                running[0] += 1
                peak[0] = max(peak[0], running[0])
                yield self.later(delay)
                running[0] -= 1
            finally:
                semaphore.release()

        def main() -> Deferred[Any]:
            jobs = [deferred_from_future(work(0.002)) for _ in range(3)]
            jobs += [twistedWork(0.001) for _ in range(3)]
            return defer.gatherResults(jobs)

        self.setup.run(main)
        self.assertEqual(peak, [2])
        bounded = locks.BoundedSemaphore(1)
        with self.assertRaises(ValueError):
            bounded.release()

    def test_queues(self) -> None:
        """
        Deferreds wait on Queue.get while a Tornado producer puts after
        awaiting Deferreds; PriorityQueue and LifoQueue keep their order;
        join waits for task_done.
        """

        async def producer(queue: queues.Queue[Any], items: list[Any]) -> None:
            for item in items:
                await future_from_deferred(self.later(0))
                await queue.put(item)

        @defer.inlineCallbacks
        def consumer(queue: queues.Queue[Any], count: int) -> Any:
            got = []
            for _ in range(count):
                got.append((yield deferred_from_future(queue.get())))
                queue.task_done()
            return got

        @defer.inlineCallbacks
        def main() -> Any:
            fifo: queues.Queue[int] = queues.Queue(maxsize=1)
            consumed = consumer(fifo, 3)
            yield deferred_from_future(producer(fifo, [1, 2, 3]))
            yield deferred_from_future(fifo.join())
            results = [(yield consumed)]
            for queue in (queues.PriorityQueue(), queues.LifoQueue()):
                for item in (2, 1, 3):
                    queue.put_nowait(item)
                results.append((yield consumer(queue, 3)))
            return results

        self.assertEqual(self.setup.run(main), [[1, 2, 3], [1, 2, 3], [3, 1, 2]])

    def test_sleepAndWithTimeout(self) -> None:
        """
        gen.sleep works from inlineCallbacks; gen.with_timeout accepts a
        Deferred: the result if in time, TimeoutError otherwise.
        """

        @defer.inlineCallbacks
        def main() -> Any:
            before = self.setup.reactor.seconds()
            yield deferred_from_future(gen.sleep(0.01))
            slept = self.setup.reactor.seconds() - before
            inTime = yield deferred_from_future(
                gen.with_timeout(datetime.timedelta(seconds=5), self.later(0, "ok"))
            )
            try:
                yield deferred_from_future(
                    gen.with_timeout(datetime.timedelta(seconds=0.01), Deferred())
                )
            except TornadoTimeoutError:
                timedOut = True
            else:
                timedOut = False
            return slept, inTime, timedOut

        slept, inTime, timedOut = self.setup.run(main)
        self.assertTrue(slept >= 0.009, slept)
        self.assertEqual((inTime, timedOut), ("ok", True))

    def test_periodicCallbackWaitsForDeferred(self) -> None:
        """
        A PeriodicCallback whose callback returns a Deferred (converted, so
        Tornado can await it) runs again only after the Deferred fired.
        """
        calls: list[str] = []
        done: Deferred[None] = Deferred()

        def callback() -> Any:
            calls.append("start")
            if calls.count("start") == 4:
                periodic.stop()
                done.callback(None)
                return None
            return future_from_deferred(
                self.later(0.005).addCallback(lambda _: calls.append("end"))
            )

        periodic = PeriodicCallback(callback, 1)

        def main() -> Deferred[None]:
            periodic.start()
            return done

        self.setup.run(main)
        self.assertEqual(calls, ["start", "end"] * 3 + ["start"])

    def test_chainFuture(self) -> None:
        """
        chain_future copies a converted Deferred's outcome to a Tornado
        future, and an asyncio future's to a concurrent one.
        """

        async def main() -> list[Any]:
            loop = asyncio.get_running_loop()
            target = loop.create_future()
            chain_future(future_from_deferred(self.later(0, "from deferred")), target)
            concurrentTarget: concurrent.futures.Future[str] = (
                concurrent.futures.Future()
            )
            source = loop.create_future()
            chain_future(source, concurrentTarget)
            source.set_result("to concurrent")
            return [await target, await to_asyncio_future(concurrentTarget)]

        self.assertEqual(self.setup.run(main), ["from deferred", "to concurrent"])


parametrize(globals(), (_PrimitiveTests, LoopSetupMixin), LOOP_SETUPS)
