# -*- test-case-name: txtornado.test.test_selector -*-
"""
C{selectors.BaseSelector}s whose file descriptors are watched by a Twisted
reactor.

L{NestedSelector} (the event loop's default on Linux) is a native
C{selectors.EpollSelector} whose own epoll descriptor the reactor watches
as one reader: asyncio's descriptors stay in the kernel's epoll set, its
per-event cost is stdlib asyncio's, and the reactor only says "something
in there is ready".  L{ReactorSelector}, below, is the per-descriptor
alternative, for reactors that cannot poll an epoll descriptor.

asyncio's C{SelectorEventLoop} keeps every reader and writer it knows of
(its own and those of its transports) in a selector, and asks the selector
for ready file descriptors once per iteration; what the event loop needs
beyond C{BaseSelector} is the L{LoopSelector} protocol.  L{ReactorSelector} keeps
the same bookkeeping, but registers each file descriptor on a reactor's
C{IReactorFDSet} through one small L{_FDWatcher} per descriptor.  The
reactor reports readiness by calling C{doRead}/C{doWrite}; the selector
first offers the event to its C{dispatch} callback, which may handle it at
once (the event loop then runs asyncio's reader or writer itself); if not,
it records it and calls its C{wake} callback, and the next C{select()}
returns what was recorded.  C{select()} never blocks: all waiting is done
by the reactor.

Everything here runs in the reactor's thread.
"""

from __future__ import annotations

import errno
import os
import selectors
import time
from collections.abc import Callable, Iterator, Mapping, Sized
from typing import Any, Protocol

from twisted.internet.interfaces import IReadDescriptor, IReadWriteDescriptor
from twisted.python.failure import Failure
from zope.interface import implementer

from txtornado._compat import twisted as _twisted_private

__all__ = ["LoopSelector", "NestedSelector", "ReactorSelector"]

#: At most this many asyncio iterations per tick (L{NestedSelector}).
BATCH_ITERATIONS = 64
#: A tick starts no new asyncio iteration after this many seconds
#: (L{NestedSelector}).
BATCH_SECONDS = 0.002

_FileObj = Any  # int or an object with fileno(), as for selectors
_monotonic = time.monotonic
_READ = selectors.EVENT_READ
_WRITE = selectors.EVENT_WRITE


def _fileobj_to_fd(fileobj: _FileObj) -> int:
    """
    Return the file descriptor of C{fileobj} (an C{int} or an object with a
    C{fileno()} method), validating it as C{selectors} does.
    """
    if isinstance(fileobj, int):
        fd = fileobj
    else:
        try:
            fd = int(fileobj.fileno())
        except (AttributeError, TypeError, ValueError):
            raise ValueError(f"Invalid file object: {fileobj!r}") from None
    if fd < 0:
        raise ValueError(f"Invalid file descriptor: {fd}")
    return fd


def _check_open(fd: int) -> None:
    """
    Raise C{OSError(EBADF)} at once if C{fd} is not an open file descriptor,
    rather than letting the reactor find out later (C{poll} and C{select}
    reactors would accept it and then report it, or fail, on every
    iteration).
    """
    try:
        os.fstat(fd)
    except OSError as e:
        raise OSError(
            e.errno, f"cannot watch file descriptor {fd}: {e.strerror}"
        ) from None


def _do_nothing() -> None:
    pass


def _never_dispatch(key: selectors.SelectorKey, event: int) -> bool:
    return False


class LoopSelector(Protocol):
    """
    What L{txtornado.eventloop.TwistedEventLoop} needs of its selector
    beyond C{selectors.BaseSelector} (what asyncio's C{SelectorEventLoop}
    uses): how this mode's readiness reaches the loop, and how many asyncio
    iterations a tick runs.  Implemented by L{NestedSelector} and
    L{ReactorSelector}; everything is called in the reactor thread.
    """

    def close(self) -> None:
        """
        Remove everything from the reactor.  Idempotent.
        """

    @property
    def has_recorded(self) -> bool:
        """
        Whether readiness was recorded that C{select()} has not returned
        (a tick is needed to return it).
        """

    @property
    def needs_rearm(self) -> bool:
        """
        Whether L{rearm} has work to do.
        """

    def rearm(self) -> None:
        """
        Give the reactor back what it dropped and asyncio still wants
        watched; called after asyncio's callbacks ran.
        """

    def run_batch(
        self, iterate: Callable[[], None], ready: Sized, stopping: Callable[[], bool]
    ) -> None:
        """
        After a tick's first asyncio iteration, run more with C{iterate()}
        as this mode requires, while callbacks are C{ready} (the loop's
        ready queue) or the previous iteration found I/O, and not
        C{stopping()}.
        """


