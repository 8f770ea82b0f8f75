# -*- test-case-name: txtornado.test.test_await_deferred,txtornado.test.test_taskfactory_cycles -*-
"""
Bare C{await deferred} in asyncio tasks: the coroutine adapter behind
L{txtornado.futures.enable_deferred_await} and L{TwistedEventLoop}'s
C{create_task}.

C{Deferred.__await__} (C{Deferred.__iter__}) yields the Deferred itself
until it has fired, then returns its current result or raises its failure.
An asyncio task only accepts objects implementing asyncio's future protocol,
so it would fail with "Task got bad yield".  L{DeferredAwaitingCoroutine}
sits between the task and the coroutine it runs: whenever the coroutine
yields a Deferred, the adapter hands the task a future of the task's loop
that completes when the Deferred fires (L{_waiter_for}), and when the task
resumes it, resumes the coroutine so that C{Deferred.__iter__} reads the
outcome.  Everything else the coroutine yields (asyncio futures, C{None})
is passed through untouched.

The adapter cannot be avoided: an asyncio task hands what its coroutine
yields to C code that accepts only objects with asyncio's future protocol
(C{_asyncio_future_blocking}, C{add_done_callback}, a callable C{result}),
and a Deferred yields itself, whose C{result} is an attribute.  The task
that runs it, L{Task}, still shows the caller's coroutine: C{get_coro()}
returns the coroutine given to C{create_task}, not the adapter.

This module depends on asyncio and Twisted only (not Tornado), so that
L{txtornado.eventloop} can use it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Generator
from types import CoroutineType, TracebackType
from typing import Any, TypeVar

from twisted.internet.defer import CancelledError, Deferred
from twisted.python.failure import Failure

from txtornado._compat.asyncio import drop_creation_frame

__all__ = [
    "DeferredAwaitingCoroutine",
    "DeferredFuture",
    "Task",
    "await_deferreds",
    "exception_of",
    "is_deferred_await_factory",
    "make_task_factory",
]

_T = TypeVar("_T")

TaskFactory = Callable[..., "asyncio.Future[Any]"]


class DeferredFuture(asyncio.Future[_T]):
    """
    A future tied to a Deferred: cancelling it cancels the Deferred
    synchronously, as cancelling a Deferred does, rather than on a later
    loop iteration through a done callback.
    """

    def __init__(
        self, deferred: Deferred[Any], *, loop: asyncio.AbstractEventLoop
    ) -> None:
        super().__init__(loop=loop)
        self._deferred: Deferred[Any] | None = deferred

    def cancel(self, msg: Any = None) -> bool:
        if not super().cancel(msg):
            return False
        deferred, self._deferred = self._deferred, None
        if deferred is not None:
            deferred.cancel()
        return True

    def deferred_done(self) -> None:
        """
        The Deferred has fired: cancelling the future no longer cancels it.
        """
        self._deferred = None


def exception_of(failure: Failure) -> BaseException:
    """
    The exception in C{failure}, carrying the failure's traceback.  A
    C{StopIteration} becomes a C{RuntimeError} caused by it: asyncio
    refuses it as a future's exception, and raised in a coroutine it would
    end the coroutine instead.
    """
    exception: BaseException = failure.value or RuntimeError(repr(failure))
    tb = failure.getTracebackObject()
    if exception.__traceback__ is None and isinstance(tb, TracebackType):
        exception = exception.with_traceback(tb)
    if isinstance(exception, StopIteration):
        error = RuntimeError(f"Deferred failed with {exception!r}")
        error.__cause__ = exception
        return error
    return exception


def _waiter_for(
    deferred: Deferred[Any], loop: asyncio.AbstractEventLoop
) -> DeferredFuture[Failure | None]:
    """
    Return a future on C{loop} that completes when C{deferred} fires, for a
    task to wait on instead of the Deferred.

      - A success result stays in C{deferred}, where the awaiting
        C{Deferred.__iter__} reads it; the future's result is C{None}.
      - A failure other than Twisted's C{CancelledError} is consumed (so
        Twisted does not report it) and becomes the future's result, for
        L{DeferredAwaitingCoroutine} to raise in the coroutine.
      - Twisted's C{CancelledError} cancels the future: the task throws
        asyncio's C{CancelledError} into the coroutine, as for
        C{future_from_deferred}.
      - Cancelling the future (C{Task.cancel}) cancels C{deferred} at once;
        its C{CancelledError} is consumed, any other failure is left in it
        for Twisted to report.
    """
    waiter: DeferredFuture[Failure | None] = DeferredFuture(deferred, loop=loop)

    def fired(result: object) -> object:
        waiter.deferred_done()
        if waiter.cancelled():
            if isinstance(result, Failure) and not result.check(CancelledError):
                return result
            return None
        if isinstance(result, Failure):
            if result.check(CancelledError):
                waiter.cancel(str(result.value) or None)
            else:
                waiter.set_result(result)
            return None
        waiter.set_result(None)
        return result

    deferred.addBoth(fired)
    return waiter


#: Types of objects coroutines yield to tasks that are known not to be
#: Deferreds (asyncio's futures and tasks, C{None} for a bare yield, and
#: whatever else was seen), so the common case costs a set lookup rather than
#: an C{isinstance} against C{Deferred}, an ABC.  Bounded, for programs that
#: make classes at run time.
_NOT_DEFERRED: set[type] = {type(None), asyncio.Future, asyncio.Task}
_NOT_DEFERRED_MAX = 256


class DeferredAwaitingCoroutine(Coroutine[Any, Any, _T]):
    """
    The coroutine an asyncio task runs in place of C{coro}, so that C{coro}
    can C{await} Deferreds.

    It implements the coroutine protocol (C{send}, C{throw}, C{close},
    C{__await__}; C{__next__} is what the task calls for C{send(None)}) by
    delegating to C{coro}.  When C{coro} yields a L{Deferred}, the adapter
    yields a L{DeferredFuture} on C{loop} instead (see L{_waiter_for});
    when the task resumes it, the adapter resumes C{coro}: with C{None},
    so that C{Deferred.__iter__} returns the Deferred's result, or by
    throwing the Deferred's failure's exception (with its traceback).
    Whatever the task throws (C{CancelledError}) goes straight to C{coro}.
    Other attributes (C{__name__}, C{__qualname__}, C{cr_frame},
    C{cr_code}, C{cr_await}, ...) are C{coro}'s, so the task's C{repr} and
    stack are C{coro}'s.
    """

    __slots__ = ("_coro", "_loop", "_send", "_waiter")

    def __init__(
        self, coro: Coroutine[Any, Any, _T], loop: asyncio.AbstractEventLoop
    ) -> None:
        self._coro = coro
        self._send = coro.send
        self._loop = loop
        self._waiter: DeferredFuture[Failure | None] | None = None

    @property
    def wrapped(self) -> Coroutine[Any, Any, _T]:
        """
        The coroutine this adapter runs.
        """
        return self._coro

    def __getattr__(self, name: str) -> Any:
        if name in self.__slots__:
            raise AttributeError(name)
        return getattr(self._coro, name)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._coro!r}>"

    def _resume(self) -> Any:
        waiter, self._waiter = self._waiter, None
        assert waiter is not None
        failure = waiter.result()
        if failure is None:
            return self._send(None)
        return self._coro.throw(exception_of(failure))

    def _yielded(self, yielded: Any) -> Any:
        """
        What to yield to the task for C{yielded}, an object the coroutine
        yielded whose type is not in L{_NOT_DEFERRED}.
        """
        if isinstance(yielded, Deferred):
            waiter = self._waiter = _waiter_for(yielded, self._loop)
            # Let the future say "a task waits for me" the way awaiting it
            # does: it marks itself as blocking, then yields itself.
            return next(iter(waiter))
        if len(_NOT_DEFERRED) < _NOT_DEFERRED_MAX:
            _NOT_DEFERRED.add(type(yielded))
        return yielded

    # The task calls __next__ for send(None), once per step of every task:
    # it is the hot path, kept to a slot test, a call and a set lookup.

    def __next__(self) -> Any:
        if self._waiter is None:
            yielded = self._send(None)
        else:
            yielded = self._resume()
        if type(yielded) in _NOT_DEFERRED:
            return yielded
        return self._yielded(yielded)

    def send(self, value: Any) -> Any:
        if self._waiter is None:
            yielded = self._send(value)
        else:
            yielded = self._resume()
        if type(yielded) in _NOT_DEFERRED:
            return yielded
        return self._yielded(yielded)

    def throw(
        self,
        typ: Any,
        val: Any = None,
        tb: TracebackType | None = None,
        /,
    ) -> Any:
        # Whatever the Deferred gave is dropped, as asyncio drops a future's
        # outcome when a task is cancelled after the future completed.
        self._waiter = None
        try:
            if val is None and tb is None:
                yielded = self._coro.throw(typ)
            else:
                yielded = self._coro.throw(typ, val, tb)
        finally:
            # If it raises, the traceback keeps this frame, whose locals
            # would keep the exception: a cycle only the garbage collector
            # frees (with all that the coroutine's frames hold), where a task
            # running its coroutine directly leaves none.
            typ = val = tb = None
        if type(yielded) in _NOT_DEFERRED:
            return yielded
        return self._yielded(yielded)

    def close(self) -> None:
        self._waiter = None
        self._coro.close()

    def __await__(self) -> Generator[Any, None, _T]:
        return self

    def __iter__(self) -> DeferredAwaitingCoroutine[_T]:
        return self


class Task(asyncio.Task[_T]):
    """
    An C{asyncio.Task} whose coroutine may await Deferreds: it runs a
    L{DeferredAwaitingCoroutine} around the coroutine it was given, and
    C{get_coro()} returns that coroutine (the one passed to C{create_task}),
    as for any asyncio task.  Everything else is C{asyncio.Task}'s own
    (the C implementation); the name is C{Task} so that its C{repr} reads
    as asyncio's (C{<Task pending name=... coro=<...>>}).  Create it with
    the adapter: C{Task(await_deferreds(coro, loop), loop=loop, ...)}.
    """

    def get_coro(self) -> Any:
        """
        The coroutine the task was created for: the adapter's
        C{wrapped} coroutine.
        """
        coro = super().get_coro()
        if type(coro) is DeferredAwaitingCoroutine:
            return coro.wrapped
        return coro


def await_deferreds(coro: Any, loop: asyncio.AbstractEventLoop) -> Any:
    """
    Return C{coro} wrapped in a L{DeferredAwaitingCoroutine} for a task on
    C{loop}, unless it already is one.  What is not a coroutine is returned
    as it is, for the task to reject.
    """
    if type(coro) is not CoroutineType and (
        type(coro) is DeferredAwaitingCoroutine or not asyncio.iscoroutine(coro)
    ):
        return coro
    return DeferredAwaitingCoroutine(coro, loop)


def make_task_factory(previous: TaskFactory | None) -> TaskFactory:
    """
    Return a task factory (for C{loop.set_task_factory}) that wraps the
    coroutine with L{await_deferreds}, then makes the task with
    C{previous} (which receives the adapter), or as a L{Task} if
    C{previous} is C{None}.  Keyword arguments (C{name}, C{context}, ...)
    are passed on.
    """
    if previous is None:

        def factory(
            loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any
        ) -> asyncio.Future[Any]:
            task = Task(await_deferreds(coro, loop), loop=loop, **kwargs)
            drop_creation_frame(task, through_create_task=True)
            return task

    else:
        wrapped_factory = previous

        def factory(
            loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any
        ) -> asyncio.Future[Any]:
            return wrapped_factory(loop, await_deferreds(coro, loop), **kwargs)

    factory.txtornado_awaits_deferreds = True  # type: ignore[attr-defined]
    return factory


def is_deferred_await_factory(factory: object) -> bool:
    """
    Return C{True} if C{factory} was made by L{make_task_factory}.
    """
    return getattr(factory, "txtornado_awaits_deferreds", False) is True
