"""
Fail loudly, naming the name, if Python changes an asyncio private name
that L{txtornado._compat.asyncio} relies on.
"""

from __future__ import annotations

import asyncio
import inspect
import selectors
import socket
from asyncio import base_events, events
from typing import Any

from twisted.trial.unittest import SynchronousTestCase

from txtornado._compat import asyncio as private


class AsyncioPrivateNamesTests(SynchronousTestCase):
    """
    Every private asyncio name used by txtornado still exists and has the
    shape txtornado expects.
    """

    def setUp(self) -> None:
        self.loop = asyncio.SelectorEventLoop()
        self.addCleanup(self.loop.close)

    def test_running_loop_functions(self) -> None:
        """
        events._get_running_loop / _set_running_loop exist and round-trip.
        """
        self.assertIsNone(events._get_running_loop())
        events._set_running_loop(self.loop)
        try:
            self.assertIs(asyncio.get_running_loop(), self.loop)
        finally:
            events._set_running_loop(None)

    def test_overridden_methods(self) -> None:
        """
        The methods TwistedEventLoop overrides exist on their classes and
        take no arguments but self.
        """
        for cls, name in private.OVERRIDDEN_METHODS:
            method = getattr(cls, name, None)
            self.assertTrue(callable(method), f"{cls.__name__}.{name} is gone")
            self.assertEqual(list(inspect.signature(method).parameters), ["self"], name)

    def test_base_run_once_is_what_run_forever_calls(self) -> None:
        """
        BaseEventLoop.run_forever drives the loop through self._run_once,
        and checks self._stopping: the override of _run_once depends on it.
        """
        source = inspect.getsource(base_events.BaseEventLoop.run_forever)
        if "_run_forever_setup" in source:  # Python >= 3.13 splits it up
            source += inspect.getsource(base_events.BaseEventLoop._run_forever_setup)  # type: ignore[attr-defined]
        self.assertIn("self._run_once()", source)
        self.assertIn("self._stopping", source)
        self.assertIn("self._thread_id", source)
        self.assertIn("_asyncgen_firstiter_hook", source)

    def test_call_soon_threadsafe_uses_write_to_self(self) -> None:
        """
        call_soon_threadsafe wakes the loop through self._write_to_self().
        """
        source = inspect.getsource(base_events.BaseEventLoop.call_soon_threadsafe)
        self.assertIn("self._write_to_self()", source)

    def test_self_pipe_is_registered_for_reading(self) -> None:
        """
        A selector event loop's __init__ registers its self-pipe's reading
        end (self._ssock) for reading, as self_pipe_reader_fd assumes.
        """
        loop = asyncio.SelectorEventLoop()
        self.addCleanup(loop.close)
        fd = private.self_pipe_reader_fd(loop)
        self.assertEqual(fd, loop._ssock.fileno())  # type: ignore[attr-defined]
        key = loop._selector.get_key(fd)  # type: ignore[attr-defined]
        self.assertEqual(key.events, selectors.EVENT_READ)

    def test_call_soon_appends_a_handle(self) -> None:
        """
        BaseEventLoop.call_soon, on an open loop outside debug mode, only
        appends Handle(callback, args, loop, context) to _ready, as
        TwistedEventLoop.call_soon's fast path assumes.
        """
        source = inspect.getsource(base_events.BaseEventLoop.call_soon)
        self.assertIn("self._call_soon(callback, args, context)", source)
        inner = inspect.getsource(base_events.BaseEventLoop._call_soon)  # type: ignore[attr-defined]
        self.assertIn("events.Handle(callback, args, self, context)", inner)
        self.assertIn("self._ready.append(handle)", inner)
        loop = asyncio.SelectorEventLoop()
        self.addCleanup(loop.close)
        handle = loop.call_soon(print, 1, context=None)
        self.assertEqual(list(private.ready_queue(loop)), [handle])
        self.assertIs(type(handle), asyncio.Handle)
        appended = asyncio.Handle(print, (2,), loop, None)
        private.ready_appender(loop)(appended)
        self.assertEqual(list(private.ready_queue(loop)), [handle, appended])

    def test_used_attributes(self) -> None:
        """
        The instance attributes read or written exist with the expected
        types.
        """
        for name in private.USED_ATTRIBUTES:
            self.assertTrue(hasattr(self.loop, name), f"BaseEventLoop.{name} is gone")
        self.assertIsInstance(self.loop._ready, __import__("collections").deque)  # type: ignore[attr-defined]
        self.assertIsInstance(self.loop._scheduled, list)  # type: ignore[attr-defined]
        self.assertIs(self.loop._stopping, False)  # type: ignore[attr-defined]
        for name in private.USED_METHODS:
            self.assertTrue(callable(getattr(self.loop, name, None)), f"{name} is gone")

    def test_source_traceback(self) -> None:
        """
        In debug mode a handle's C{_source_traceback} is a list of frames
        ending at the caller of C{call_soon}; L{private.drop_creation_frame}
        removes the last one.  Outside debug mode it is C{None}.
        """
        self.loop.set_debug(True)
        frame = inspect.currentframe()
        assert frame is not None
        handle = self.loop.call_soon(print)
        line = frame.f_lineno - 1
        frames = handle._source_traceback  # type: ignore[attr-defined]
        self.assertIsInstance(frames, list)
        self.assertEqual(frames[-1][:3], (__file__, line, "test_source_traceback"))
        before = list(frames)
        private.drop_creation_frame(handle)
        self.assertEqual(handle._source_traceback, before[:-1])  # type: ignore[attr-defined]
        self.loop.set_debug(False)
        plain = self.loop.call_soon(print)
        self.assertIsNone(plain._source_traceback)  # type: ignore[attr-defined]
        private.drop_creation_frame(plain)

    def test_helpers_on_a_stdlib_loop(self) -> None:
        """
        The helpers behave on a stdlib loop: ready queue, earliest timer,
        stopping flag, enter_run/exit_run.
        """
        self.assertFalse(private.has_ready(self.loop))
        self.loop.call_soon(lambda: None)
        self.assertTrue(private.has_ready(self.loop))
        self.assertIsNone(private.earliest_timer(self.loop))
        timer = self.loop.call_later(10, lambda: None)
        self.assertEqual(private.earliest_timer(self.loop), timer.when())
        self.loop.stop()
        self.assertTrue(private.is_stopping(self.loop))
        private.run_asyncio_once(self.loop)
        self.assertFalse(private.has_ready(self.loop))
        state = private.enter_run(self.loop)
        try:
            self.assertTrue(self.loop.is_running())
            self.assertIs(asyncio.get_running_loop(), self.loop)
        finally:
            private.exit_run(self.loop, state)
        self.assertFalse(self.loop.is_running())
        self.assertIsNone(events._get_running_loop())
        timer.cancel()
        self.loop.close()
        with self.assertRaises(RuntimeError):
            private.check_closed(self.loop)


