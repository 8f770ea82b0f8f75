# -*- test-case-name: txtornado.test.test_sweep,txtornado.test.test_reactor -*-
"""
The lost-descriptor sweep of a L{TornadoReactor<txtornado.reactor.TornadoReactor>}:
epoll forgets a descriptor whose file descriptor was closed behind the
reactor's back without a word, so the reactor checks its registered
descriptors now and then, as the select and poll reactors learn of such a
descriptor from the kernel.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any


class LostDescriptorSweep:
    """
    A timer, armed while the reactor has registered descriptors, that
    disconnects once every descriptor whose C{fileno()} says its file
    descriptor is gone (-1, or raises).

    One timer at a time: L{arm} does nothing while one is armed, and a
    L{sweep} called directly cancels the armed one.  All methods run in the
    loop's thread.

    @ivar _callLater: The loop's C{call_later}.
    @ivar _interval: Returns the seconds between sweeps, read at each
        L{arm} (the reactor's C{lostDescriptorInterval}).
    @ivar _registered: The reactor's reader and writer maps (each keyed by
        descriptor), each with C{True} for readers: the descriptors to check.
    @ivar _disconnect: Disconnects a lost descriptor; called with the
        descriptor and whether it was found among the readers.
    @ivar _handle: The armed timer, or C{None}.
    """

    def __init__(
        self,
        callLater: Callable[..., asyncio.TimerHandle],
        interval: Callable[[], float],
        readers: Mapping[Any, object],
        writers: Mapping[Any, object],
        disconnect: Callable[[Any, bool], None],
    ) -> None:
        self._callLater = callLater
        self._interval = interval
        self._registered: tuple[tuple[Mapping[Any, object], bool], ...] = (
            (readers, True),
            (writers, False),
        )
        self._disconnect = disconnect
        self._handle: asyncio.TimerHandle | None = None

    def arm(self) -> None:
        """
        Make sure a sweep is due within the interval; called when a
        descriptor is registered.
        """
        if self._handle is None:
            self._handle = self._callLater(self._interval(), self.sweep)

    def sweep(self) -> None:
        """
        Disconnect every lost descriptor now, each once (one that an earlier
        one's disconnection removed is not checked), and re-arm while any
        descriptor is registered.
        """
        if self._handle is not None:
            # Called directly rather than by its timer.
            self._handle.cancel()
        self._handle = None
        for selectables, isRead in self._registered:
            for selectable in list(selectables):
                if selectable not in selectables:
                    continue  # disconnected by an earlier one
                try:
                    lost = selectable.fileno() == -1
                except Exception:
                    lost = True
                if lost:
                    self._disconnect(selectable, isRead)
        if any(selectables for selectables, _ in self._registered):
            self.arm()
