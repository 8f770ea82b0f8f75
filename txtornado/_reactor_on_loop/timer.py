# -*- test-case-name: txtornado.test.test_timer,txtornado.test.test_reactor -*-
"""
The one loop timer of a L{TornadoReactor<txtornado.reactor.TornadoReactor>}:
Twisted's own heap holds the reactor's timed calls, and the loop holds one
timer, for the earliest of them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

_monotonic = time.monotonic

#: L{LoopTimer.due} when no timer is armed.
NO_TIMER = float("inf")


class LoopTimer:
    """
    A loop timer that calls C{onDue} once it is due, and that only ever
    moves sooner until it fires: L{schedule} for a later time than the
    armed one does nothing.

    A timer due at once (a delay of 0 or less, as C{callLater(0)} asks) is
    armed as a ready callback (C{call_soon}) rather than as a loop timer:
    the loop runs it at its next pass either way, after polling for I/O,
    and a ready callback costs the loop no timer heap.

    Delays, never absolute times, cross between Twisted's clock (wall time)
    and the loop's: the loop is only ever told "in C{delay} seconds", and
    L{due}, kept to compare delays, is on the monotonic clock.  A wall-clock
    jump therefore moves no loop timer.

    All methods run in the loop's thread.

    @ivar due: When the armed timer is due, on the monotonic clock, or
        L{NO_TIMER}.  Read by the reactor's C{callLater} to skip
        L{schedule} for a call that is not the earliest.
    @ivar _callLater: The loop's C{call_later}.
    @ivar _callSoon: The loop's C{call_soon}.
    @ivar _onDue: Called when the timer fires (the reactor runs its due
        timed calls and arms the timer again).
    @ivar _handle: The armed loop timer or ready callback, or C{None}.
    """

    def __init__(
        self,
        callLater: Callable[..., asyncio.TimerHandle],
        callSoon: Callable[..., asyncio.Handle],
        onDue: Callable[[], None],
    ) -> None:
        self._callLater = callLater
        self._callSoon = callSoon
        self._onDue = onDue
        self._handle: asyncio.Handle | None = None
        self.due = NO_TIMER

    def schedule(self, delay: float) -> None:
        """
        Make the loop fire the timer in C{delay} seconds unless it will
        already do so sooner.
        """
        due = _monotonic() + delay
        if self.due <= due:
            return
        if self._handle is not None:
            self._handle.cancel()
        self.due = due
        if delay > 0:
            self._handle = self._callLater(delay, self.fire)
        else:
            self._handle = self._callSoon(self.fire)

    def fire(self) -> None:
        """
        Disarm the timer and call C{onDue}; the loop calls this when the
        timer is due.
        """
        self._handle = None
        self.due = NO_TIMER
        self._onDue()

    def fireIfDue(self) -> None:
        """
        Fire the timer now if it is armed and due, rather than on the loop's
        next pass.
        """
        if self.due <= _monotonic() and self._handle is not None:
            self._handle.cancel()
            self.fire()