class AsyncioSelectorDataTests(SynchronousTestCase):
    """
    The shape of asyncio's selector keys and handles that
    L{private.io_handle}, L{private.run_handle} and L{private.ready_queue}
    rely on.
    """

    def test_io_handle_and_run_handle(self) -> None:
        loop = asyncio.SelectorEventLoop()
        self.addCleanup(loop.close)
        a, b = socket.socketpair()
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        calls: list[str] = []
        contexts: list[dict[str, Any]] = []
        loop.set_exception_handler(lambda loop, ctx: contexts.append(ctx))

        def boom() -> None:
            raise ValueError("boom")

        loop.add_reader(a, calls.append, "read")
        loop.add_writer(a, boom)
        key = loop._selector.get_key(a)  # type: ignore[attr-defined]
        reader = private.io_handle(key, selectors.EVENT_READ)
        writer = private.io_handle(key, selectors.EVENT_WRITE)
        self.assertIsInstance(reader, asyncio.Handle)
        self.assertIsInstance(writer, asyncio.Handle)
        assert reader is not None and writer is not None
        private.run_handle(reader)
        private.run_handle(writer)
        self.assertEqual(calls, ["read"])
        self.assertEqual(len(contexts), 1)
        self.assertIsInstance(contexts[0]["exception"], ValueError)
        loop.remove_writer(a)
        key = loop._selector.get_key(a)  # type: ignore[attr-defined]
        self.assertIsNone(private.io_handle(key, selectors.EVENT_WRITE))

    def test_ready_queue_is_never_rebound(self) -> None:
        """
        ready_queue returns the deque itself, and BaseEventLoop assigns
        _ready only in __init__.
        """
        loop = asyncio.SelectorEventLoop()
        self.addCleanup(loop.close)
        queue = private.ready_queue(loop)
        self.assertIs(queue, loop._ready)  # type: ignore[attr-defined]
        source = inspect.getsource(base_events)
        self.assertEqual(source.count("self._ready = "), 1)
        self.assertIn(
            "self._ready = ", inspect.getsource(base_events.BaseEventLoop.__init__)
        )

    def test_awaited_future_flag(self) -> None:
        """
        C{Future.__await__} sets C{_asyncio_future_blocking} before it
        yields the future, for the C and the Python implementations alike;
        a future yielded as a plain value, or not a future at all, is not
        an awaited future; L{private.take_awaited_future} resets the flag.
        """
        from asyncio import futures

        loop = asyncio.SelectorEventLoop()
        self.addCleanup(loop.close)
        classes = {futures._PyFuture, asyncio.Future}  # type: ignore[attr-defined]
        for cls in classes:
            future = cls(loop=loop)
            self.assertFalse(private.is_awaited_future(future), cls)
            iterator = future.__await__()
            self.assertIs(next(iterator), future)
            self.assertTrue(private.is_awaited_future(future), cls)
            private.take_awaited_future(future)
            self.assertFalse(private.is_awaited_future(future), cls)
            future.set_result(1)
            with self.assertRaises(StopIteration):
                iterator.send(None)
        self.assertFalse(private.is_awaited_future(object()))


