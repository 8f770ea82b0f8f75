# -*- test-case-name: txtornado.test.test_reactor -*-
"""
The one place where a L{TornadoReactor<txtornado.reactor.TornadoReactor>}
talks to the asyncio loop under its Tornado IOLoop.

Tornado 6 IOLoops are all built on an asyncio event loop, published as the
IOLoop's C{asyncio_loop} attribute.  The reactor hands its file descriptors,
its single timer and its thread wake-ups straight to that loop, rather than
through C{IOLoop.add_handler}/C{call_later}/C{add_callback}, which add a
dispatch layer and a C{functools.partial} per event.
"""

from __future__ import annotations

import asyncio

from tornado.ioloop import IOLoop


class LoopDriver:
    """
    The reactor's view of the asyncio loop under a Tornado IOLoop.

    Everything the reactor asks of the loop goes through here: registering
    descriptors, the one timer for the earliest Twisted timed call, thread
    wake-ups, running and stopping.  All methods but L{callSoonThreadsafe}
    must be called in the loop's thread.

    @ivar ioLoop: The Tornado IOLoop.
    @ivar loop: Its asyncio loop (C{ioLoop.asyncio_loop}).
    @ivar callSoon: The loop's C{call_soon}.
    @ivar callSoonThreadsafe: The loop's C{call_soon_threadsafe}; any thread.
    @ivar callLater: The loop's C{call_later}.
    @ivar time: The loop's C{time}.
    @ivar addReader: The loop's C{add_reader}.
    @ivar addWriter: The loop's C{add_writer}.
    @ivar removeReader: The loop's C{remove_reader}.
    @ivar removeWriter: The loop's C{remove_writer}.
    """

    def __init__(self, ioLoop: IOLoop) -> None:
        self.ioLoop = ioLoop
        self.loop: asyncio.AbstractEventLoop = ioLoop.asyncio_loop  # type: ignore[attr-defined]
        self.callSoon = self.loop.call_soon
        self.callSoonThreadsafe = self.loop.call_soon_threadsafe
        self.callLater = self.loop.call_later
        self.time = self.loop.time
        self.addReader = self.loop.add_reader
        self.addWriter = self.loop.add_writer
        self.removeReader = self.loop.remove_reader
        self.removeWriter = self.loop.remove_writer

    def isRunning(self) -> bool:
        return self.loop.is_running()

    def isClosed(self) -> bool:
        return self.loop.is_closed()

    def run(self) -> None:
        """
        Run the IOLoop until it is stopped.
        """
        self.ioLoop.start()

    def stop(self) -> None:
        self.ioLoop.stop()

    def forgetDescriptor(self, fd: int) -> None:
        """
        Undo a registration the loop refused half way.

        asyncio's selector event loops record an fd in their selector
        before asking the kernel, and do not forget it when the kernel
        refuses (epoll refuses regular files with EPERM).  The public
        C{remove_reader}/C{remove_writer} clean that record up.
        """
        for remove in (self.loop.remove_reader, self.loop.remove_writer):
            try:
                remove(fd)
            except (OSError, ValueError):
                pass