#: C{dispatch(key, event)}: handle the readiness C{event} of C{key} now and
#: return C{True}, or return C{False} to have it recorded for C{select()}.
Dispatch = Callable[[selectors.SelectorKey, int], bool]


def _remove(reactor: Any, watcher: _FDWatcher, writer: bool) -> None:
    """
    Remove C{watcher} from C{reactor}'s readers (or writers), also when its
    descriptor was closed before it was unregistered.

    epoll forgets a closed descriptor by itself, and C{EPollReactor} then
    fails in C{epoll.unregister}/C{modify} I{after} it forgot half of its
    own bookkeeping, so that the descriptor number could never be watched
    again.  C{selectors.EpollSelector} ignores that error; so does this,
    after making the reactor forget the descriptor entirely.
    """
    try:
        if writer:
            reactor.removeWriter(watcher)
        else:
            reactor.removeReader(watcher)
    except OSError:
        _twisted_private.forget_epoll_descriptor(reactor, watcher.fd)
        watcher.reading = watcher.writing = False


@implementer(IReadWriteDescriptor)
class _FDWatcher:
    """
    The reactor's view of one file descriptor watched for asyncio: a read
    and write descriptor that reports readiness to its L{ReactorSelector}.

    One object serves both directions, because reactors map a file
    descriptor number to a single descriptor object.

    @ivar fd: the file descriptor.
    @ivar reading: whether it is registered with C{reactor.addReader}.
    @ivar writing: whether it is registered with C{reactor.addWriter}.
    @ivar _selector: the selector it reports to (L{ReactorSelector.fd_ready},
        L{ReactorSelector.fd_lost}).
    """

    __slots__ = ("_selector", "fd", "reading", "writing")

    def __init__(self, fd: int, selector: ReactorSelector) -> None:
        self.fd = fd
        self._selector = selector
        self.reading = False
        self.writing = False

    def fileno(self) -> int:
        return self.fd

    def logPrefix(self) -> str:
        return "txtornado-asyncio"

    def doRead(self) -> None:
        """
        Called by the reactor when the descriptor is readable.
        """
        self._selector.fd_ready(self.fd, _READ)

    def doWrite(self) -> None:
        """
        Called by the reactor when the descriptor is writable.
        """
        self._selector.fd_ready(self.fd, _WRITE)

    def connectionLost(self, reason: Failure) -> None:
        """
        Called by the reactor after it dropped this descriptor: on hang-up
        or error (epoll and poll report those without readability), when the
        descriptor was closed behind the reactor's back, or by
        C{disconnectAll}/C{removeAll}.
        """
        self.reading = self.writing = False
        self._selector.fd_lost(self.fd)

    def __repr__(self) -> str:
        return f"<_FDWatcher fd={self.fd} r={self.reading} w={self.writing}>"


class _SelectorMapping(Mapping[_FileObj, selectors.SelectorKey]):
    """
    Read-only file-object-to-key mapping, as C{BaseSelector.get_map} must
    return.
    """

    def __init__(self, keys: dict[int, selectors.SelectorKey]) -> None:
        self._keys = keys

    def __len__(self) -> int:
        return len(self._keys)

    def __getitem__(self, fileobj: _FileObj) -> selectors.SelectorKey:
        try:
            return self._keys[_fileobj_to_fd(fileobj)]
        except (KeyError, ValueError):
            raise KeyError(f"{fileobj!r} is not registered") from None

    def __iter__(self) -> Iterator[int]:
        return iter(self._keys)


