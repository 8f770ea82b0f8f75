# -*- test-case-name: txtornado.test.test_compat_twisted -*-
"""
The one place where txtornado touches Twisted names that are not public API.

A reactor is built by subclassing L{PosixReactorBase}, and that base class
exposes its subclass API through underscore names (the same ones Twisted's
own C{asyncioreactor} uses).  Everything txtornado needs of that kind is
imported or named here, so that a Twisted release that changes one of them
breaks one module, and C{txtornado.test.test_compat_twisted} says which name.
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from twisted.internet import defer
from twisted.internet._signals import SignalHandling
from twisted.internet.base import DelayedCall, ReactorBase
from twisted.internet.posixbase import (
    _NO_FILEDESC,
    PosixReactorBase,
    _ContinuousPolling,
)

__all__ = [
    "REACTOR_BASE_ATTRIBUTES",
    "_NO_FILEDESC",
    "PosixReactorHooks",
    "_ContinuousPolling",
    "disconnect_selectable",
    "install_future_await",
    "reactor_has_started",
    "reactor_started_before",
    "remove_all_descriptors",
    "started_tls_protocol",
    "transport_socket",
    "uninstall_signal_handling",
]

#: Attributes and methods of L{twisted.internet.base.ReactorBase} /
#: L{PosixReactorBase} that L{PosixReactorHooks} and the reactor accessors
#: below read, call or override.  They are the subclass API of those
#: classes, undocumented but used by every reactor in Twisted itself.
REACTOR_BASE_ATTRIBUTES = (
    # run state
    "_started",
    "_startedBefore",
    "_signals",
    "_signalsFactory",
    # timed calls
    "_moveCallLaterSooner",
    # file descriptors
    "_disconnectSelectable",
    "_removeAll",
)


class PosixReactorHooks(PosixReactorBase):
    """
    L{PosixReactorBase} with the two hooks of its subclass API that have
    underscore names offered under names of their own.

    Subclass contract:

      - L{makeSignalHandling} returns the C{SignalHandling} that
        C{startRunning(installSignalHandlers=True)} installs (Twisted's
        C{_signalsFactory}); by default Twisted's own.
      - L{timedCallMovedSooner} is called after a pending timed call was
        moved sooner by C{DelayedCall.reset}/C{delay} and the heap updated
        (Twisted's C{_moveCallLaterSooner}); by default it does nothing.

    Both are called in the reactor's thread.
    """

    def _signalsFactory(self) -> SignalHandling:
        return self.makeSignalHandling()

    def makeSignalHandling(self) -> SignalHandling:
        """
        The signal handling to install when the reactor starts with
        C{installSignalHandlers=True}.
        """
        return super()._signalsFactory()

    def _moveCallLaterSooner(self, delayedCall: DelayedCall) -> None:
        super()._moveCallLaterSooner(delayedCall)
        self.timedCallMovedSooner(delayedCall)

    def timedCallMovedSooner(self, delayedCall: DelayedCall) -> None:
        """
        C{delayedCall}, already pending, is now due sooner.
        """


def reactor_has_started(reactor: ReactorBase) -> bool:
    """
    Whether C{reactor.startRunning} has run and the reactor has not
    finished stopping (its C{during shutdown} phase) or crashed since
    (C{ReactorBase._started}).
    """
    started: bool = reactor._started
    return started


def reactor_started_before(reactor: ReactorBase) -> bool:
    """
    Whether C{stop} was ever called on the reactor: then it cannot start
    again (C{ReactorBase._startedBefore}).
    """
    before: bool = reactor._startedBefore
    return before


def uninstall_signal_handling(reactor: ReactorBase) -> None:
    """
    Uninstall the signal handling the reactor's last C{startRunning}
    installed (C{ReactorBase._signals}); idempotent.
    """
    reactor._signals.uninstall()


def disconnect_selectable(
    reactor: PosixReactorBase, selectable: Any, why: object, isRead: bool
) -> None:
    """
    Remove C{selectable} from the reactor and call its C{connectionLost}
    (or C{readConnectionLost} for a half-close), as the reactors do when a
    C{doRead}/C{doWrite} returns or raises C{why}
    (C{PosixReactorBase._disconnectSelectable}).
    """
    reactor._disconnectSelectable(selectable, why, isRead)


def remove_all_descriptors(
    reactor: PosixReactorBase, readers: Iterable[Any], writers: Iterable[Any]
) -> list[Any]:
    """
    Remove every reader and writer in C{readers} and C{writers} but the
    reactor's internal ones, and return them: C{removeAll} for a reactor
    that keeps these collections (C{PosixReactorBase._removeAll}).
    """
    removed: list[Any] = reactor._removeAll(readers, writers)
    return removed


def started_tls_protocol(transport: object) -> object:
    """
    The protocol a TCP transport delivers to after C{startTLS} (Twisted's
    C{TLSMemoryBIOProtocol}, kept as the transport's C{protocol} instance
    attribute; the transport's C{TLS} is then true), or C{None} for a
    transport that has not started TLS.
    """
    if not getattr(transport, "TLS", False):
        return None
    attributes: dict[str, Any] = getattr(transport, "__dict__", {})
    return attributes.get("protocol")


def transport_socket(transport: object) -> socket.socket | None:
    """
    The socket under C{transport}, looking through wrapping transports
    (Twisted's TLS, C{ProtocolWrapper}s): a file descriptor transport's
    C{socket} instance attribute, else that of the wrapper's C{transport},
    at most eight levels deep; C{None} if there is none.  Instance
    attributes only: a C{ProtocolWrapper} answers other attribute lookups
    from the protocol it wraps.
    """
    for _ in range(8):
        if transport is None:
            return None
        attributes: dict[str, Any] = getattr(transport, "__dict__", {})
        sock = attributes.get("socket")
        if isinstance(sock, socket.socket):
            return sock
        transport = attributes.get("transport")
    return None


def forget_exit_signal(reactor: object) -> None:
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


def stop_thread_pool(reactor: object) -> None:
    """
    Stop the reactor's thread pool (after the work queued on it) and forget
    it, with its startup and shutdown triggers, so that the next
    C{getThreadPool()} makes a new one: what C{ReactorBase} does at
    shutdown, through its private C{_stopThreadPool}.
    L{txtornado.eventloop.TwistedEventLoop} calls it when a run that
    started the pool without starting the reactor ends.
    """
    reactor._stopThreadPool()  # type: ignore[attr-defined]


def forget_epoll_descriptor(reactor: object, fd: int) -> None:
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


def alpn_asks_factory() -> bool:
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


def twistd_server_options() -> type:
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


def reactor_iteration(reactor: object) -> ReactorIteration | None:
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
    A GUI reactor's toolkit main loop, as its C{run()} runs it.

    @ivar run: run the main loop until L{quit} is called (blocks).
    @ivar quit: make L{run} return once the current event is handled.
    """

    run: Callable[[], None]
    quit: Callable[[], None]


def _is_glib_reactor(reactor: object) -> bool:
    """
    Whether C{reactor} is one of Twisted's GLib reactors (a
    C{GlibReactorBase}, from the private module
    C{twisted.internet._glibbase}, which only a program that uses them has
    imported).
    """
    glibbase = sys.modules.get("twisted.internet._glibbase")
    return glibbase is not None and isinstance(reactor, glibbase.GlibReactorBase)


def toolkit_main_loop(reactor: object) -> ToolkitMainLoop | None:
    """
    The toolkit main loop of a Twisted GLib reactor (C{gireactor},
    C{gtk3reactor}: a C{GlibReactorBase}, from the private module
    C{twisted.internet._glibbase}) or of qt5reactor's C{QtReactor} (a new
    C{QEventLoop} of the Qt binding qt5reactor imported, run with
    C{exec_} and stopped with C{quit}: what C{QtReactor.run} does when
    another object owns the application), or C{None} for any other
    reactor.

    C{GlibReactorBase.__init__} sets the instance attribute C{loop} to the
    C{GLib.MainLoop} that C{run()} runs.  L{ToolkitMainLoop.quit} is that
    loop's own C{quit}, not the reactor's C{crash}: C{crash} quits from an
    idle callback, which GLib dispatches only after every timeout already
    due, so the reactor calls made before it (another asyncio tick) would
    still run.

    @raise RuntimeError: for a C{QtReactor} made in another thread than
        the calling one.
    """
    if _is_glib_reactor(reactor):
        main_loop = reactor.loop  # type: ignore[attr-defined]
        return ToolkitMainLoop(main_loop.run, main_loop.quit)
    qt = sys.modules.get("qt5reactor.core")
    if qt is not None and isinstance(reactor, qt.QtReactor):
        # Qt objects belong to the thread that made them, and the reactor's
        # timer (its private _timer, a QTimer made by QtReactor.__init__)
        # can only be started there: elsewhere the reactor's calls would
        # never run.
        made_in = reactor._timer.thread()
        if made_in is not made_in.currentThread():
            raise RuntimeError(
                f"{reactor!r} was made in another thread: a QtReactor runs only"
                " in the thread that made it (Qt objects belong to their thread)"
            )
        # The Qt binding qt5reactor chose (PyQt5 or PySide2), as it
        # imported it.
        event_loop = qt.QEventLoop()
        return ToolkitMainLoop(event_loop.exec_, event_loop.quit)
    return None


def discard_reactor_state(reactor: object) -> None:
    """
    Break the reference cycles of a reactor nobody uses any more (its
    selectables already disconnected): remove and close its waker
    (C{ReactorBase.waker}, set by C{installWaker}, which refers to itself
    through a closure), then clear the reactor's instance dictionary.

    Twisted reactors are full of reference cycles (system event triggers
    bound to the reactor, its name resolver, ...), so a dropped reactor
    lives until the cyclic garbage collector runs, and so does its poll
    object's file descriptor; with its dictionary cleared it is freed at
    once.  The reactor is unusable afterwards.

    A Twisted GLib reactor (C{GlibReactorBase}) also has a GLib timeout
    pending for its timed calls (C{_simtag}, a source of GLib's default main
    context, which outlives the reactor): it is removed, or GLib would call
    the cleared reactor's C{_simulate} when it is due.
    """
    if _is_glib_reactor(reactor):
        tag = reactor._simtag  # type: ignore[attr-defined]
        if tag is not None:
            reactor._simtag = None  # type: ignore[attr-defined]
            reactor._source_remove(tag)  # type: ignore[attr-defined]
    waker = getattr(reactor, "waker", None)
    if waker is not None:
        reactor.removeReader(waker)  # type: ignore[attr-defined]
        reactor.waker = None  # type: ignore[attr-defined]
        waker.connectionLost(None)
        vars(waker).clear()
    vars(reactor).clear()


def wrap_crash(reactor: Any, after: Callable[[], None]) -> Callable[[], None] | None:
    """
    Make C{reactor.crash()} call C{after()} once it returned (or raised),
    until the function returned here is called, by setting a C{crash}
    instance attribute that shadows the reactor's method.  C{crash} ends
    C{reactor.run()} without any system event, and Twisted offers no hook
    for it.  Returns C{None} (and wraps nothing) if the instance already
    has its own C{crash}.
    """
    if "crash" in vars(reactor):
        return None
    original = reactor.crash

    def crash() -> None:
        try:
            original()
        finally:
            after()

    reactor.crash = crash

    def unwrap() -> None:
        if vars(reactor).get("crash") is crash:
            del reactor.crash

    return unwrap
