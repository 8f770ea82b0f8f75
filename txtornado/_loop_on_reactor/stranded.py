# -*- test-case-name: txtornado.test.test_stranded -*-
"""
A warning for Tornado work that no loop will run: the reactor starts while
an IOLoop runs on a plain asyncio loop that nothing runs.

In Tornado 6, C{IOLoop.current()} wraps asyncio's current event loop, so
C{IOLoop.configure(TwistedIOLoop)} changes what C{IOLoop()} makes but not
what C{IOLoop.current()} returns: a program that configures TwistedIOLoop
and then uses C{IOLoop.current()} (directly, or through
C{AsyncHTTPClient()}, C{Application.listen()}, ...) puts its work on a
stdlib C{AsyncIOMainLoop} that C{reactor.run()} never runs, and hangs
without a word.  L{watch_reactor_start} makes the reactor check for that
once it runs (L{warn_if_stranded}).
"""

from __future__ import annotations

import asyncio
import sys
import warnings
from typing import Any

from tornado.ioloop import IOLoop

from txtornado._compat import asyncio as _private
from txtornado._compat import tornado as _tornado_private

__all__ = ["StrandedIOLoopWarning", "warn_if_stranded", "watch_reactor_start"]


class StrandedIOLoopWarning(RuntimeWarning):
    """
    The reactor runs, and an IOLoop has work waiting on an asyncio
    loop that nothing runs.
    """


def pending_work(io_loop: IOLoop) -> int | None:
    """
    How many file descriptor handlers, ready callbacks and timers (at least
    one for any number of timers) C{io_loop} has waiting, or C{None} if its
    asyncio loop is not a stdlib C{BaseEventLoop} (whose queues cannot be
    inspected).

    The handlers are the C{handlers} dict of Tornado's C{BaseAsyncIOLoop}
    (C{add_handler}'s registrations, e.g. C{Application.listen()}'s
    listening sockets); the queues are asyncio's, read through
    L{txtornado._compat.asyncio}.
    """
    loop = getattr(io_loop, "asyncio_loop", None)
    if not isinstance(loop, asyncio.BaseEventLoop):
        return None
    handlers = len(getattr(io_loop, "handlers", ()))
    ready = len(_private.ready_queue(loop))
    timers = 0 if _private.earliest_timer(loop) is None else 1
    return handlers + ready + timers


def warn_if_stranded() -> None:
    """
    Warn (L{StrandedIOLoopWarning}) for each IOLoop that runs on an asyncio
    loop that is neither running, nor closed, nor a
    L{txtornado.eventloop.TwistedEventLoop}, and has work waiting: a
    reactor that runs now will not run that work.  Called in the reactor's
    thread once it runs; it makes no IOLoop and no asyncio loop (it reads
    Tornado's registry of IOLoops, not C{IOLoop.current()}).
    """
    from txtornado.eventloop import TwistedEventLoop

    for loop, io_loop in _tornado_private.ioloops_by_asyncio_loop().items():
        if isinstance(loop, TwistedEventLoop) or loop.is_running() or loop.is_closed():
            continue
        if not pending_work(io_loop):
            continue
        warnings.warn(
            f"the reactor is running, but the IOLoop {io_loop!r} runs on"
            f" {loop!r}, which nothing runs, and has work waiting (handlers,"
            " callbacks or timers) that will never run.  In Tornado 6"
            " IOLoop.configure(TwistedIOLoop) changes what IOLoop() makes, not"
            " IOLoop.current(), which wraps asyncio's current event loop: before"
            " using Tornado, call txtornado.TwistedIOLoop().install(), or set"
            " asyncio.set_event_loop_policy(txtornado.TwistedEventLoopPolicy()).",
            StrandedIOLoopWarning,
            stacklevel=1,
        )


def watch_reactor_start() -> None:
    """
    If the global reactor is installed, make it call L{warn_if_stranded}
    once it runs (C{callWhenRunning}); otherwise do nothing, and install no
    reactor.
    """
    reactor: Any = sys.modules.get("twisted.internet.reactor")
    if reactor is not None:
        reactor.callWhenRunning(warn_if_stranded)
