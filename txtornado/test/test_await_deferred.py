"""
Tests for a bare C{await deferred} in asyncio tasks (L{txtornado.futures},
L{txtornado._taskfactory}), on a L{TornadoReactor} and on a L{TwistedIOLoop}
over a new C{EPollReactor}.  Runs under pytest and trial.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import traceback
from collections.abc import Callable
from typing import Any

from tornado import gen
from tornado.ioloop import IOLoop
from twisted.internet import task
from twisted.internet.defer import CancelledError, Deferred, DeferredList, succeed
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase

from txtornado._taskfactory import DeferredAwaitingCoroutine
from txtornado.futures import enable_deferred_await
from txtornado.test._helpers import parametrize
from txtornado.test.test_futures import (
    LOOP_SETUPS,
    Boom,
    ErrorCatcher,
    LoopSetup,
    LoopSetupMixin,
    raiseBoom,
)


class _AwaitDeferredTests:
    """
    A bare C{await deferred} in tasks of C{self.setup}'s loop.
    """

    setup: LoopSetup

    # Provided by SynchronousTestCase.
    assertEqual: Callable[..., None]
    assertIs: Callable[..., None]
    assertIn: Callable[..., None]
    assertTrue: Callable[..., None]
    assertIsInstance: Callable[..., None]
    assertRaises: Callable[..., Any]
    addCleanup: Callable[..., None]

    def later(self, delay: float, value: object) -> Deferred[Any]:
        return task.deferLater(self.setup.reactor, delay, lambda: value)

    def test_result(self) -> None:
        """
        A bare C{await} of a Deferred gives its result: fired later, fired
        already (no suspension), a Deferred subclass, in nested coroutines.
        """

        async def nested() -> Any:
            return await self.later(0.001, "nested")

        async def main() -> list[Any]:
            return [
                await self.later(0, "later"),
                await succeed("fired"),
                await DeferredList([self.later(0, 1)]),
                await nested(),
            ]

        self.assertEqual(
            self.setup.run(main), ["later", "fired", [(True, 1)], "nested"]
        )

    def test_failureRaisedWithTraceback(self) -> None:
        """
        A failure raises its exception at the C{await}, with the traceback
        of the code that raised it; once caught, nobody reports it.
        """
        errors = ErrorCatcher(self, self.setup.loop)  # type: ignore[arg-type]

        async def main() -> list[str]:
            try:
                await self.later(0, None).addCallback(raiseBoom)
            except Boom as e:
                return [f.name for f in traceback.extract_tb(e.__traceback__)]
            return []

        names = self.setup.run(main)
        self.assertIn("main", names)
        self.assertIn("raiseBoom", names)
        errors.collect()
        self.assertEqual((errors.twisted, errors.asyncio), ([], []))

    def test_uncaughtFailureFailsTask(self) -> None:
        """
        An uncaught failure ends the task with its exception.
        """

        async def main() -> None:
            await self.later(0, None).addCallback(raiseBoom)

        self.assertRaises(Boom, self.setup.run, main)

    def test_cancelTaskCancelsDeferred(self) -> None:
        """
        C{Task.cancel()} while awaiting a Deferred cancels the Deferred at
        once (its canceller runs) and raises asyncio's C{CancelledError} in
        the coroutine; the Deferred's C{CancelledError} is not reported.
        """
        errors = ErrorCatcher(self, self.setup.loop)  # type: ignore[arg-type]
        seen: list[str] = []

        async def waiter(deferred: Deferred[Any]) -> None:
            try:
                await deferred
            except asyncio.CancelledError:
                seen.append("asyncio CancelledError")
                raise

        async def main() -> Any:
            deferred: Deferred[Any] = Deferred(lambda d: seen.append("canceller"))
            waiting = asyncio.ensure_future(waiter(deferred))
            await asyncio.sleep(0)
            waiting.cancel()
            seen.append(f"called={deferred.called}")
            try:
                await waiting
            except asyncio.CancelledError:
                return waiting.cancelled()

        self.assertIs(self.setup.run(main), True)
        self.assertEqual(seen, ["canceller", "called=True", "asyncio CancelledError"])
        errors.collect()
        self.assertEqual((errors.twisted, errors.asyncio), ([], []))

    def test_cancelledDeferredCancelsCoroutine(self) -> None:
        """
        A Deferred cancelled by someone else raises asyncio's
        C{CancelledError} in the awaiting coroutine, as
        C{future_from_deferred} does.
        """

        async def main() -> str:
            deferred: Deferred[Any] = Deferred()
            self.setup.reactor.callLater(0, deferred.cancel)
            try:
                await deferred
            except asyncio.CancelledError:
                return "cancelled"
            except CancelledError:
                return "Twisted's CancelledError"
            return "not cancelled"

        self.assertEqual(self.setup.run(main), "cancelled")

    def test_taskContext(self) -> None:
        """
        Across a bare C{await deferred} the coroutine runs as the current
        task, in the task's C{contextvars} context; the task's repr is the
        coroutine's.
        """
        var: contextvars.ContextVar[str] = contextvars.ContextVar("var")

        async def child() -> list[Any]:
            var.set("child")
            me = asyncio.current_task()
            await self.later(0.001, None)
            return [asyncio.current_task() is me, var.get()]

        async def main() -> list[Any]:
            var.set("parent")
            coro = child()
            child_task = asyncio.ensure_future(coro)
            self.assertIn("child()", repr(child_task))
            return [*await child_task, var.get()]

        self.assertEqual(self.setup.run(main), [True, "child", "parent"])

    def test_taskShowsCallersCoroutine(self) -> None:
        """
        A task that can await Deferreds shows the caller's coroutine, as
        any asyncio task does: C{get_coro()} is the coroutine given to
        C{create_task} (a real coroutine), C{repr} reads C{<Task ...>} with
        the coroutine's name, and C{get_stack()} is the coroutine's frames,
        while it waits for a Deferred.
        """
        deferred: Deferred[str] = Deferred()

        async def child() -> str:
            return await deferred

        async def main() -> list[Any]:
            coro = child()
            child_task = asyncio.get_running_loop().create_task(coro)
            await asyncio.sleep(0)
            state = [
                child_task.get_coro() is coro,
                inspect.iscoroutine(child_task.get_coro()),
                repr(child_task).startswith("<Task pending name="),
                "child()" in repr(child_task),
                [f.f_code.co_name for f in child_task.get_stack()],
            ]
            deferred.callback("fired")
            return [*state, await child_task, child_task.get_coro() is coro]

        self.assertEqual(
            self.setup.run(main), [True, True, True, True, ["child"], "fired", True]
        )

    def test_taskSourceTraceback(self) -> None:
        """
        In debug mode a task records its creation where C{create_task} was
        called, as asyncio's own loops do.
        """

        async def child() -> None:
            pass

        async def main() -> tuple[str, str]:
            loop = asyncio.get_running_loop()
            loop.set_debug(True)
            try:
                child_task = loop.create_task(child())
            finally:
                loop.set_debug(False)
            await child_task
            frame = child_task._source_traceback[-1]  # type: ignore[attr-defined]
            return frame.name, frame.line

        self.assertEqual(
            self.setup.run(main), ("main", "child_task = loop.create_task(child())")
        )

    def test_tornadoYieldables(self) -> None:
        """
        Tornado's C{gen.multi}, C{gen.with_timeout} and
        C{IOLoop.add_future} work with Deferreds and with tasks awaiting
        them.
        """

        async def awaiting() -> str:
            return str(await self.later(0, "task"))

        async def main() -> list[Any]:
            added: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            IOLoop.current().add_future(
                asyncio.ensure_future(awaiting()),
                lambda f: added.set_result(f.result()),
            )
            return [
                await gen.multi([self.later(0.001, 1), self.later(0, 2)]),
                await gen.with_timeout(
                    IOLoop.current().time() + 5, self.later(0, "in time")
                ),
                await gen.convert_yielded(awaiting()),
                await added,
            ]

        self.assertEqual(self.setup.run(main), [[1, 2], "in time", "task", "task"])

    def test_userTaskFactoryComposes(self) -> None:
        """
        A task factory set on the loop still makes the tasks (it receives
        the adapter), and Deferreds are still awaitable in them, once
        L{enable_deferred_await} is called after setting it.
        """
        loop = self.setup.loop
        made: list[Any] = []

        def factory(
            loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any
        ) -> asyncio.Future[Any]:
            made.append(coro)
            return asyncio.Task(coro, loop=loop, **kwargs)

        loop.set_task_factory(factory)
        self.addCleanup(loop.set_task_factory, None)
        enable_deferred_await(loop)
        enable_deferred_await(loop)  # idempotent

        async def main() -> Any:
            return await self.later(0, "made")

        self.assertEqual(self.setup.run(main), "made")
        self.assertEqual(len(made), 1)
        self.assertIsInstance(made[0], DeferredAwaitingCoroutine)


parametrize(globals(), (_AwaitDeferredTests, LoopSetupMixin), LOOP_SETUPS)


class StandaloneLoopTests(SynchronousTestCase):
    """
    L{enable_deferred_await} on a plain asyncio loop.
    """

    def setUp(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.addCleanup(self.loop.close)

    def test_withoutIt(self) -> None:
        """
        Without L{enable_deferred_await}, asyncio rejects a Deferred.
        """

        async def main() -> Any:
            deferred: Deferred[str] = Deferred()
            self.loop.call_soon(deferred.callback, "x")
            return await deferred

        with self.assertRaises(RuntimeError) as e:
            self.loop.run_until_complete(main())
        self.assertIn("bad yield", str(e.exception))

    def test_withIt(self) -> None:
        """
        With it, the loop's tasks await Deferreds, and the previous task
        factory (none) stays the one that makes tasks.
        """
        enable_deferred_await(self.loop)

        async def main() -> Any:
            deferred: Deferred[str] = Deferred()
            self.loop.call_soon(deferred.callback, "x")
            failing: Deferred[str] = Deferred()
            self.loop.call_soon(failing.errback, Failure(Boom()))
            try:
                await failing
            except Boom:
                pass
            return await deferred

        coro = main()
        task = self.loop.create_task(coro)
        self.assertIs(task.get_coro(), coro)
        self.assertEqual(self.loop.run_until_complete(task), "x")
