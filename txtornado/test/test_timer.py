"""
Tests for L{txtornado._reactor_on_loop.timer}.
"""

from __future__ import annotations

from typing import Any

from twisted.trial.unittest import SynchronousTestCase

from txtornado._reactor_on_loop.timer import NO_TIMER, LoopTimer


class FakeHandle:
    def __init__(self, delay: float, callback: Any) -> None:
        self.delay = delay
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class LoopTimerTests(SynchronousTestCase):
    """
    L{LoopTimer} keeps one loop timer that only moves sooner.
    """

    def setUp(self) -> None:
        self.handles: list[FakeHandle] = []
        self.fired: list[str] = []
        self.timer = LoopTimer(
            self.callLater, self.callSoon, lambda: self.fired.append("due")
        )

    def callLater(self, delay: float, callback: Any) -> Any:
        handle = FakeHandle(delay, callback)
        self.handles.append(handle)
        return handle

    def callSoon(self, callback: Any) -> Any:
        """
        A ready callback, recorded as a handle with no delay (C{None}).
        """
        handle = FakeHandle(None, callback)  # type: ignore[arg-type]
        self.handles.append(handle)
        return handle

    def test_scheduleSoonerOnly(self) -> None:
        """
        A first C{schedule} arms a loop timer; a later one does nothing; a
        sooner one cancels the armed timer and arms a new one.
        """
        self.assertEqual(self.timer.due, NO_TIMER)
        self.timer.schedule(10.0)
        self.assertEqual([h.delay for h in self.handles], [10.0])
        self.timer.schedule(20.0)
        self.assertEqual(len(self.handles), 1)
        self.timer.schedule(1.0)
        self.assertEqual([h.delay for h in self.handles], [10.0, 1.0])
        self.assertTrue(self.handles[0].cancelled)
        self.assertFalse(self.handles[1].cancelled)

    def test_fireDisarms(self) -> None:
        """
        The loop firing the timer disarms it before calling C{onDue}, so
        that C{onDue} can arm it again for any delay.
        """
        dues: list[float] = []
        timer = LoopTimer(self.callLater, self.callSoon, lambda: dues.append(timer.due))
        timer.schedule(1.0)
        self.handles[0].callback()
        self.assertEqual(dues, [NO_TIMER])
        timer.schedule(5.0)
        self.assertEqual(len(self.handles), 2)

    def test_fireIfDue(self) -> None:
        """
        C{fireIfDue} fires (cancelling the loop's timer) only an armed timer
        that is due.
        """
        self.timer.fireIfDue()
        self.timer.schedule(3600.0)
        self.timer.fireIfDue()
        self.assertEqual(self.fired, [])
        self.timer.schedule(0.0)
        self.timer.fireIfDue()
        self.assertEqual(self.fired, ["due"])
        self.assertTrue(self.handles[-1].cancelled)
        self.assertEqual(self.timer.due, NO_TIMER)

    def test_dueAtOnceIsReadyCallback(self) -> None:
        """
        A timer due at once (delay 0 or less) is armed as a ready callback,
        not as a loop timer; firing it disarms it like a timer's, and a
        sooner C{schedule} replaces an armed loop timer with one.
        """
        self.timer.schedule(5.0)
        self.timer.schedule(0.0)
        self.assertEqual([h.delay for h in self.handles], [5.0, None])
        self.assertTrue(self.handles[0].cancelled)
        self.handles[1].callback()
        self.assertEqual((self.fired, self.timer.due), (["due"], NO_TIMER))
        self.timer.schedule(-1.0)
        self.assertEqual(self.handles[-1].delay, None)