class ReactorSelector(selectors.BaseSelector):
    """
    A selector whose registrations live on C{reactor} and whose C{select()}
    returns, without blocking, the readiness the reactor reported since the
    previous call.

    @param reactor: the reactor that watches the descriptors (an
        C{IReactorFDSet}).
    @param wake: called (in the reactor thread) whenever readiness is
        recorded, so that the owner arranges a C{select()} call soon.
    @param dispatch: called (in the reactor thread) with the key and the
        event when the reactor reports a registered descriptor ready for an
        event its key asks for, and nothing is recorded yet; if it returns
        C{True} it handled the event, which is then not recorded.  Hang-ups
        and errors (L{fd_lost}) are always recorded.

    @ivar _reactor: the reactor.
    @ivar _wake: the C{wake} callback (a no-op once closed).
    @ivar _dispatch: the C{dispatch} callback (refusing once closed).
    @ivar _keys: file descriptor -> its C{SelectorKey}.
    @ivar _watchers: file descriptor -> its L{_FDWatcher}.
    @ivar _pending: file descriptor -> events recorded for C{select()}.
    @ivar _lost_fds: descriptors whose watcher the reactor dropped while
        asyncio still wants events (L{rearm} adds them back).
    @ivar _map: the read-only view C{get_map()} returns.
    @ivar _closed: whether L{close} was called.
    """

    def __init__(
        self,
        reactor: Any,
        wake: Callable[[], None],
        dispatch: Dispatch = _never_dispatch,
    ) -> None:
        self._reactor = reactor
        self._wake = wake
        self._dispatch = dispatch
        self._keys: dict[int, selectors.SelectorKey] = {}
        self._watchers: dict[int, _FDWatcher] = {}
        self._pending: dict[int, int] = {}
        # Watchers the reactor dropped while asyncio still wants events.
        self._lost_fds: set[int] = set()
        self._map = _SelectorMapping(self._keys)
        self._closed = False

    # selectors.BaseSelector API

    def register(
        self, fileobj: _FileObj, events: int, data: Any = None
    ) -> selectors.SelectorKey:
        if self._closed:
            raise RuntimeError("selector is closed")
        if not events or events & ~(selectors.EVENT_READ | selectors.EVENT_WRITE):
            raise ValueError(f"Invalid events: {events!r}")
        fd = _fileobj_to_fd(fileobj)
        if fd in self._keys:
            raise KeyError(f"{fileobj!r} (FD {fd}) is already registered")
        _check_open(fd)
        key = selectors.SelectorKey(fileobj, fd, events, data)
        self._keys[fd] = key
        watcher = self._watchers[fd] = _FDWatcher(fd, self)
        self._apply(watcher, events)
        return key

    def unregister(self, fileobj: _FileObj) -> selectors.SelectorKey:
        fd = self._lookup(fileobj)
        key = self._keys.pop(fd)
        watcher = self._watchers.pop(fd)
        self._apply(watcher, 0)
        self._pending.pop(fd, None)
        self._lost_fds.discard(fd)
        return key

    def modify(
        self, fileobj: _FileObj, events: int, data: Any = None
    ) -> selectors.SelectorKey:
        fd = self._lookup(fileobj)
        key = self._keys[fd]
        if events != key.events:
            if not events or events & ~(selectors.EVENT_READ | selectors.EVENT_WRITE):
                raise ValueError(f"Invalid events: {events!r}")
            watcher = self._watchers[fd]
            if events & ~key.events:
                # Newly wanted events on a descriptor that may have been
                # closed and reused: fail as loudly as register() does.
                _check_open(fd)
            self._apply(watcher, events)
        key = selectors.SelectorKey(key.fileobj, fd, events, data)
        self._keys[fd] = key
        return key

    def select(
        self, timeout: float | None = None
    ) -> list[tuple[selectors.SelectorKey, int]]:
        """
        Return the readiness recorded since the last call; never block
        (C{timeout} is ignored: the reactor did the waiting).
        """
        if not self._pending:
            return []
        pending, self._pending = self._pending, {}
        ready = []
        keys = self._keys
        for fd, mask in pending.items():
            key = keys.get(fd)
            if key is not None:
                mask &= key.events
                if mask:
                    ready.append((key, mask))
        return ready

    def close(self) -> None:
        """
        Remove every watcher from the reactor and forget all registrations
        and the C{wake} callback.  Idempotent.
        """
        self._closed = True
        self._wake = _do_nothing
        self._dispatch = _never_dispatch
        for watcher in self._watchers.values():
            self._apply(watcher, 0)
        self._watchers.clear()
        self._keys.clear()
        self._pending.clear()
        self._lost_fds.clear()

    def get_map(self) -> Mapping[_FileObj, selectors.SelectorKey]:
        return self._map

    def _lookup(self, fileobj: _FileObj) -> int:
        """
        Return the registered file descriptor of C{fileobj}, also when
        C{fileobj} was closed since (its C{fileno()} is then -1 or raises):
        it is then found by identity, as C{selectors} does.

        @raise KeyError: if it is not registered.
        """
        try:
            fd = _fileobj_to_fd(fileobj)
        except ValueError:
            for key in self._keys.values():
                if key.fileobj is fileobj:
                    return key.fd
            raise KeyError(f"{fileobj!r} is not registered") from None
        if fd not in self._keys:
            raise KeyError(f"{fileobj!r} is not registered")
        return fd

    # Reactor side

    def _apply(self, watcher: _FDWatcher, events: int) -> None:
        """
        Make C{watcher}'s reactor registrations match C{events}.
        """
        reactor = self._reactor
        want_read = bool(events & selectors.EVENT_READ)
        want_write = bool(events & selectors.EVENT_WRITE)
        if want_read != watcher.reading:
            if want_read:
                reactor.addReader(watcher)
                watcher.reading = True
            else:
                watcher.reading = False
                _remove(reactor, watcher, writer=False)
        if want_write != watcher.writing:
            if want_write:
                reactor.addWriter(watcher)
                watcher.writing = True
            else:
                watcher.writing = False
                _remove(reactor, watcher, writer=True)

    def fd_ready(self, fd: int, event: int) -> None:
        """
        Called by C{fd}'s watcher: the reactor found C{fd} ready for C{event} (one of C{EVENT_READ},
        C{EVENT_WRITE}): have C{dispatch} handle it now if nothing is
        recorded yet (so that events keep their order) and the key still
        asks for it; else record it.
        """
        if not self._pending:
            key = self._keys.get(fd)
            if key is not None and key.events & event and self._dispatch(key, event):
                return
        self._record(fd, event)

    def _record(self, fd: int, events: int) -> None:
        """
        Record C{events} of C{fd} for the next C{select()}, and wake the
        owner if this is the first recorded since the last one.
        """
        pending = self._pending
        was_empty = not pending
        pending[fd] = pending.get(fd, 0) | events
        if was_empty:
            self._wake()

    def fd_lost(self, fd: int) -> None:
        """
        Called by C{fd}'s watcher: the reactor dropped it.

        If the descriptor is still open this was a hang-up or error (or a
        C{disconnectAll}): report every event asyncio is waiting for, so
        that its callbacks run and see end-of-file or the error, and re-arm
        the watcher after they ran (L{rearm}), which keeps select()'s
        level-triggered contract.  If it was closed, drop it silently (as
        epoll does), without any busy loop.
        """
        key = self._keys.get(fd)
        if key is None:
            return
        try:
            os.fstat(fd)
        except OSError as e:
            if e.errno == errno.EBADF:
                return
        self._lost_fds.add(fd)
        self._record(fd, key.events)

    def rearm(self) -> None:
        """
        Re-register, after asyncio's callbacks ran, the watchers the reactor
        dropped on hang-up or error and that asyncio still wants.
        """
        lost, self._lost_fds = self._lost_fds, set()
        for fd in lost:
            key = self._keys.get(fd)
            watcher = self._watchers.get(fd)
            if key is None or watcher is None:
                continue
            try:
                os.fstat(fd)
            except OSError:
                continue
            self._apply(watcher, key.events)

    @property
    def has_recorded(self) -> bool:
        """
        Whether readiness was recorded that C{select()} has not returned.
        """
        return bool(self._pending)

    def run_batch(
        self, iterate: Callable[[], None], ready: Sized, stopping: Callable[[], bool]
    ) -> None:
        """
        Nothing: a tick runs one asyncio iteration.  Several iterations
        without the reactor polling in between would change the order of
        I/O and callbacks that asyncio code relies on (an iteration's
        C{select()} only returns what the reactor reported before it).
        """

    @property
    def needs_rearm(self) -> bool:
        """
        Whether L{rearm} has work to do.
        """
        return bool(self._lost_fds)


