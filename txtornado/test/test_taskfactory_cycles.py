"""
The coroutine adapter of L{txtornado._taskfactory} (which every
L{TwistedEventLoop} task runs) leaves no reference cycle behind: what a
finished task's coroutine held is freed as soon as the task is dropped, as
with stdlib asyncio, not when the garbage collector next runs.
"""

from __future__ import annotations

import asyncio
import gc
import weakref
from typing import Any

from twisted.trial.unittest import SynchronousTestCase

from txtornado import TwistedEventLoop


class _Held:
    """
    Something a coroutine holds.
    """


class AdapterCycleTests(SynchronousTestCase):
    """
    With the cyclic garbage collector off, a finished task's coroutine
    state is freed once the task is dropped.
    """

    def setUp(self) -> None:
        from twisted.internet.selectreactor import SelectReactor

        self.loop = TwistedEventLoop(reactor_factory=SelectReactor)
        self.addCleanup(self.loop.close)
        gc.collect()
        gc.disable()
        self.addCleanup(gc.enable)

    def _run_task(self, coro: Any) -> None:
        task = self.loop.create_task(coro)
        self.loop.run_until_complete(asyncio.wait([task]))
        self.assertTrue(task.done())
        # Retrieve the outcome, as an application would.
        task.cancelled() or task.exception()
        del task

    def test_cancelled(self) -> None:
        """
        A task cancelled while it waits (the task throws C{CancelledError}
        through the adapter).
        """
        held = _Held()
        ref = weakref.ref(held)

        async def waits(held: _Held) -> None:
            await asyncio.sleep(3600)

        async def main(held: _Held) -> None:
            task = asyncio.ensure_future(waits(held))
            await asyncio.sleep(0)
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass

        self._run_task(main(held))
        del held
        self.assertIsNone(ref())
