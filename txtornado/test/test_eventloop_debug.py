"""
L{txtornado.eventloop.TwistedEventLoop} in asyncio's debug mode, on each
reactor.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

from txtornado import TwistedEventLoop
from txtornado.test._helpers import per_reactor


class _DebugTests:
    """
    Debug mode on a loop on C{reactorFactory}'s reactor.
    """

    reactorFactory: Callable[[], Any]
    nestedSelector: bool = True

    def setUp(self) -> None:
        self.loop = TwistedEventLoop(
            reactor_factory=self.reactorFactory, nested_selector=self.nestedSelector
        )
        self.addCleanup(self.loop.close)  # type: ignore[attr-defined]
        self.loop.set_debug(True)

    def test_source_traceback_ends_at_caller(self) -> None:
        """
        Where a handle was made ends at the code that called C{call_soon},
        C{call_soon_threadsafe}, C{call_later} or C{call_at}, as on stdlib's
        loop, not in the loop's own methods.
        """
        loop = self.loop
        schedulers: list[Callable[[], asyncio.Handle]] = [
            lambda: loop.call_soon(print),
            lambda: loop.call_soon_threadsafe(print),
            lambda: loop.call_later(1, print),
            lambda: loop.call_at(loop.time() + 1, print),
        ]
        for schedule in schedulers:
            handle = schedule()
            frames = handle._source_traceback  # type: ignore[attr-defined]
            code = schedule.__code__
            self.assertEqual(  # type: ignore[attr-defined]
                frames[-1][:3],
                (__file__, code.co_firstlineno, "<lambda>"),
                inspect.getsource(schedule),
            )
            handle.cancel()


per_reactor(_DebugTests, globals())
