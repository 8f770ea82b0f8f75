"""
Timer values that cross from asyncio to the reactor: far-away, infinite,
past and NaN deadlines, on a L{TwistedEventLoop} hosted by
C{reactor.run()} and driving the reactor itself (C{run_until_complete},
C{asyncio.Runner}, Tornado's C{run_sync}), on each reactor.

Each test schedules the timer, then makes the loop wait for an event from
another thread: the thread sends it only once the reactor is blocked in
C{doIteration} with a non-zero timeout, so the wait the timer asks for
really reaches the reactor.  Every such wait must be one the reactor can
honour (at most L{txtornado.eventloop.MAXIMUM_WAIT}, asyncio's own cap),
and the timer must run when stdlib asyncio's loop would run it (the
reference class checks stdlib does what is expected here).
"""

from __future__ import annotations

import asyncio
import functools
import math
import threading
from collections.abc import Callable
from typing import Any

from tornado.ioloop import IOLoop
from twisted.trial.unittest import SynchronousTestCase

from txtornado import TwistedEventLoop, TwistedIOLoop
from txtornado.eventloop import MAXIMUM_WAIT
from txtornado.test._helpers import per_reactor

#: (name, how to schedule, whether stdlib runs it at once).  A timer that is
#: not due at once must not run during the test.
CASES: list[
    tuple[str, Callable[[asyncio.AbstractEventLoop, Callable[[], None]], Any], bool]
] = [
    ("call_later_inf", lambda loop, cb: loop.call_later(math.inf, cb), False),
    ("call_later_1e300", lambda loop, cb: loop.call_later(1e300, cb), False),
    # Beyond epoll's int milliseconds (~24.8 days) and poll's.
    ("call_later_30_days", lambda loop, cb: loop.call_later(30 * 86400, cb), False),
    ("call_at_inf", lambda loop, cb: loop.call_at(math.inf, cb), False),
    ("call_at_minus_inf", lambda loop, cb: loop.call_at(-math.inf, cb), True),
    ("call_at_minus_1e300", lambda loop, cb: loop.call_at(-1e300, cb), True),
    ("call_later_negative", lambda loop, cb: loop.call_later(-5, cb), True),
    # stdlib asyncio accepts NaN; its wait is max(0, nan) == 0 and its
    # "is it due" test (when >= end_time) is false: a NaN timer at the
    # head of the heap runs at once.
    ("call_at_nan", lambda loop, cb: loop.call_at(math.nan, cb), True),
    ("call_later_nan", lambda loop, cb: loop.call_later(math.nan, cb), True),
]


class StdlibReferenceTests(SynchronousTestCase):
    """
    What stdlib asyncio's own loop does with each value of L{CASES}: the
    behaviour L{TwistedEventLoop} mirrors.
    """

    def test_reference(self) -> None:
        for name, schedule, at_once in CASES:
            loop = asyncio.SelectorEventLoop()
            try:
                ran: list[bool] = []
                schedule(loop, functools.partial(ran.append, True))
                loop.run_until_complete(asyncio.sleep(0))
                self.assertEqual(bool(ran), at_once, name)
            finally:
                loop.close()


