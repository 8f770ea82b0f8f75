# -*- test-case-name: txtornado.test.test_compat_asyncio -*-
"""
The one place where txtornado touches asyncio names that are not public API.

L{txtornado.eventloop.TwistedEventLoop} is a C{asyncio.SelectorEventLoop}
whose scheduling core is driven by a Twisted reactor.  asyncio has no public
hook for "run one iteration of your ready queue now" or "tell me when your
next timer is due", so a handful of underscore names of
C{asyncio.base_events.BaseEventLoop} are used.  Every one of them is read,
written or called through a function in this module (never elsewhere), so a
Python release that renames one breaks this module only, and
C{txtornado.test.test_compat_asyncio} says which name.

The names, and why each one is needed:

  - C{asyncio.events._get_running_loop} / C{_set_running_loop}: while a
    reactor that hosts the loop runs (C{reactor.run()}), every reactor
    callback must see the loop as the running loop.  (Both are exported by
    C{asyncio} itself for event loop implementers.)
  - C{BaseEventLoop._run_once}: runs due timers and the ready queue once;
    the reactor calls it (the "tick").  The subclass also I{overrides}
    C{_run_once}: C{BaseEventLoop.run_forever} calls it in a loop, and the
    override runs one reactor iteration instead.
  - C{BaseEventLoop._ready} (a deque of handles): is a tick needed again?
    And L{TwistedEventLoop.call_soon}'s fast path appends to it what
    C{BaseEventLoop.call_soon} (through C{_call_soon}) appends on an open
    loop outside debug mode: C{Handle(callback, args, loop, context)}.
    C{test_compat_asyncio} checks that this is still what C{call_soon}
    does.
  - C{BaseEventLoop._scheduled} (a heap of C{TimerHandle}): when is the
    earliest timer due?
  - C{BaseEventLoop._stopping}: was C{stop()} called during this iteration?
  - C{BaseEventLoop._thread_id}, C{_asyncgen_firstiter_hook},
    C{_asyncgen_finalizer_hook}, C{_set_coroutine_origin_tracking}: the
    state C{run_forever} sets up, repeated while C{reactor.run()} hosts the
    loop so that C{is_running()}, debug thread checks and async generator
    finalisation behave as in C{run_forever}.
  - C{BaseSelectorEventLoop._write_to_self}: overridden; it is the wake-up
    that C{call_soon_threadsafe} uses, and the override wakes the reactor
    with C{reactor.callFromThread} instead of asyncio's self-pipe.
  - C{BaseEventLoop._check_closed}: raise asyncio's own "Event loop is
    closed" error.
  - C{Future._source_traceback} and C{Handle._source_traceback} (debug
    mode): where a task or a handle was made.  asyncio's own methods drop
    their frames from it so that it ends at the caller;
    C{TwistedEventLoop.create_task}, C{call_soon} and C{call_at} and the
    task factory of C{enable_deferred_await}, which wrap asyncio's, drop
    theirs the same way (L{drop_creation_frame}).
  - The C{data} of the selector keys of C{BaseSelectorEventLoop} (a
    C{(reader, writer)} pair of C{Handle}s or C{None}, set by C{_add_reader}
    and C{_add_writer}) and C{Handle._run}: when the reactor reports a file
    descriptor ready while nothing else is queued, the loop runs its
    reader's or writer's handle at once, exactly as C{_run_once} would
    after C{select()} returned it (C{_process_events} then C{handle._run()}),
    instead of waiting for a separate tick.
  - C{Future._asyncio_future_blocking}: C{Future.__await__} (and
    C{__iter__}) sets it to C{True} right before yielding the future to
    whatever runs the coroutine, and asyncio's C{Task} sets it back to
    C{False} when it takes the future over.  Twisted's coroutine runner
    (see C{txtornado._compat.twisted.install_future_await}) reads it to
    tell a future a coroutine awaits from one an C{inlineCallbacks}
    generator yields as a plain value, and resets it as C{Task} does.
"""

from __future__ import annotations

import asyncio
import collections
import operator
import selectors
import sys
import threading
from asyncio import base_events, events, selector_events
from collections.abc import Callable
from typing import Any, NamedTuple

__all__ = [
    "OVERRIDDEN_METHODS",
    "USED_ATTRIBUTES",
    "USED_HANDLE_METHODS",
    "USED_METHODS",
    "RunState",
    "SelectorLoopHooks",
    "check_closed",
    "drop_creation_frame",
    "earliest_timer",
    "enter_run",
    "exit_run",
    "get_running_loop_or_none",
    "has_ready",
    "io_handle",
    "is_awaited_future",
    "is_stopping",
    "ready_appender",
    "ready_queue",
    "run_asyncio_once",
    "run_handle",
    "self_pipe_reader_fd",
    "take_awaited_future",
]