@implementer(IReadDescriptor)
class _NestedWatcher:
    """
    The reactor's view of a L{NestedSelector}: one read descriptor for the
    selector's own (epoll) file descriptor, readable whenever one of the
    descriptors registered in it is ready.

    @ivar fd: the selector's epoll descriptor.
    @ivar on_ready: called from C{doRead}.
    @ivar registered: whether it is registered with C{reactor.addReader}.
    """

    __slots__ = ("fd", "on_ready", "registered")

    def __init__(self, fd: int, on_ready: Callable[[], None]) -> None:
        self.fd = fd
        self.on_ready = on_ready
        self.registered = False

    def fileno(self) -> int:
        return self.fd

    def logPrefix(self) -> str:
        return "txtornado-asyncio"

    def doRead(self) -> None:
        """
        Called by the reactor when a nested descriptor is ready.
        """
        self.on_ready()

    def connectionLost(self, reason: Failure) -> None:
        """
        Called by the reactor after it dropped this descriptor (only
        C{disconnectAll}/C{removeAll} do: an epoll descriptor never hangs
        up).  L{NestedSelector.rearm} adds it back.
        """
        self.registered = False

    def __repr__(self) -> str:
        return f"<_NestedWatcher fd={self.fd} registered={self.registered}>"


class NestedSelector(selectors.EpollSelector):
    """
    A native C{selectors.EpollSelector} whose own file descriptor is
    watched by C{reactor} as one reader.

    asyncio keeps its descriptors here, so its per-event cost is stdlib
    asyncio's; the reactor reports readiness of the whole set by calling
    C{on_ready} (from C{doRead}) once per reactor iteration.  C{select()}
    never blocks (the reactor does all the waiting): it polls with timeout
    0, and records in L{events_seen} how many events it returned.

    Semantics are epoll's, as with stdlib asyncio on Linux: a descriptor
    closed while registered is dropped by the kernel (no busy loop), and
    L{register} fails at once, naming the descriptor, if it is not open.

    @param reactor: the reactor (an C{IReactorFDSet} that can poll an epoll
        descriptor: any C{select}/C{poll}/C{epoll} based one).
    @param on_ready: called in the reactor thread when the reactor finds
        this selector's descriptor readable.

    @ivar events_seen: how many events the last C{select()} returned.
    @ivar _reactor: the reactor.
    @ivar _closed: whether L{close} was called.
    @ivar _watcher: the reactor's view of this selector.
    """

    def __init__(self, reactor: Any, on_ready: Callable[[], None]) -> None:
        super().__init__()
        self._reactor = reactor
        self._closed = False
        self.events_seen = 0
        self._watcher = _NestedWatcher(self.fileno(), on_ready)

    def register(
        self, fileobj: _FileObj, events: int, data: Any = None
    ) -> selectors.SelectorKey:
        """
        C{EpollSelector.register}; the first registration also adds the
        selector's descriptor to the reactor.
        """
        try:
            key = super().register(fileobj, events, data)
        except OSError:
            _check_open(_fileobj_to_fd(fileobj))
            raise
        self.rearm()
        return key

    def unregister(self, fileobj: _FileObj) -> selectors.SelectorKey:
        """
        C{EpollSelector.unregister}; removing the last registration also
        removes the selector's descriptor from the reactor, which then
        watches nothing for this selector (as trial's dirty-reactor check
        expects of a loop with no descriptors).
        """
        key = super().unregister(fileobj)
        watcher = self._watcher
        if watcher.registered and not self.get_map():
            watcher.registered = False
            self._reactor.removeReader(watcher)
        return key

    def select(
        self, timeout: float | None = None
    ) -> list[tuple[selectors.SelectorKey, int]]:
        """
        Return the ready descriptors now; never block (C{timeout} is
        ignored: the reactor did the waiting).
        """
        ready = super().select(0)
        self.events_seen = len(ready)
        return ready

    def close(self) -> None:
        """
        Remove the selector's descriptor from the reactor, close it, and
        forget C{on_ready} (no reference cycle through the event loop is
        left behind).  Idempotent.
        """
        if self._closed:
            return
        self._closed = True
        watcher = self._watcher
        watcher.on_ready = _do_nothing
        if watcher.registered:
            watcher.registered = False
            self._reactor.removeReader(watcher)
        super().close()

    def rearm(self) -> None:
        """
        Register the selector's descriptor with the reactor if anything is
        registered in it and the reactor does not watch it (not yet, or it
        dropped it: C{disconnectAll} at reactor shutdown).
        """
        watcher = self._watcher
        if not watcher.registered and not self._closed and self.get_map():
            self._reactor.addReader(watcher)
            watcher.registered = True

    @property
    def needs_rearm(self) -> bool:
        """
        Whether L{rearm} has work to do.
        """
        return (
            not self._watcher.registered and not self._closed and bool(self.get_map())
        )

    #: Readiness is never recorded: the reactor reports it (C{on_ready}).
    has_recorded = False

    def run_batch(
        self, iterate: Callable[[], None], ready: Sized, stopping: Callable[[], bool]
    ) -> None:
        """
        Run more asyncio iterations while callbacks are C{ready} or the
        previous one found I/O (whose callbacks may have made more ready),
        as stdlib asyncio's next iterations would, each polling this
        selector first; stop after L{BATCH_ITERATIONS} iterations in all or
        L{BATCH_SECONDS} seconds, or when C{stopping()}, so that the
        reactor's own timers and I/O run in between.
        """
        if not ready and not self.events_seen:
            return
        deadline = _monotonic() + BATCH_SECONDS
        for _ in range(BATCH_ITERATIONS - 1):
            if (
                (not ready and not self.events_seen)
                or stopping()
                or _monotonic() >= deadline
            ):
                return
            iterate()