class _TimerValueTests:
    """
    The values of L{CASES} on a loop on C{reactorFactory}'s reactor.
    """

    reactorFactory: Callable[[], Any]
    nestedSelector: bool = True

    def setUp(self) -> None:
        self.reactor = self.reactorFactory()
        self.loop = TwistedEventLoop(
            reactor_factory=lambda: self.reactor, nested_selector=self.nestedSelector
        )
        self.addCleanup(self._close)  # type: ignore[attr-defined]
        #: every timeout the reactor was asked to wait
        self.waits: list[float | None] = []
        self._blocked = threading.Event()
        self._watch(self.reactor)

    def _watch(self, reactor: Any) -> Any:
        """
        Record every wait C{reactor} is asked for in L{waits}, and tell
        L{_wait_for_blocked_poll}'s thread when one may block.
        """
        original = reactor.doIteration

        def doIteration(timeout: float | None) -> None:
            self.waits.append(timeout)
            if timeout != 0:
                self._blocked.set()
            original(timeout)

        reactor.doIteration = doIteration
        return reactor

    def _close(self) -> None:
        if not self.loop.is_closed():
            self.loop.close()

    async def _wait_for_blocked_poll(self) -> str:
        """
        Return once a thread woke the loop: C{"woken"} if it did so after
        the reactor blocked in a non-zero wait, C{"never blocked"} if no
        such wait came within 10 seconds.  (No asyncio timer of its own: it
        would be the earliest and hide the one under test.)
        """
        loop = asyncio.get_running_loop()
        woken: asyncio.Future[str] = loop.create_future()

        def wake() -> None:
            outcome = "woken" if self._blocked.wait(10) else "never blocked"
            loop.call_soon_threadsafe(woken.set_result, outcome)

        self._blocked.clear()
        thread = threading.Thread(target=wake)
        thread.start()
        try:
            return await woken
        finally:
            thread.join()

    async def _scenario(
        self, schedule: Callable[..., Any], ran: list[str]
    ) -> tuple[str, list[str]]:
        loop = asyncio.get_running_loop()
        self.assertIs(loop, self.loop)  # type: ignore[attr-defined]
        handle = schedule(loop, lambda: ran.append("ran"))
        try:
            result = await self._wait_for_blocked_poll()
            return result, list(ran)
        finally:
            handle.cancel()

    def _check_waits(self, name: str) -> None:
        self.assertTrue(  # type: ignore[attr-defined]
            any(w is None or w > 0 for w in self.waits), (name, self.waits)
        )
        for wait in self.waits:
            if wait is not None:
                self.assertFalse(math.isnan(wait), (name, self.waits))  # type: ignore[attr-defined]
                self.assertGreaterEqual(wait, 0, (name, self.waits))  # type: ignore[attr-defined]
                self.assertLessEqual(wait, MAXIMUM_WAIT, (name, self.waits))  # type: ignore[attr-defined]

    def _expect(self, name: str, at_once: bool, got: tuple[str, list[str]]) -> None:
        self.assertEqual(got, ("woken", ["ran"] if at_once else []), name)  # type: ignore[attr-defined]
        self._check_waits(name)

    def test_driving_run_until_complete(self) -> None:
        """
        C{run_until_complete} drives the reactor: each value gives a wait
        the reactor accepts, and the loop keeps running.
        """
        for name, schedule, at_once in CASES:
            self.waits.clear()
            ran: list[str] = []
            got = self.loop.run_until_complete(self._scenario(schedule, ran))
            self._expect(name, at_once, got)

    def test_hosted(self) -> None:
        """
        C{reactor.run()} hosts the loop: the same values, through the
        reactor timer the loop keeps for its earliest asyncio timer.
        """
        outcomes: list[tuple[str, bool, tuple[str, list[str]] | BaseException]] = []

        async def all_cases() -> None:
            for name, schedule, at_once in CASES:
                self.waits.clear()
                ran: list[str] = []
                try:
                    got: Any = await self._scenario(schedule, ran)
                except BaseException as e:
                    got = e
                outcomes.append((name, at_once, got))
                self._check_waits(name)

        def start() -> None:
            task = self.loop.create_task(all_cases())
            task.add_done_callback(lambda _: self.reactor.stop())
            self.tasks.append(task)

        self.tasks: list[asyncio.Task[None]] = []
        self.reactor.callWhenRunning(start)
        self.reactor.run(installSignalHandlers=False)
        self.tasks[0].result()
        self.assertEqual(len(outcomes), len(CASES))  # type: ignore[attr-defined]
        for name, at_once, got in outcomes:
            self.assertEqual(got, ("woken", ["ran"] if at_once else []), name)  # type: ignore[attr-defined]

    def _patch_maximum_wait(self) -> None:
        from txtornado import eventloop

        original = eventloop.MAXIMUM_WAIT
        eventloop.MAXIMUM_WAIT = 0.01
        self.addCleanup(setattr, eventloop, "MAXIMUM_WAIT", original)  # type: ignore[attr-defined]

    async def _capped_timer(self) -> tuple[float, float]:
        """
        A timer further away than the (patched) L{MAXIMUM_WAIT}: return
        when it was due and when it ran, by the loop's clock.
        """
        loop = asyncio.get_running_loop()
        fired: asyncio.Future[float] = loop.create_future()
        handle = loop.call_later(0.05, lambda: fired.set_result(loop.time()))
        return handle.when(), await fired

    def _check_capped(self, due: float, ran: float) -> None:
        # No wait longer than MAXIMUM_WAIT (0.01 s, a fifth of the timer's
        # delay): the timer ran after several waits, so the loop asked the
        # reactor again after each capped one; and not before it was due.
        self.assertGreaterEqual(ran, due)  # type: ignore[attr-defined]
        waits = [w for w in self.waits if w is not None]
        self.assertGreater(len(waits), 1, waits)  # type: ignore[attr-defined]
        self.assertLessEqual(max(waits), 0.01, waits)  # type: ignore[attr-defined]

    def test_capped_wait_driving(self) -> None:
        """
        While driving, a timer further away than L{MAXIMUM_WAIT} is waited
        for in waits of L{MAXIMUM_WAIT}, and runs when due.
        """
        self._patch_maximum_wait()
        due, ran = self.loop.run_until_complete(self._capped_timer())
        self._check_capped(due, ran)

    def test_capped_wait_hosted(self) -> None:
        """
        While hosted, the reactor timer for an asyncio timer further away
        than L{MAXIMUM_WAIT} fires after L{MAXIMUM_WAIT}, and is set again
        until the asyncio timer runs, when due.
        """
        self._patch_maximum_wait()
        results: list[asyncio.Task[tuple[float, float]]] = []

        def start() -> None:
            task = self.loop.create_task(self._capped_timer())
            task.add_done_callback(lambda _: self.reactor.stop())
            results.append(task)

        self.reactor.callWhenRunning(start)
        self.reactor.run(installSignalHandlers=False)
        self._check_capped(*results[0].result())

    def test_sleep_forever(self) -> None:
        """
        C{asyncio.sleep(math.inf)} (a "sleep forever" helper) in one task
        while another waits for a thread, under C{asyncio.Runner}.
        """

        async def main() -> str:
            sleeper = asyncio.ensure_future(asyncio.sleep(math.inf))
            try:
                return await self._wait_for_blocked_poll()
            finally:
                sleeper.cancel()

        with asyncio.Runner(
            loop_factory=lambda: TwistedEventLoop(
                reactor_factory=lambda: self._watch(self.reactorFactory()),
                nested_selector=self.nestedSelector,
            )
        ) as runner:
            self.assertEqual(runner.run(main()), "woken")  # type: ignore[attr-defined]
        self._check_waits("sleep_forever")

    def test_ioloop_run_sync(self) -> None:
        """
        Tornado's C{IOLoop.call_later(math.inf, ...)} during C{run_sync}.
        """
        io_loop = TwistedIOLoop(asyncio_loop=self.loop)
        ran: list[str] = []

        async def main() -> str:
            handle = IOLoop.current().call_later(math.inf, ran.append, "ran")
            try:
                return await self._wait_for_blocked_poll()
            finally:
                IOLoop.current().remove_timeout(handle)

        try:
            self.assertEqual(io_loop.run_sync(main), "woken")  # type: ignore[attr-defined]
        finally:
            io_loop.close()
        self.assertEqual(ran, [])  # type: ignore[attr-defined]
        self._check_waits("run_sync")

    def test_short_waits_round_up(self) -> None:
        """
        Sleeps shorter than the reactor's millisecond poll each take a wait
        of at least one millisecond, not a run of zero-timeout polls (stdlib
        asyncio's C{test_timeout_rounding}, which allows 20 iterations for
        these five sleeps).
        """

        async def main() -> None:
            for delay in (1e-2, 1e-4, 1e-6, 1e-8, 1e-10):
                await asyncio.sleep(delay)

        self.loop.run_until_complete(main())
        self.assertLessEqual(len(self.waits), 20, self.waits)  # type: ignore[attr-defined]
        for wait in self.waits:
            if wait:
                self.assertGreaterEqual(wait, 1e-3, self.waits)  # type: ignore[attr-defined]


class WaitRoundingTests(SynchronousTestCase):
    """
    L{txtornado.eventloop._wait_until} rounds waits up to whole milliseconds.
    """

    def test_rounding(self) -> None:
        """
        A fraction of a millisecond counts as a whole one; whole
        milliseconds, 0 and the cap stay as they are.
        """
        from txtornado.eventloop import _wait_until

        now = 1000.0
        self.assertEqual(_wait_until(now + 0.0004, now), 0.001)
        self.assertEqual(_wait_until(now + 0.0101, now), 0.011)
        self.assertEqual(_wait_until(now, now), 0.0)
        self.assertEqual(_wait_until(now - 1, now), 0.0)
        self.assertEqual(_wait_until(math.nan, now), 0.0)
        self.assertEqual(_wait_until(math.inf, now), MAXIMUM_WAIT)


per_reactor(_TimerValueTests, globals(), per_fd=True)
