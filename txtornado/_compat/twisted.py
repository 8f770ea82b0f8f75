"""
The one place where txtornado touches Twisted names that are not public API.

A reactor is built by subclassing L{PosixReactorBase}, and that base class
exposes its subclass API through underscore names (the same ones Twisted's
own C{asyncioreactor} uses).  Everything txtornado needs of that kind is
imported or named here, so that a Twisted release that changes one of them
breaks one module, and C{txtornado.test.test_compat_twisted} says which name.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, NamedTuple

from twisted.internet import defer
from twisted.internet.posixbase import (
    _NO_FILEDESC,
    _ContinuousPolling,
)

__all__ = [
    "REACTOR_BASE_ATTRIBUTES",
    "_NO_FILEDESC",
    "_ContinuousPolling",
    "install_future_await",
]

#: Attributes and methods of L{twisted.internet.base.ReactorBase} /
#: L{PosixReactorBase} that L{txtornado.reactor.TornadoReactor} reads, sets
#: or overrides.  They are the subclass API of those classes, undocumented
#: but used by every reactor in Twisted itself.
REACTOR_BASE_ATTRIBUTES = (
    # run state
    "_started",
    "_startedBefore",
    "_stopped",
    "_justStopped",
    "_signals",
    "_signalsFactory",
    "_installSignalHandlers",
    # timed calls
    "_newTimedCalls",
    "_pendingTimedCalls",
    "_moveCallLaterSooner",
    "_insertNewDelayedCalls",
    # file descriptors
    "_internalReaders",
    "_disconnectSelectable",
    "_removeAll",
    "_uninstallHandler",
)


def forgetExitSignal(reactor: object) -> None:
    """
    Make twistd exit with status 0 after a signal stopped the reactor.

    C{ReactorBase.sigInt}/C{sigTerm} record the signal in C{_exitSignal}
    (Twisted's private C{_ISupportsExitSignalCapturing}), and twistd, once
    the reactor has stopped, kills itself with that signal so that its exit
    status says which signal stopped it.  The C{twistd tornado} plugin
    calls this after a graceful shutdown in which every request finished,
    so that such a stop exits 0.
    """
    if getattr(reactor, "_exitSignal", None) is not None:
        reactor._exitSignal = None  # type: ignore[attr-defined]


def stopThreadPool(reactor: object) -> None:
    """
    Stop the reactor's thread pool (after the work queued on it) and forget
    it, with its startup and shutdown triggers, so that the next
    C{getThreadPool()} makes a new one: what C{ReactorBase} does at
    shutdown, through its private C{_stopThreadPool}.
    L{txtornado.eventloop.TwistedEventLoop} calls it when a run that
    started the pool without starting the reactor ends.
    """
    reactor._stopThreadPool()  # type: ignore[attr-defined]


def forgetEPollDescriptor(reactor: object, fd: int) -> None:
    """
    Drop file descriptor C{fd} from an C{EPollReactor}'s bookkeeping: its
    C{_reads} and C{_writes} (sets of numbers) and C{_selectables} (number
    to descriptor).  L{txtornado._loop_on_reactor.selector} calls it when epoll
    raised while removing a descriptor already closed, which leaves the
    reactor believing the number is still registered; other reactors have
    no such attributes and are left alone.
    """
    for name in ("_reads", "_writes"):
        fds = getattr(reactor, name, None)
        if isinstance(fds, set):
            fds.discard(fd)
    selectables = getattr(reactor, "_selectables", None)
    if isinstance(selectables, dict):
        selectables.pop(fd, None)


def alpnAsksFactory() -> bool:
    """
    Whether Twisted's TLS server contexts answer ALPN by asking, at each
    handshake, the wrapped factory's C{IProtocolNegotiationFactory}
    (Twisted 26.10 and later: every context's select callback, installed
    by C{_sslverify.setupForALPN}, calls C{_sslverify.protosFromProtocol},
    and fails the handshake of a client offering ALPN when nothing
    overlaps, even when the factory names no protocol at all).

    Otherwise (earlier Twisted) C{TLSMemoryBIOFactory._applyProtocolNegotiation}
    installs the factory's protocols on the shared context for each new
    connection, which pyOpenSSL 25 and later refuse once the context has
    made a connection, and a factory that is no
    C{IProtocolNegotiationFactory} leaves ALPN unanswered (the handshake
    goes on without a protocol).  L{txtornado.endpoints.StreamServerFactory}
    provides the interface only in the first case.
    """
    from twisted.internet import _sslverify

    return hasattr(_sslverify, "protosFromProtocol")


#: Names in C{twisted.internet.defer} that L{install_future_await} replaces:
#: module globals that Twisted's coroutine runner looks up on each use.
FUTURE_AWAIT_NAMES = ("iscoroutine", "_cancellableInlineCallbacks")


def install_future_await(
    is_awaited: Callable[[object], bool],
    convert: Callable[[Any], defer.Deferred[Any]],
) -> None:
    """
    Make Twisted's coroutine runner (C{inlineCallbacks}, C{ensureDeferred},
    C{Deferred.fromCoroutine}) wait for the objects C{is_awaited} accepts:
    a coroutine that yields one (an asyncio future it awaits) is resumed
    with the outcome of the L{Deferred} C{convert} returns for it, instead
    of getting the object sent straight back.  Idempotent: the first call's
    functions stay.

    Twisted has no public hook for this.  Its runner,
    C{defer._inlineCallbacks}, sends every value it does not wait for back
    into the coroutine, and waits only for Deferreds and for what
    C{defer.iscoroutine} (asyncio's C{iscoroutine}, imported into the
    module) or C{inspect.isgenerator} accept, which it hands to
    C{defer._cancellableInlineCallbacks} to get a Deferred.  Both are
    looked up as module globals on each use (also by C{fromCoroutine} and
    C{inlineCallbacks}), so both are replaced here: C{iscoroutine} also
    accepts what C{is_awaited} accepts, and C{_cancellableInlineCallbacks}
    converts those with C{convert} and runs everything else as before.
    Nothing else changes, and no frame is added to a coroutine's stack or
    tracebacks.  C{convert} must return a Deferred, never raise.
    """
    if getattr(defer._cancellableInlineCallbacks, "_txtornado_awaits", False):
        return
    plainIscoroutine: Callable[[object], bool] = defer.iscoroutine  # type: ignore[attr-defined]
    plainRun: Callable[[Any], defer.Deferred[Any]] = defer._cancellableInlineCallbacks

    def iscoroutine(obj: object) -> bool:
        return plainIscoroutine(obj) or is_awaited(obj)

    def _cancellableInlineCallbacks(gen: Any) -> defer.Deferred[Any]:
        if is_awaited(gen):
            return convert(gen)
        return plainRun(gen)

    _cancellableInlineCallbacks._txtornado_awaits = True  # type: ignore[attr-defined]
    defer.iscoroutine = iscoroutine  # type: ignore[attr-defined,assignment]
    defer._cancellableInlineCallbacks = _cancellableInlineCallbacks


def twistdServerOptions() -> type:
    """
    The class of twistd's own command-line options on this platform.

    C{twisted.scripts.twistd} imports it (from the private
    C{_twistd_unix}/C{_twistw}) without exporting it; the C{twistd
    tornado} plugin re-parses twistd's command line with it to learn the
    pid file and C{--nodaemon} for C{--reload}.
    """
    from twisted.scripts import twistd

    options: type = twistd.ServerOptions  # type: ignore[attr-defined]
    return options


class ReactorIteration(NamedTuple):
    """
    The methods of C{ReactorBase} that C{ReactorBase.mainLoop} calls on each
    iteration, which driving mode
    (L{txtornado._loop_on_reactor.driving.IterationDriver}) calls instead of
    running the reactor.  Public names, but in no interface.

    @ivar runUntilCurrent: run the delayed calls that are due.
    @ivar doIteration: wait for I/O at most C{delay} seconds (C{None}: no
        limit) and dispatch it.
    @ivar timeout: the delay until the next delayed call, or C{None}.
    """

    runUntilCurrent: Callable[[], None]
    doIteration: Callable[[float | None], None]
    timeout: Callable[[], float | None]


def reactorIteration(reactor: object) -> ReactorIteration | None:
    """
    The iteration methods of C{reactor}, or C{None} if it does not
    implement C{doIteration} (C{ReactorBase.doIteration} raises
    C{NotImplementedError}; GUI reactors that run their toolkit's main
    loop do not override it) or lacks C{runUntilCurrent} or C{timeout}.
    """
    from twisted.internet.base import ReactorBase

    doIteration = getattr(type(reactor), "doIteration", None)
    if doIteration is None or doIteration is ReactorBase.doIteration:
        return None
    try:
        return ReactorIteration(
            reactor.runUntilCurrent,  # type: ignore[attr-defined]
            reactor.doIteration,  # type: ignore[attr-defined]
            reactor.timeout,  # type: ignore[attr-defined]
        )
    except AttributeError:
        return None


class ToolkitMainLoop(NamedTuple):
    """
    A GUI reactor's toolkit main loop, as its C{run()}/C{crash()} run and
    quit it.

    @ivar run: run the main loop until L{quit} is called (blocks).
    @ivar quit: make L{run} return once the current event is handled.
    """

    run: Callable[[], None]
    quit: Callable[[], None]


def toolkitMainLoop(reactor: object) -> ToolkitMainLoop | None:
    """
    The toolkit main loop of a Twisted GLib reactor (C{gireactor},
    C{gtk3reactor}: a C{GlibReactorBase}), or C{None} for any other
    reactor.  C{GlibReactorBase.run} runs the main loop with C{self._run()}
    after firing the startup event, and C{crash} quits it with
    C{self._crash()}; both are private instance attributes.
    """
    glibbase = sys.modules.get("twisted.internet._glibbase")
    if glibbase is None or not isinstance(reactor, glibbase.GlibReactorBase):
        return None
    return ToolkitMainLoop(reactor._run, reactor._crash)