class SourceTracebackTests(SynchronousTestCase):
    """
    C{Future._source_traceback}, which L{private.drop_creation_frame} trims:
    in debug mode a task records the frames that created it, the last one
    the function that called C{Task(...)}; C{BaseEventLoop.create_task}
    drops its own frame without a task factory and leaves it with one.
    """

    def setUp(self) -> None:
        self.loop = asyncio.SelectorEventLoop()
        self.addCleanup(self.loop.close)
        self.loop.set_debug(True)

    async def nothing(self) -> None:
        pass

    def last_frames(self, task: asyncio.Task[Any]) -> list[str]:
        self.loop.run_until_complete(task)
        return [f.name for f in task._source_traceback[-2:]]  # type: ignore[attr-defined]

    def test_task_records_its_creator(self) -> None:
        """
        The last frame is the function that called C{Task(...)}; the
        helper drops it.
        """

        def make() -> asyncio.Task[None]:
            return asyncio.Task(self.nothing(), loop=self.loop)

        self.assertEqual(
            self.last_frames(make()), ["test_task_records_its_creator", "make"]
        )
        task = make()
        private.drop_creation_frame(task)
        self.assertEqual(self.last_frames(task)[-1:], ["test_task_records_its_creator"])

    def test_create_task_drops_its_frame(self) -> None:
        """
        Without a task factory, C{create_task}'s own frame is not recorded.
        """
        task = self.loop.create_task(self.nothing())
        self.assertEqual(
            self.last_frames(task)[-1:], ["test_create_task_drops_its_frame"]
        )

    def test_create_task_with_factory_leaves_its_frame(self) -> None:
        """
        With a task factory, C{create_task}'s frame is recorded before the
        factory's; C{through_create_task} drops both.
        """

        def factory(loop: Any, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
            task = asyncio.Task(coro, loop=loop, **kwargs)
            private.drop_creation_frame(task, through_create_task=True)
            return task

        self.loop.set_task_factory(factory)
        task = self.loop.create_task(self.nothing())
        self.assertEqual(
            self.last_frames(task)[-1:],
            ["test_create_task_with_factory_leaves_its_frame"],
        )

        def plain_factory(loop: Any, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
            return asyncio.Task(coro, loop=loop, **kwargs)

        self.loop.set_task_factory(plain_factory)
        task = self.loop.create_task(self.nothing())
        self.assertEqual(self.last_frames(task), ["create_task", "plain_factory"])