#: Methods of the asyncio base classes that L{SelectorLoopHooks} overrides.
OVERRIDDEN_METHODS: tuple[tuple[type, str], ...] = (
    (base_events.BaseEventLoop, "_run_once"),
    (selector_events.BaseSelectorEventLoop, "_write_to_self"),
)

#: Instance attributes of C{BaseEventLoop} read or written here.
USED_ATTRIBUTES: tuple[str, ...] = (
    "_ready",
    "_scheduled",
    "_stopping",
    "_thread_id",
    "_debug",
    "_ssock",
)

#: Methods of C{BaseEventLoop} called here.
USED_METHODS: tuple[str, ...] = (
    "_run_once",
    "_check_closed",
    "_set_coroutine_origin_tracking",
    "_asyncgen_firstiter_hook",
    "_asyncgen_finalizer_hook",
)

#: Methods of C{asyncio.Handle} called here.
USED_HANDLE_METHODS: tuple[str, ...] = ("_run",)

_base_run_once: Callable[[Any], None] = base_events.BaseEventLoop._run_once  # type: ignore[attr-defined]
get_running_loop_or_none: Callable[[], asyncio.AbstractEventLoop | None] = (
    events._get_running_loop
)


#: C{run_asyncio_once(loop)} runs asyncio's own C{BaseEventLoop._run_once}
#: on C{loop}: move due timers to the ready queue, poll the selector (which
#: never blocks in txtornado), and run every handle that was ready when it
#: started.  It is that function itself, so that a call (once per asyncio
#: iteration) adds no frame of txtornado's.
run_asyncio_once: Callable[[asyncio.AbstractEventLoop], None] = _base_run_once


def io_handle(key: selectors.SelectorKey, event: int) -> asyncio.Handle | None:
    """
    Return the handle asyncio registered on selector key C{key} for
    C{event} (C{selectors.EVENT_READ} or C{EVENT_WRITE}): the reader or
    writer that C{BaseSelectorEventLoop._process_events} would queue, or
    C{None}.  C{key} must come from a C{BaseSelectorEventLoop}'s selector.
    """
    reader, writer = key.data
    handle: asyncio.Handle | None = reader if event == selectors.EVENT_READ else writer
    return handle


#: C{run_handle(handle)}: run C{handle}'s callback in its context as
#: C{_run_once} does (C{Handle._run} itself, not wrapped: it is called once
#: per I/O event): an C{Exception} (or other C{BaseException} but
#: C{SystemExit} and C{KeyboardInterrupt}) goes to the loop's exception
#: handler; C{SystemExit} and C{KeyboardInterrupt} propagate.
run_handle: Callable[[asyncio.Handle], None] = asyncio.Handle._run


def ready_queue(loop: asyncio.AbstractEventLoop) -> collections.deque[Any]:
    """
    Return C{loop}'s ready queue (C{BaseEventLoop._ready}), the deque of
    handles its next iteration runs, for a fast emptiness test.  asyncio
    creates it once, in C{__init__}, and only mutates it afterwards.
    Read-only: never add to or remove from it (L{ready_appender} is the
    one way to add).
    """
    ready: collections.deque[Any] = loop._ready  # type: ignore[attr-defined]
    return ready


def ready_appender(loop: asyncio.AbstractEventLoop) -> Callable[[asyncio.Handle], None]:
    """
    Return the C{append} of C{loop}'s ready queue (C{BaseEventLoop._ready}):
    what C{BaseEventLoop.call_soon} (through C{_call_soon}) does, on an
    open loop outside debug mode, with the C{Handle(callback, args, loop,
    context)} it makes.  For L{TwistedEventLoop.call_soon}'s fast path
    only, which must append exactly such a handle, and nothing else.
    """
    append: Callable[[asyncio.Handle], None] = loop._ready.append  # type: ignore[attr-defined]
    return append


def has_ready(loop: asyncio.AbstractEventLoop) -> bool:
    """
    Return C{True} if C{loop} has handles waiting in its ready queue.
    """
    return bool(loop._ready)  # type: ignore[attr-defined]


def earliest_timer(loop: asyncio.AbstractEventLoop) -> float | None:
    """
    Return the C{loop.time()} at which C{loop}'s earliest timer is due, or
    C{None} if it has none.  A cancelled timer may be reported; waking up
    for it is harmless.
    """
    scheduled = loop._scheduled  # type: ignore[attr-defined]
    if scheduled:
        return float(scheduled[0].when())
    return None


#: C{is_stopping(loop)} is C{True} if C{loop.stop()} was called and the
#: current C{run_forever} has not yet returned: a C-level read of asyncio's
#: flag, so that a call (once per asyncio iteration of a batch) adds no
#: Python frame.
is_stopping: Callable[[asyncio.AbstractEventLoop], bool] = operator.attrgetter(
    "_stopping"
)


