# -*- test-case-name: txtornado.test.test_writesoon,txtornado.test.test_reactor -*-
"""
The write-soon path of a L{TornadoReactor<txtornado.reactor.TornadoReactor>}:
a connected TCP or UNIX transport that asks to write is written to when the
reactor event that asked ends (or, outside one, as the loop's next
callback), and registered with the loop for writability only if that
leaves data unsent.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import Any
from weakref import WeakSet

from twisted.internet.interfaces import IWriteDescriptor
from twisted.internet.tcp import Connection
from twisted.logger import Logger
from twisted.python.log import callWithLogger

#: The fd recorded in the reactor's writer map for a writer that is not
#: registered with the loop (yet): one L{WriteSoon} holds.
UNREGISTERED = -1


class WriteSoon:
    """
    Early writes for connected transports.

    A connected C{twisted.internet.tcp.Connection} (TCP or UNIX) offered by
    the reactor's C{addWriter} is recorded in the reactor's writer map as
    L{UNREGISTERED} and its C{doWrite} runs at the next flush: when the
    reactor event that offered it ends (an I/O event, the timed calls, the
    thread calls: the reactor brackets each with L{holding} and L{release}),
    or, for a writer offered outside any event (by a callback of the loop's
    own), at the next loop callback, one callback for every writer offered
    since the last.  A write therefore reaches the socket after the
    protocol's callback returns, as on every Twisted reactor, but without
    waiting for the loop's next iteration.  A writer still
    recorded as L{UNREGISTERED} after its C{doWrite} (its socket's buffer
    was full) is then registered with the loop, and, as a bulk writer, is
    registered at once whenever it is added from then on.  Such a socket is
    writable nearly always and a transport's C{doWrite} handles C{EAGAIN};
    this saves the loop two registration changes per write.  Other
    descriptors' C{doWrite} may assume writability: they are never offered.

    A writer removed (C{removeWriter} drops it from the map) before the
    callback is skipped by it.  All methods run in the loop's thread.

    @ivar _callSoon: The loop's C{call_soon}.
    @ivar _writers: The reactor's writer map: descriptor to the fd it is
        registered with in the loop, or L{UNREGISTERED}.
    @ivar _doWrite: Runs a writer's C{doWrite} as an I/O event of the
        reactor (disconnecting it if that fails).
    @ivar _register: Registers a writer with the loop for writability.
    @ivar _beforeFlush: Called first by each flush (the reactor fires
        C{run()}'s pending startup there).
    @ivar _pending: The writers offered since the last flush, in order;
        outside an event, the flush is scheduled when it becomes non-empty.
    @ivar holding: Whether a reactor event is running.  The reactor sets it
        when an event starts and it is false, and calls L{release} when
        that event ends; while it is set, offered writers wait for that
        L{release} rather than for a loop callback.
    @ivar _bulkWriters: The transports whose early write once left data
        unsent; weakly held.
    """

    _log = Logger()

    def __init__(
        self,
        callSoon: Callable[[Callable[[], object]], object],
        writers: MutableMapping[Any, int],
        doWrite: Callable[[Any, bool], None],
        register: Callable[[IWriteDescriptor], None],
        beforeFlush: Callable[[], None],
    ) -> None:
        self._callSoon = callSoon
        self._writers = writers
        self._doWrite = doWrite
        self._register = register
        self._beforeFlush = beforeFlush
        self._pending: list[Any] = []
        self.holding = False
        self._bulkWriters: WeakSet[Any] = WeakSet()

    def offer(self, writer: IWriteDescriptor) -> bool:
        """
        Take C{writer} (not yet in the writer map) for an early write if it
        is a connected transport that is no bulk writer, and say whether it
        was taken; the caller registers one that was not.
        """
        if (
            isinstance(writer, Connection)
            and writer.connected
            and writer not in self._bulkWriters
        ):
            self._writers[writer] = UNREGISTERED
            if not self._pending and not self.holding:
                self._callSoon(self._flushSoon)
            self._pending.append(writer)
            return True
        return False

    def release(self) -> None:
        """
        The outermost reactor event, the one that found L{holding} false
        and set it, has ended: write to the writers offered while it held,
        and to the ones those writes offer, then stop holding.
        """
        try:
            while self._pending:
                self._writePending()
        finally:
            self.holding = False

    def _flushSoon(self) -> None:
        """
        The loop callback that writes to the writers offered outside any
        reactor event.
        """
        self._beforeFlush()
        self._writePending()

    def _writePending(self) -> None:
        """
        Run C{doWrite} of each writer offered since the last flush that is
        still recorded as L{UNREGISTERED}; register the ones that still are
        afterwards (they had data left to write).
        """
        writers, self._pending = self._pending, []
        for writer in writers:
            if self._writers.get(writer) != UNREGISTERED:
                continue  # removed (and perhaps added again) since
            callWithLogger(writer, self._doWrite, writer, False)
            if self._writers.get(writer) == UNREGISTERED:
                del self._writers[writer]
                self._bulkWriters.add(writer)
                try:
                    self._register(writer)
                except Exception:
                    self._log.failure("while registering {writer}", writer=writer)
