# -*- test-case-name: txtornado.test.test_futures,txtornado.test.test_await_deferred,txtornado.test.test_await_future -*-
"""
Deferreds and Tornado/asyncio futures, in both directions.

Tornado 6 futures I{are} C{asyncio.Future}s, so one bridge serves Tornado
and asyncio code alike:

  - L{future_from_deferred} turns a L{Deferred} into an C{asyncio.Future};
    L{deferred_from_future} turns a future (C{asyncio}, Tornado or
    C{concurrent.futures}), a coroutine or any other Tornado yieldable into
    a L{Deferred}.
  - L{to_asyncio_future} and L{to_tornado_future} are the names Tornado's
    C{tornado.platform.asyncio} used; they accept Deferreds, coroutines and
    anything C{tornado.gen.convert_yielded} accepts.
  - Importing this module registers L{Deferred} with Tornado's documented
    extension point, the C{functools.singledispatch} function
    C{tornado.gen.convert_yielded}, as Tornado 4.5's
    C{tornado.platform.twisted} did: C{yield deferred} works in
    C{@gen.coroutine} functions, and so do C{gen.multi}, C{gen.with_timeout}
    and everything else that converts yielded objects.

How each side waits for the other:

  - In C{@gen.coroutine}: C{yield deferred}.
  - In C{async def} run by Tornado or asyncio (an asyncio task):
    C{await deferred}, on a loop where L{enable_deferred_await} is in
    effect, which is every loop txtornado runs on (see below); anywhere,
    C{await future_from_deferred(deferred)}.
  - In C{async def} run by Twisted (C{ensureDeferred},
    C{Deferred.fromCoroutine}, or a coroutine yielded in
    C{inlineCallbacks}): C{await future}, with any asyncio or Tornado
    future, task or coroutine (C{await AsyncHTTPClient().fetch(url)}), as
    described below; in an C{inlineCallbacks} generator: C{yield from
    future}.  Anywhere: C{await}/C{yield deferred_from_future(x)}, which
    also takes C{concurrent.futures} futures and every Tornado yieldable.

Bare C{await future} in coroutines that Twisted runs: Twisted's runner waits
only for Deferreds (and coroutines), and sends any other value that a
coroutine yields straight back into it; an asyncio future's C{__await__}
yields the future itself, so it would raise C{RuntimeError("await wasn't
used with future")}.  Importing this module (which L{txtornado.reactor}
and L{txtornado.eventloop} do, so every L{TornadoReactor},
L{TwistedEventLoop} and L{TwistedIOLoop} program, and so does the first use
of a bridge name from C{txtornado}) teaches the runner about futures (the
mirror of
L{enable_deferred_await}; Twisted has no public hook, see
C{txtornado._compat.twisted.install_future_await}): a future that a
coroutine awaits is converted with L{deferred_from_future}, and the
coroutine is resumed with its outcome.  So:

  - the coroutine gets the future's result, or its exception raised at the
    C{await}; a cancelled future raises Twisted's C{CancelledError} there
    (and, unless the coroutine catches it, fails its Deferred with it);
  - cancelling the coroutine's Deferred while it awaits a future cancels
    the future at once, and raises Twisted's C{CancelledError} at the
    C{await};
  - it works wherever the future's loop runs in the reactor's thread when
    the coroutine awaits it (the loop of a L{TornadoReactor}, a
    L{TwistedEventLoop} hosted by any reactor, the loop of Twisted's
    C{AsyncioSelectorReactor}), and also before C{reactor.run()} for the
    loop of a L{TornadoReactor} and for a L{TwistedEventLoop}, which will
    run with the reactor: so a coroutine started before C{run()} may
    await futures made inside it (code that decides per call whether it
    may use asyncio, by asking for a running loop, answers "no" before
    C{run()} and "yes" inside it on a L{TornadoReactor});
  - a future whose loop is closed, or not running and not run by a
    reactor (another reactor than L{TornadoReactor}, a plain asyncio loop
    nobody runs), raises C{RuntimeError} at the C{await}, saying what to
    do; one whose loop runs in another thread raises C{RuntimeError} too;
  - the coroutine does not become an asyncio task:
    C{asyncio.current_task()} is C{None} in it, so asyncio APIs that need
    a current task (C{asyncio.timeout}, C{asyncio.TaskGroup}, and
    C{asyncio.wait_for} since Python 3.12) must run in a task of their own:
    C{await deferred_from_future(coroutine)};
  - a future yielded as a plain value in an C{inlineCallbacks} generator
    (C{yield future}, not C{yield from}) is still sent back as it is, as
    Twisted documents for values that are not Deferreds.

Bare C{await deferred} in asyncio tasks: C{Deferred.__await__} yields the
Deferred itself until it fires, and an asyncio task only accepts objects
that implement asyncio's future protocol (otherwise: C{RuntimeError("Task
got bad yield")}).  So, without changing Twisted's C{Deferred}, txtornado
makes the I{task} understand Deferreds: each task's coroutine is wrapped in
a small adapter (a C{collections.abc.Coroutine}) which, when the coroutine
yields a Deferred, gives the task a future that completes when the
Deferred fires, and then resumes the coroutine.  Where it is in effect:

  - L{TwistedEventLoop} (so L{TwistedIOLoop}): always; its C{create_task}
    wraps the coroutine before making the task, so a task factory set with
    C{loop.set_task_factory} still works (and receives the adapter), and
    C{loop.get_task_factory()} is what the user set.
  - The loop of a L{TornadoReactor}'s IOLoop: the reactor calls
    L{enable_deferred_await} on it when it is created, which installs a
    task factory wrapping the one already set, if any.  A task factory set
    on that loop I{later} replaces it: call L{enable_deferred_await} again
    after C{set_task_factory}.
  - Any other asyncio loop: call C{enable_deferred_await(loop)}.
  - Tasks made with C{asyncio.Task(coro)} directly rather than through the
    loop's C{create_task} (which C{asyncio.ensure_future}, C{create_task},
    C{TaskGroup} and Tornado use) are not covered.

What C{await deferred} then does in a task is what C{await
future_from_deferred(deferred)} does, except that a success result is left
in the Deferred (C{Deferred.__iter__} reads it from there when the
coroutine resumes, on a later loop iteration):

  - the coroutine gets the Deferred's result, or the failure's exception,
    with its traceback, raised at the C{await}; the failure counts as
    handled (Twisted does not report it);
  - a Deferred failing with Twisted's C{CancelledError} raises asyncio's
    C{CancelledError} in the coroutine, as a cancelled future does;
  - C{task.cancel()} while the coroutine awaits a Deferred cancels the
    Deferred at once and raises asyncio's C{CancelledError} in the
    coroutine;
  - a Deferred that has already fired gives its outcome without a
    suspension (C{Deferred.__iter__} does not yield);
  - C{asyncio.current_task()}, the task's C{contextvars} context, its name,
    C{repr}, C{get_stack()} and (in debug mode) where it was created are the
    usual ones, and C{task.get_coro()} is the coroutine given to
    C{create_task}: the task is a C{txtornado._taskfactory.Task}, an
    C{asyncio.Task} subclass that only changes C{get_coro()}.  A task made
    by a task factory of your own is that factory's, and its
    C{get_coro()} returns the adapter (its C{wrapped} attribute is the
    coroutine; other attributes, such as C{cr_frame} and C{__qualname__},
    are the coroutine's).  Tracebacks of exceptions leaving the coroutine
    have one more frame, the adapter's.  The adapter itself cannot be
    avoided: a task passes what its coroutine yields to code that accepts
    only asyncio's future protocol (C{add_done_callback}, a callable
    C{result}, ...), and an unfired Deferred yields itself.

The adapter costs one Python-level call per task step (each time the task
resumes the coroutine), whether or not Deferreds are awaited; see
L{enable_deferred_await}.

The conversions differ from Twisted's own C{Deferred.asFuture} and
C{Deferred.fromFuture} in these ways, each tested:

  - Cancellation goes both ways, at once, with each side's own exception:
    cancelling the future cancels the Deferred, and a Deferred that fails
    with Twisted's C{CancelledError} I{cancels} the future (asyncio's
    C{CancelledError}); cancelling the Deferred cancels the future, and a
    cancelled future fails the Deferred with Twisted's C{CancelledError}
    (Twisted's bridge uses asyncio's; twisted#9679), also when the Deferred
    is cancelled before the task it wraps has started (twisted#12470).
  - What has already happened converts synchronously: a fired Deferred
    gives a done future, a done future gives a fired Deferred
    (twisted#9273).
  - An exception keeps its traceback, and one nobody handles is reported
    once, by the side that holds it last: asyncio's exception handler
    ("exception was never retrieved") for a future, Twisted's log
    ("Unhandled error in Deferred") for a Deferred.

Thread rules: Deferreds, asyncio futures and Tornado futures all belong to
one thread, the thread running the loop (in txtornado, the reactor and the
loop share it).  Every function here must be called in that thread, and
raises C{RuntimeError} if the loop it needs is running in another thread.
A C{concurrent.futures.Future} is the thread-safe way in: it may be
completed in any thread, and its outcome reaches the loop through
C{loop.call_soon_threadsafe} (C{asyncio.wrap_future}).  For the other
direction use C{reactor.callFromThread} or C{loop.call_soon_threadsafe}.

Context variables: a coroutine converted here runs in an asyncio task,
which starts with a copy of the caller's C{contextvars} context, as
C{ensureDeferred} does for Twisted coroutines; so values set by the caller
are visible in the callee, and the callee's changes stay in the callee.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import sys
import weakref
from collections.abc import Awaitable
from typing import Any, TypeVar, cast

from tornado import gen
from twisted.internet.defer import CancelledError, Deferred, fail
from twisted.python.failure import Failure

from txtornado._compat import asyncio as _asyncio_private
from txtornado._compat import twisted as _twisted_private
from txtornado._taskfactory import (
    DeferredFuture,
    exception_of,
    is_deferred_await_factory,
    make_task_factory,
)

__all__ = [
    "deferred_from_future",
    "enable_deferred_await",
    "future_from_deferred",
    "to_asyncio_future",
    "to_tornado_future",
]

_T = TypeVar("_T")


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _check_thread(loop: asyncio.AbstractEventLoop) -> None:
    """
    Raise C{RuntimeError} if C{loop} is running, but not in this thread.
    """
    running = _running_loop()
    if running is not loop and loop.is_running():
        raise RuntimeError(
            f"{loop!r} is running in another thread: convert in that thread"
            " (reach it with reactor.callFromThread or"
            " loop.call_soon_threadsafe), or pass a concurrent.futures.Future"
        )


def _loop_for(loop: asyncio.AbstractEventLoop | None) -> asyncio.AbstractEventLoop:
    """
    The loop a conversion made now, in this thread, belongs to: C{loop}, or
    by default the loop running in this thread.
    """
    if loop is None:
        running = _running_loop()
        if running is None:
            raise RuntimeError(
                "no event loop is running in this thread: pass loop=, or"
                " convert in the thread running the reactor and its loop"
            )
        return running
    _check_thread(loop)
    return loop


def future_from_deferred(
    deferred: Deferred[_T], loop: asyncio.AbstractEventLoop | None = None
) -> asyncio.Future[_T]:
    """
    Return an C{asyncio.Future} (which is also a Tornado future) on C{loop}
    that completes as C{deferred} fires.

    Call it in the loop's thread; C{loop} defaults to the loop running in
    this thread (pass it to convert before the loop runs).

      - A result becomes the future's result; a failure its exception, with
        the failure's traceback; a failure with Twisted's C{CancelledError}
        cancels the future instead.
      - If C{deferred} has already fired, the future is done on return.
      - Cancelling the future cancels C{deferred} at once.  Once the future
        is cancelled, C{deferred}'s outcome is discarded, except a failure
        other than C{CancelledError}, which is left in C{deferred} for
        Twisted to report.
      - Like C{Deferred.asFuture}, this consumes C{deferred}'s outcome:
        afterwards it has the result C{None}.  An exception the future's
        users never retrieve is reported by asyncio, not by Twisted.

    @raise RuntimeError: if C{loop} runs in another thread, or no C{loop}
        is given and none runs in this thread.
    """
    future: DeferredFuture[_T] = DeferredFuture(deferred, loop=_loop_for(loop))

    def succeeded(result: _T) -> None:
        future.deferred_done()
        if not future.cancelled():
            future.set_result(result)

    def failed(failure: Failure) -> Failure | None:
        future.deferred_done()
        if future.cancelled():
            return None if failure.check(CancelledError) else failure
        if failure.check(CancelledError):
            future.cancel(str(failure.value) or None)
        else:
            future.set_exception(exception_of(failure))
        return None

    deferred.addCallbacks(succeeded, failed)
    return future


def deferred_from_future(
    awaitable: Any, loop: asyncio.AbstractEventLoop | None = None
) -> Deferred[Any]:
    """
    Return a L{Deferred} that fires with the outcome of C{awaitable}: an
    C{asyncio.Future} or Tornado future, a C{concurrent.futures.Future}, a
    coroutine (run in a new asyncio task, which copies the caller's
    C{contextvars}), or anything else C{tornado.gen.convert_yielded}
    accepts.  A L{Deferred} is returned as it is.

    Call it in the loop's thread.  C{loop} is only needed for coroutines
    and C{concurrent.futures} futures converted while no loop runs in this
    thread; the default is the running loop.

      - A result fires the Deferred; an exception fails it (the traceback
        is kept, and the future's exception counts as retrieved, so only
        Twisted reports it if the Deferred's failure is never handled); a
        cancelled future fails it with Twisted's C{CancelledError}.
      - If the future is already done, the Deferred has fired on return.
      - Cancelling the Deferred cancels the future (for a task, its
        coroutine gets asyncio's C{CancelledError}) and fails the Deferred
        with Twisted's C{CancelledError} at once, even if the task has not
        started yet; the future's later outcome is discarded, except an
        exception other than C{CancelledError}, which asyncio reports.  If
        the future was already done, the Deferred gets its outcome instead.

    @raise RuntimeError: if the future's loop (or C{loop}) runs in another
        thread.
    """
    if isinstance(awaitable, Deferred):
        return awaitable
    future = _to_future(awaitable, loop)
    delivered = False

    def deliver(future: asyncio.Future[Any]) -> None:
        nonlocal delivered
        if delivered:
            return
        delivered = True
        if future.cancelled():
            deferred.errback(Failure(CancelledError("the future was cancelled")))
            return
        exception = future.exception()
        if exception is not None:
            deferred.errback(
                Failure(exception, type(exception), exception.__traceback__)
            )
        else:
            deferred.callback(future.result())

    def cancel(deferred: Deferred[Any]) -> None:
        nonlocal delivered
        if future.done():
            deliver(future)
        else:
            delivered = True
            future.cancel()

    deferred: Deferred[Any] = Deferred(cancel)
    if future.done():
        deliver(future)
    else:
        future.add_done_callback(deliver)
    return deferred


def _to_future(
    yielded: Any, loop: asyncio.AbstractEventLoop | None
) -> asyncio.Future[Any]:
    """
    Convert C{yielded} (see L{to_asyncio_future}) to an C{asyncio.Future} of
    a loop running in this thread (or C{loop}).
    """
    if isinstance(yielded, Deferred):
        return future_from_deferred(yielded, loop)
    if isinstance(yielded, concurrent.futures.Future):
        return asyncio.wrap_future(yielded, loop=_loop_for(loop))
    if asyncio.isfuture(yielded):
        _check_thread(yielded.get_loop())
        return yielded
    if asyncio.iscoroutine(yielded) and (loop is not None or _running_loop() is None):
        # Tornado's convert_yielded needs a running loop; with an explicit
        # loop, make the task there.
        return _loop_for(loop).create_task(yielded)
    _loop_for(loop)
    future = gen.convert_yielded(yielded)
    if isinstance(future, concurrent.futures.Future):
        return asyncio.wrap_future(future)
    return future


def to_asyncio_future(yielded: Any) -> asyncio.Future[Any]:
    """
    Convert a L{Deferred}, a coroutine, a C{concurrent.futures.Future} or
    any Tornado yieldable (futures, lists and dicts of them, awaitables) to
    an C{asyncio.Future} of the loop running in this thread.

    Deferreds convert as with L{future_from_deferred}; coroutines start
    running in a new task.  Call it in the loop's thread.
    """
    return _to_future(yielded, None)


#: Convert a L{Deferred}, an C{asyncio.Future}, a coroutine or any Tornado
#: yieldable to a Tornado future: Tornado futures are C{asyncio.Future}s,
#: so this is L{to_asyncio_future}.
to_tornado_future = to_asyncio_future


def _convert_deferred(deferred: Deferred[Any]) -> Awaitable[Any]:
    return future_from_deferred(deferred)


# convert_yielded is a functools.singledispatch function; Tornado's type
# hints describe the undecorated function.
cast(Any, gen.convert_yielded).register(Deferred, _convert_deferred)


def enable_deferred_await(loop: asyncio.AbstractEventLoop | None = None) -> None:
    """
    Make a bare C{await deferred} work in the coroutines of tasks that
    C{loop} (by default the running loop) creates from now on, as described
    in this module's docstring.

    It installs a task factory on C{loop} that wraps each coroutine in the
    adapter, then makes the task with the task factory C{loop} had (or as
    an C{asyncio.Task} whose C{get_coro()} is the coroutine).  It does nothing if C{loop} already awaits Deferreds:
    a L{TwistedEventLoop}, or a loop this was called on and whose task
    factory was not replaced since.  L{TornadoReactor} calls it on its
    loop; call it again after setting a task factory on that loop.

    Cost: one Python-level call per task step for every task of C{loop};
    each C{await} of an unfired Deferred also creates one future.

    @raise RuntimeError: if no C{loop} is given and none runs in this
        thread.
    """
    if loop is None:
        loop = asyncio.get_running_loop()
    if getattr(loop, "awaits_deferreds", False) is True:
        return
    previous = loop.get_task_factory()
    if is_deferred_await_factory(previous):
        return
    loop.set_task_factory(make_task_factory(previous))


#: Loops of L{TornadoReactor}s: they run when their reactor runs.
_reactor_loops: weakref.WeakSet[asyncio.AbstractEventLoop] = weakref.WeakSet()


def _note_reactor_loop(loop: asyncio.AbstractEventLoop) -> None:
    """
    Record that a L{TornadoReactor} runs C{loop}: a future of C{loop} may
    be awaited in a coroutine Twisted runs before the reactor runs.
    """
    _reactor_loops.add(loop)


def _run_by_reactor(loop: asyncio.AbstractEventLoop) -> bool:
    if loop in _reactor_loops:
        return True
    from txtornado.eventloop import TwistedEventLoop

    return isinstance(loop, TwistedEventLoop)


def _deferred_from_awaited_future(future: asyncio.Future[Any]) -> Deferred[Any]:
    """
    The L{Deferred} Twisted's coroutine runner waits for when a coroutine
    awaits C{future} (see the module docstring): L{deferred_from_future}'s,
    or a failed one saying why the future cannot be awaited there.  Never
    raises.
    """
    _asyncio_private.take_awaited_future(future)
    try:
        loop = future.get_loop()
        if loop.is_closed():
            raise RuntimeError(
                f"{future!r} was awaited in a coroutine run by Twisted, but its"
                f" event loop {loop!r} is closed"
            )
        if not loop.is_running() and not _run_by_reactor(loop):
            reactor = sys.modules.get("twisted.internet.reactor")
            raise RuntimeError(
                f"{future!r} was awaited in a coroutine run by Twisted"
                " (ensureDeferred, Deferred.fromCoroutine, inlineCallbacks),"
                f" but its event loop {loop!r} is not running, and the reactor"
                f" ({reactor!r}) does not run it.  Run Twisted and asyncio on"
                " one loop: install txtornado's TornadoReactor"
                " (txtornado.install(), before twisted.internet.reactor is"
                " imported), or run asyncio and Tornado on this reactor with"
                " txtornado.TwistedEventLoopPolicy or TwistedIOLoop; then make"
                " the future while the reactor runs.  (IOLoop.configure("
                "TwistedIOLoop) alone is not enough: IOLoop.current(), which"
                " AsyncHTTPClient() uses, still wraps asyncio's own loop; call"
                " txtornado.TwistedIOLoop().install() first.)"
            )
        return deferred_from_future(future)
    except BaseException as e:
        return fail(e)


_twisted_private.install_future_await(
    _asyncio_private.is_awaited_future, _deferred_from_awaited_future
)