def check_closed(loop: asyncio.AbstractEventLoop) -> None:
    """
    Raise asyncio's C{RuntimeError("Event loop is closed")} if C{loop} is
    closed.
    """
    loop._check_closed()  # type: ignore[attr-defined]


def drop_creation_frame(
    made: asyncio.Future[Any] | asyncio.Handle, through_create_task: bool = False
) -> None:
    """
    In debug mode, drop the last frame (the loop method that made C{made},
    a task or a handle, for its caller) from where C{made} records it was
    created (C{_source_traceback}), as asyncio's own methods do for the
    tasks and handles they make.  With C{through_create_task} (for a task factory),
    also drop the frame before it if that is C{BaseEventLoop.create_task},
    which leaves its own frame in when a task factory makes the task.
    """
    source_traceback = made._source_traceback  # type: ignore[union-attr]
    if source_traceback:
        del source_traceback[-1]
        if (
            through_create_task
            and source_traceback
            and source_traceback[-1].name == "create_task"
            and source_traceback[-1].filename == base_events.__file__
        ):
            del source_traceback[-1]


class RunState(NamedTuple):
    """
    What L{enter_run} replaced and L{exit_run} must put back.
    """

    asyncgen_hooks: Any
    previous_running_loop: asyncio.AbstractEventLoop | None


def enter_run(loop: asyncio.AbstractEventLoop) -> RunState:
    """
    Make C{loop} look running in the calling thread, exactly as
    C{BaseEventLoop.run_forever} does before its first iteration: thread
    id, async generator hooks, coroutine origin tracking in debug mode, and
    the thread's running loop.
    """
    previous = events._get_running_loop()
    hooks = sys.get_asyncgen_hooks()
    loop._set_coroutine_origin_tracking(loop._debug)  # type: ignore[attr-defined]
    loop._thread_id = threading.get_ident()  # type: ignore[attr-defined]
    sys.set_asyncgen_hooks(
        firstiter=loop._asyncgen_firstiter_hook,  # type: ignore[attr-defined]
        finalizer=loop._asyncgen_finalizer_hook,  # type: ignore[attr-defined]
    )
    events._set_running_loop(loop)
    return RunState(hooks, previous)


def exit_run(loop: asyncio.AbstractEventLoop, state: RunState) -> None:
    """
    Undo L{enter_run}, as C{BaseEventLoop.run_forever} does when it returns.
    """
    loop._thread_id = None  # type: ignore[attr-defined]
    if events._get_running_loop() is loop:
        events._set_running_loop(state.previous_running_loop)
    loop._set_coroutine_origin_tracking(False)  # type: ignore[attr-defined]
    sys.set_asyncgen_hooks(*state.asyncgen_hooks)


def self_pipe_reader_fd(loop: asyncio.AbstractEventLoop) -> int:
    """
    The file descriptor of a selector event loop's self-pipe reading end
    (C{BaseSelectorEventLoop._ssock}), which C{__init__} registers for
    reading.
    """
    fd: int = loop._ssock.fileno()  # type: ignore[attr-defined]
    return fd


def is_awaited_future(obj: object) -> bool:
    """
    Return C{True} if C{obj} is an asyncio future (or an object of a
    future-compatible class) that a coroutine's C{await} (or C{yield from})
    has just yielded, asking whatever runs the coroutine to resume it once
    the future is done.
    """
    return asyncio.isfuture(obj) and obj._asyncio_future_blocking is True


def take_awaited_future(future: asyncio.Future[Any]) -> None:
    """
    Take over a future for which L{is_awaited_future} is true, as asyncio's
    C{Task} does: reset the flag the future's C{__await__} set.
    """
    future._asyncio_future_blocking = False


class SelectorLoopHooks(asyncio.SelectorEventLoop):
    """
    C{asyncio.SelectorEventLoop} with the two hooks of its subclass API
    that have underscore names (L{OVERRIDDEN_METHODS}) offered under names
    of their own.

    Subclass contract:

      - L{run_iteration} is one iteration of C{run_forever}, which calls it
        in a loop until C{stop()} (C{BaseEventLoop._run_once}); by default
        asyncio's own (L{run_asyncio_once}).  Called in the loop's thread.
      - L{wake_threadsafe} is called by C{call_soon_threadsafe} after it
        queued a callback, in the calling thread, to wake the loop
        (C{BaseSelectorEventLoop._write_to_self}); by default asyncio's
        self-pipe write.
    """

    def _run_once(self) -> None:
        self.run_iteration()

    def run_iteration(self) -> None:
        """
        Run one iteration of the loop: due timers, ready callbacks and, for
        a selector loop, one poll.
        """
        _base_run_once(self)

    def _write_to_self(self) -> None:
        self.wake_threadsafe()

    def wake_threadsafe(self) -> None:
        """
        Wake the loop from any thread, or from a signal handler, after a
        callback was queued for it.
        """
        super()._write_to_self()  # type: ignore[misc]
