# -*- test-case-name: txtornado.test.test_multiloop -*-
"""
Which reactor an event loop on a reactor uses, and who owns it.

Only one open loop may use a given reactor at a time (L{ReactorClaim}).  A
loop given no reactor uses the global C{twisted.internet.reactor} if it may
(L{may_use_global_reactor}): no other open loop uses it, and the loop is
created in the global reactor's thread (the thread running it, or, while
it does not run, the main thread).  Otherwise the loop gets a I{private}
reactor (L{private_reactor}), which it owns and disposes of when closed
(L{dispose_reactor}), as a reactor made by a C{reactor_factory}.

Everything here is thread-safe.
"""

from __future__ import annotations

import selectors
import threading
from typing import Any, Protocol

from twisted.python import threadable

from txtornado._compat import twisted as _twisted_private

__all__ = [
    "POLLERS",
    "ReactorClaim",
    "dispose_reactor",
    "global_reactor",
    "loops_by_reactor",
    "may_use_global_reactor",
    "private_reactor",
]


class _Loop(Protocol):
    """
    An event loop, as a claim sees it.
    """

    def is_closed(self) -> bool: ...


#: reactor (by id) -> the open loop using it (see L{ReactorClaim}).
loops_by_reactor: dict[int, _Loop] = {}
_loops_lock = threading.Lock()

#: Twisted's reactors that wait with a system poller and own nothing else
#: (no GUI toolkit, no other event loop): a new instance of one of these
#: (or of a subclass) is a private reactor of the same kind.
POLLERS = frozenset(
    {
        "twisted.internet.epollreactor.EPollReactor",
        "twisted.internet.pollreactor.PollReactor",
        "twisted.internet.selectreactor.SelectReactor",
        "twisted.internet.kqreactor.KQueueReactor",
    }
)


def global_reactor() -> Any:
    """
    Return the global reactor, installing the default one if none is
    installed yet.  Imported here, never at module import time.
    """
    from twisted.internet import reactor

    return reactor


def may_use_global_reactor(reactor: Any) -> bool:
    """
    Whether a loop created in the calling thread may use the global reactor
    C{reactor} (if no other open loop does): while the reactor runs, only in
    the thread running it (Twisted's I/O thread); otherwise only in the
    main thread, where C{reactor.run()} will run it.
    """
    if reactor.running:
        return bool(threadable.isInIOThread())
    return threading.current_thread() is threading.main_thread()


def private_reactor(shared: Any) -> Any:
    """
    A new reactor for a loop that cannot use the global reactor C{shared}:
    an instance of C{shared}'s class if it is one of L{POLLERS} (or a
    subclass), else of Twisted's default poller here (C{EPollReactor} where
    epoll exists, else C{PollReactor}, else C{SelectReactor}).  Not
    installed anywhere: the caller owns it.
    """
    cls = type(shared)
    if any(f"{c.__module__}.{c.__qualname__}" in POLLERS for c in cls.__mro__):
        return cls()
    if hasattr(selectors, "EpollSelector"):
        from twisted.internet.epollreactor import EPollReactor

        return EPollReactor()
    if hasattr(selectors, "PollSelector"):
        from twisted.internet.pollreactor import PollReactor

        return PollReactor()
    from twisted.internet.selectreactor import SelectReactor

    return SelectReactor()


def dispose_reactor(reactor: Any) -> None:
    """
    Dispose of a reactor nobody else uses: disconnect its selectables,
    close its waker, and break its reference cycles
    (L{txtornado._compat.twisted.discard_reactor_state}), so that it is freed, and
    its poll object's descriptor closed, at once.  The reactor is unusable
    afterwards.
    """
    reactor.disconnectAll()
    _twisted_private.discard_reactor_state(reactor)


class ReactorClaim:
    """
    One loop's claim on the reactor it uses.

    @ivar reactor: the reactor the loop uses (after L{claim}: perhaps a
        private one instead of the one asked for).
    @ivar owned: whether the loop owns C{reactor} (made by a
        C{reactor_factory}, or private), and so disposes of it on
        L{release}.
    """

    def __init__(self, reactor: Any, owned: bool) -> None:
        self.reactor = reactor
        self.owned = owned

    def claim(self, loop: _Loop, shared: bool) -> None:
        """
        Record C{loop} as the open loop of L{reactor}.

        @param shared: L{reactor} is the global reactor, which the caller
            did not ask for by name: if this thread may not use it
            (L{may_use_global_reactor}) or another open loop does, use a
            new private reactor (L{private_reactor}) instead, and own it.
        @raise RuntimeError: if C{shared} is false and another open loop
            uses L{reactor}.
        """
        reactor = self.reactor
        with _loops_lock:
            other = loops_by_reactor.get(id(reactor))
            if other is None or other.is_closed():
                if not shared or may_use_global_reactor(reactor):
                    loops_by_reactor[id(reactor)] = loop
                    return
            elif not shared:
                raise RuntimeError(
                    f"{reactor!r} already has an open event loop {other!r};"
                    " close it first, give each loop its own reactor, or pass"
                    " no reactor (a loop that cannot use the global reactor"
                    " gets a private one)"
                )
        private = private_reactor(reactor)
        self.reactor = private
        self.owned = True
        with _loops_lock:
            loops_by_reactor[id(private)] = loop

    def release(self, loop: _Loop) -> None:
        """
        C{loop} is closed, or its construction failed: forget it as the
        reactor's loop, and dispose of the reactor if it owns it.
        """
        with _loops_lock:
            if loops_by_reactor.get(id(self.reactor)) is loop:
                del loops_by_reactor[id(self.reactor)]
        if self.owned:
            dispose_reactor(self.reactor)
