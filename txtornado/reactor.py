# -*- test-case-name: txtornado.test.test_reactor -*-
"""
A Twisted reactor running on a Tornado L{IOLoop<tornado.ioloop.IOLoop>}.

Install it before anything imports C{twisted.internet.reactor}::

    import txtornado
    reactor = txtornado.install()

then start either side: C{reactor.run()} starts the IOLoop, and starting the
IOLoop yourself (C{IOLoop.current().start()}, C{asyncio}'s
C{run_until_complete}) drives the reactor too.

The reactor runs on the asyncio loop under the IOLoop (C{asyncio_loop}),
through L{LoopDriver<txtornado._reactor_on_loop.driver.LoopDriver>}; its
other collaborators are in L{txtornado._reactor_on_loop}.
"""

from __future__ import annotations

import errno
import time
from collections import deque
from collections.abc import Callable
from typing import Any, cast

from tornado.ioloop import IOLoop
from twisted.internet import process
from twisted.internet.base import DelayedCall
from twisted.internet.error import ReactorAlreadyRunning, ReactorNotRestartable
from twisted.internet.interfaces import (
    IReactorFDSet,
    IReadDescriptor,
    IWriteDescriptor,
)
from twisted.internet.posixbase import PosixReactorBase
from twisted.logger import Logger
from twisted.python.log import callWithLogger
from zope.interface import implementer

from txtornado._compat.twisted import (
    _NO_FILEDESC,
    PosixReactorHooks,
    _ContinuousPolling,
    disconnect_selectable,
    reactor_has_started,
    reactor_started_before,
    remove_all_descriptors,
    uninstall_signal_handling,
)
from txtornado._reactor_on_loop.driver import LoopDriver
from txtornado._reactor_on_loop.registrations import LoopRegistrations
from txtornado._reactor_on_loop.runstate import Phase, RunState
from txtornado._reactor_on_loop.signals import (
    AsyncioSignalHandling,
    PidfdChildWatcher,
)
from txtornado._reactor_on_loop.sweep import LostDescriptorSweep
from txtornado._reactor_on_loop.timer import LoopTimer
from txtornado._reactor_on_loop.writesoon import WriteSoon
from txtornado.futures import _note_reactor_loop, enable_deferred_await

__all__ = ["TornadoReactor", "install"]

_ITERATING = Phase.ITERATING
_STARTING = Phase.STARTING
_monotonic = time.monotonic
_baseCallLater = PosixReactorBase.callLater


@implementer(IReactorFDSet)
class TornadoReactor(PosixReactorHooks):
    """
    A Twisted reactor built on a Tornado IOLoop.

    It provides every interface L{PosixReactorBase} declares (core, time,
    FD set, threads, TCP, SSL, UNIX, UDP, multicast, process, socket and the
    pluggable resolver).  Timed calls live in Twisted's own heap and the
    IOLoop holds one timer, for the earliest of them; C{callFromThread}
    reaches the loop in one hop through the loop's thread-safe wake-up.

    All methods must be called in the IOLoop's thread, except
    C{callFromThread} (any thread) as on every Twisted reactor.

    A descriptor whose file descriptor is closed behind the reactor's back
    (without C{removeReader}/C{removeWriter}) is disconnected once with
    L{ConnectionFdescWentAway<twisted.internet.error.ConnectionFdescWentAway>}
    within L{lostDescriptorInterval} seconds, and a descriptor registered on
    a number such a descriptor still holds takes the number over (see
    L{LoopRegistrations}).  On uvloop there is one case nothing above libuv
    can catch: libuv registers descriptors with epoll lazily, at its next
    poll, and aborts the process if the fd was closed before then; so under
    uvloop never close a registered fd in the same loop iteration that
    registered it.

    The class is the reactor's interfaces (core, time, FD set, threads,
    process), each method a short delegation to the collaborators in
    L{txtornado._reactor_on_loop} or to L{PosixReactorBase}; its length is
    mostly their contracts.

    @param io_loop: The IOLoop to run on; by default C{IOLoop.current()}.

    @ivar _io_loop: The IOLoop (L{io_loop}).
    @ivar _driver: The L{LoopDriver}: all the reactor asks of the loop.
    @ivar _registrations: The L{LoopRegistrations} of the readers and
        writers registered with the loop.
    @ivar _readers: C{_registrations.readers}: reader to fd.
    @ivar _writers: C{_registrations.writers}: writer to fd.
    @ivar _threadCalls: C{callFromThread}'s calls, in order, not yet run.
    @ivar _threadCallsWoken: Whether a loop wake-up is on its way for
        C{_threadCalls}.
    @ivar _runState: The L{RunState}: who drives the loop for the reactor,
        and whether C{run()}'s startup is still to fire.
    @ivar _writeSoon: The L{WriteSoon} path of connected transports'
        writes.
    @ivar _continuousPolling: Polls the descriptors the loop's selector
        refuses (regular files under epoll).
    @ivar _timer: The L{LoopTimer} for the earliest timed call.
    @ivar _inTimer: True while L{_onTimer} runs timed calls: it arms the
        timer from C{timeout()} afterwards, so calls scheduled meanwhile
        need no check.
    @ivar _sweep: The L{LostDescriptorSweep}.
    @ivar _childWatcher: The L{PidfdChildWatcher} of C{spawnProcess}
        children.
    """

    _log = Logger()

    #: Seconds between checks of the registered descriptors for one whose
    #: file descriptor was closed behind the reactor's back: epoll forgets
    #: such a descriptor silently, so no event would ever report it.
    lostDescriptorInterval = 1.0

    def __init__(self, io_loop: IOLoop | None = None) -> None:
        if io_loop is None:
            io_loop = IOLoop.current()
        self._io_loop = io_loop
        self._driver = LoopDriver(io_loop)
        # A bare "await deferred" in the loop's tasks, and "await future" in
        # Twisted's coroutines before run() (txtornado.futures).
        enable_deferred_await(self._driver.loop)
        _note_reactor_loop(self._driver.loop)
        self._registrations = LoopRegistrations(self._driver)
        self._readers = self._registrations.readers
        self._writers = self._registrations.writers
        self._threadCalls: deque[
            tuple[Callable[..., Any], tuple[object, ...], dict[str, object]]
        ] = deque()
        self._threadCallsWoken = False
        self._runState = RunState(self.startRunning)
        self._writeSoon = WriteSoon(
            self._driver.callSoon,
            self._writers,
            self._readOrWrite,
            self._registerWriter,
            self._runState.fireStartup,
        )
        self._continuousPolling = _ContinuousPolling(self)
        self._timer = LoopTimer(
            self._driver.callLater, self._driver.callSoon, self._onTimer
        )
        self._inTimer = False
        self._sweep = LostDescriptorSweep(
            self._driver.callLater,
            lambda: self.lostDescriptorInterval,
            self._readers,
            self._writers,
            self._disconnectLost,
        )
        self._childWatcher = PidfdChildWatcher(
            self._driver.loop,
            lambda fd: self._registrations.claim(fd, None),
            process.reapAllProcesses,
        )
        super().__init__()
        self._driver.callSoon(self._startIfNecessary)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} on {self._io_loop!r}>"

    # --- The IOLoop ------------------------------------------------------

    @property
    def io_loop(self) -> IOLoop:
        """
        The Tornado IOLoop this reactor runs on.
        """
        return self._io_loop

    def _startIfNecessary(self) -> None:
        """
        Called once the loop first runs.  If that run was not started by
        L{run} (someone called C{IOLoop.start()} or asyncio's
        C{run_until_complete}), start the reactor now, without installing
        signal handlers: the loop's owner keeps Ctrl-C.
        """
        if self._runState.phase is not Phase.IDLE:
            return
        if reactor_has_started(self) or reactor_started_before(self):
            return
        self._runState.host()
        self.startRunning(installSignalHandlers=False)

    # --- IReactorCore ----------------------------------------------------

    def installWaker(self) -> None:
        """
        Nothing to install: the asyncio loop has its own self-pipe, reached
        through C{call_soon_threadsafe}.
        """

    def wakeUp(self) -> None:
        """
        Wake the loop up and run L{runUntilCurrent} soon; thread-safe.
        """
        self._driver.callSoonThreadsafe(self._timer.schedule, 0.0)

    def run(self, installSignalHandlers: bool = True) -> None:
        """
        Start the reactor and run the IOLoop until the reactor is stopped or
        crashed.

        The startup event fires inside the running loop, so startup
        triggers and C{callWhenRunning} calls run there
        (C{asyncio.get_running_loop()} works there, as in every other reactor
        callback): as the loop's first callback, or earlier, before
        whichever of the reactor's own callbacks (thread calls, timed calls,
        early writes) or C{stop}/C{crash} comes first.  So, as on every
        reactor, nothing the reactor runs precedes startup, and a C{run()}
        that returns has fired it (which a later C{run()} after C{crash()}
        relies on).  Whether the reactor may start is checked here, first:
        C{ReactorAlreadyRunning} and C{ReactorNotRestartable} are raised by
        this call, as on every reactor.
        """
        runState = self._runState
        if (
            runState.phase is Phase.HOSTED
            and reactor_has_started(self)
            and not self._driver.isRunning()
        ):
            # Started by an earlier run of the loop that was not ours;
            # carry on with that run of the reactor.
            runState.resumeHosted()
            self._runLoop()
            return
        if reactor_has_started(self):
            raise ReactorAlreadyRunning()
        if reactor_started_before(self):
            raise ReactorNotRestartable()
        runState.beginRun(installSignalHandlers)
        # The loop's first callback, unless another reactor entry point
        # comes first (uvloop, for one, runs a due timer before the
        # callbacks): each of them calls fireStartup.
        self._driver.callSoon(runState.fireStartup)
        try:
            self._runLoop()
        finally:
            uninstall_signal_handling(self)

    def _runLoop(self) -> None:
        try:
            self.mainLoop()
        finally:
            self._runState.endRun()

    def mainLoop(self) -> None:
        """
        Run the IOLoop until it stops; the reactor's timers and descriptors
        are already registered with it.
        """
        self._driver.run()

    def stop(self) -> None:
        """
        See L{IReactorCore.stop}: the shutdown event fires on the next pass
        of the loop, and its 'during' phase stops the loop.
        """
        self._runState.fireStartup()
        super().stop()
        self._timer.schedule(0.0)

    def crash(self) -> None:
        """
        See L{IReactorCore.crash}: stop the loop without shutdown events.
        """
        # Crashed by a callback that ran before run()'s startup: fire it
        # first, or it would fire as the loop stops and leave the reactor
        # started after run() returned.
        self._runState.fireStartup()
        super().crash()
        if self._runState.inRun or self._driver.isRunning():
            self._driver.stop()

    def iterate(self, delay: float = 0.0) -> None:
        """
        Run the loop once: wait up to C{delay} seconds for a reactor event
        (I/O on a descriptor or a due timed call), handle what is ready, and
        return.
        """
        self.runUntilCurrent()
        self._rescheduleTimer()
        stopper = self._driver.callLater(delay, self._driver.stop)
        previous = self._runState.beginIterate()
        try:
            self._driver.run()
        finally:
            self._runState.endIterate(previous)
            stopper.cancel()

    def makeSignalHandling(self) -> AsyncioSignalHandling:
        """
        SIGINT and SIGTERM stop the reactor (through C{signal.signal}, so an
        application's own handler replaces them, as on every reactor),
        SIGCHLD reaps its children (through the loop's
        C{add_signal_handler}); see L{AsyncioSignalHandling}.
        """
        return AsyncioSignalHandling(
            self._driver.loop,
            self.sigInt,
            self.sigTerm,
            process.reapAllProcesses,
        )

    # --- IReactorProcess -------------------------------------------------

    def spawnProcess(self, *args: Any, **kwargs: Any) -> Any:
        """
        See L{IReactorProcess.spawnProcess}.

        The child is reaped when it exits whether or not SIGCHLD reaches the
        reactor (uvloop keeps SIGCHLD to itself, and with
        C{installSignalHandlers=False} nobody handles it): on Linux a pidfd
        for the child is watched by the loop.
        """
        transport = super().spawnProcess(*args, **kwargs)  # type: ignore[no-untyped-call]
        pid = getattr(transport, "pid", None)
        if pid is not None:
            self._childWatcher.watch(pid)
        return transport

    def disconnectAll(self) -> None:
        """
        Disconnect every reader and writer (see L{ReactorBase.disconnectAll})
        and stop watching child processes.
        """
        super().disconnectAll()
        self._childWatcher.forgetAll()

    # --- IReactorTime ----------------------------------------------------

    def callLater(
        self, delay: float, callable: Callable[..., Any], *args: object, **kw: object
    ) -> DelayedCall:
        """
        See L{IReactorTime.callLater}.  The call joins Twisted's heap; the
        loop's timer moves only when this call is earlier than it.
        """
        delayedCall = _baseCallLater(self, delay, callable, *args, **kw)
        if not self._inTimer and _monotonic() + delay < self._timer.due:
            self._timer.schedule(delay)
        return delayedCall

    def timedCallMovedSooner(self, delayedCall: DelayedCall) -> None:
        """
        A pending timed call moved sooner: the loop's timer follows it.
        """
        self._timer.schedule(max(0.0, delayedCall.getTime() - self.seconds()))

    def _rescheduleTimer(self) -> None:
        timeout = self.timeout()
        if timeout is not None:
            self._timer.schedule(timeout)

    def _onTimer(self) -> None:
        """
        Run the due timed calls (the loop's timer fired) and arm the timer
        for the next.
        """
        # Once per loop pass that runs timed calls: the steps are inline.
        runState = self._runState
        if runState.phase is _STARTING:
            runState.fireStartup()
        self._inTimer = True
        writeSoon = self._writeSoon
        held = writeSoon.holding
        writeSoon.holding = True
        try:
            self.runUntilCurrent()
        finally:
            self._inTimer = False
            if not held:
                writeSoon.release()
            timeout = self.timeout()
            if timeout is not None:
                self._timer.schedule(timeout)
            if runState.phase is _ITERATING:
                self._driver.stop()

    # --- IReactorThreads -------------------------------------------------

    def callFromThread(
        self, f: Callable[..., Any], *args: object, **kwargs: object
    ) -> None:
        """
        See L{IReactorFromThreads.callFromThread}: C{f} runs in the loop's
        thread, in call order, with its exceptions logged.  Callable from
        any thread, and from signal handlers.
        """
        assert callable(f), f"{f} is not callable"
        self._threadCalls.append((f, args, kwargs))
        if not self._threadCallsWoken:
            # The first call since the loop last ran them wakes the loop;
            # the calls after it (until then) share that wake-up.
            self._threadCallsWoken = True
            try:
                self._driver.callSoonThreadsafe(self._runThreadCalls)
            except BaseException:
                self._threadCallsWoken = False
                raise

    def _runThreadCalls(self) -> None:
        """
        Run the calls C{callFromThread} queued, in order, each one's
        exception logged, then the timed calls due by then, as Twisted's
        C{runUntilCurrent} does: so a thread call that queues another and a
        C{callLater(0)} sees the timed call run first, and a chain of thread
        calls cannot starve the timers.  The calls queued while these run
        wake the loop again.
        """
        self._threadCallsWoken = False
        self._runState.fireStartup()
        calls = self._threadCalls
        writeSoon = self._writeSoon
        held = writeSoon.holding
        writeSoon.holding = True
        try:
            for _ in range(len(calls)):
                f, args, kwargs = calls.popleft()
                try:
                    f(*args, **kwargs)
                except BaseException:
                    self._log.failure("while calling from thread")
        finally:
            if not held:
                writeSoon.release()
        self._timer.fireIfDue()

    # --- IReactorFDSet ---------------------------------------------------

    def _readOrWrite(self, selectable: Any, isRead: bool) -> None:
        # Typed Any: IReadDescriptor/IWriteDescriptor are zope interfaces,
        # whose methods mypy cannot call without the zope plugin.
        writeSoon = self._writeSoon
        held = writeSoon.holding
        writeSoon.holding = True
        try:
            if selectable.fileno() == -1:
                disconnect_selectable(self, selectable, _NO_FILEDESC, isRead)
            else:
                try:
                    why = selectable.doRead() if isRead else selectable.doWrite()
                except Exception as e:
                    why = e
                    self._log.failure(
                        "while handling I/O on {selectable}", selectable=selectable
                    )
                if why:
                    disconnect_selectable(self, selectable, why, isRead)
        finally:
            if not held:
                writeSoon.release()
        if self._runState.phase is _ITERATING:
            self._driver.stop()

    def addReader(self, reader: IReadDescriptor) -> None:
        """
        See L{IReactorFDSet.addReader}.  A descriptor the loop's selector
        refuses (a regular file under epoll) is polled continuously.
        """
        if reader in self._readers or self._continuousPolling.isReading(reader):
            return
        fd: int = cast(Any, reader).fileno()
        try:
            self._registrations.addReader(
                reader, fd, callWithLogger, reader, self._readOrWrite, reader, True
            )
        except OSError as e:
            if e.errno != errno.EPERM:
                raise
            # epoll(7) refuses regular files: poll them continuously.
            self._continuousPolling.addReader(reader)
        else:
            self._sweep.arm()

    def addWriter(self, writer: IWriteDescriptor) -> None:
        """
        See L{IReactorFDSet.addWriter}.

        A connected TCP or UNIX transport (C{twisted.internet.tcp.Connection})
        is not registered with the loop at once: its C{doWrite} runs when the
        reactor event that wrote ends (or as the loop's next callback), and
        only if that leaves data unsent is it registered to wait for
        writability (see L{WriteSoon}).  Other
        descriptors are registered at once.
        """
        if writer in self._writers or self._continuousPolling.isWriting(writer):
            return
        if not self._writeSoon.offer(writer):
            self._registerWriter(writer)

    def _registerWriter(self, writer: IWriteDescriptor) -> None:
        fd: int = cast(Any, writer).fileno()
        try:
            self._registrations.addWriter(
                writer, fd, callWithLogger, writer, self._readOrWrite, writer, False
            )
        except PermissionError:
            self._continuousPolling.addWriter(writer)
        except BrokenPipeError:
            pass
        else:
            self._sweep.arm()

    def _disconnectLost(self, selectable: Any, isRead: bool) -> None:
        """
        Disconnect a descriptor the sweep found lost, as the select and poll
        reactors do when the kernel reports a bad descriptor.
        """
        disconnect_selectable(self, selectable, _NO_FILEDESC, isRead)

    def removeReader(self, reader: IReadDescriptor) -> None:
        """
        See L{IReactorFDSet.removeReader}.
        """
        if not self._registrations.removeReader(reader):
            if self._continuousPolling.isReading(reader):
                self._continuousPolling.removeReader(reader)

    def removeWriter(self, writer: IWriteDescriptor) -> None:
        """
        See L{IReactorFDSet.removeWriter}.
        """
        if not self._registrations.removeWriter(writer):
            if self._continuousPolling.isWriting(writer):
                self._continuousPolling.removeWriter(writer)

    def removeAll(self) -> list[IReadDescriptor | IWriteDescriptor]:
        """
        See L{IReactorFDSet.removeAll}.
        """
        removed: list[IReadDescriptor | IWriteDescriptor] = remove_all_descriptors(
            self, self._readers.keys(), self._writers.keys()
        )
        polled: list[IReadDescriptor | IWriteDescriptor] = (
            self._continuousPolling.removeAll()
        )
        return removed + polled

    def getReaders(self) -> list[IReadDescriptor]:
        """
        See L{IReactorFDSet.getReaders}.
        """
        polled: list[IReadDescriptor] = self._continuousPolling.getReaders()
        return list(self._readers) + polled

    def getWriters(self) -> list[IWriteDescriptor]:
        """
        See L{IReactorFDSet.getWriters}.
        """
        polled: list[IWriteDescriptor] = self._continuousPolling.getWriters()
        return list(self._writers) + polled


def install(io_loop: IOLoop | None = None) -> TornadoReactor:
    """
    Install a L{TornadoReactor} on C{io_loop} (by default
    C{IOLoop.current()}) as the global Twisted reactor, and return it.

    Call it before anything imports C{twisted.internet.reactor}.

    @raise twisted.internet.error.ReactorAlreadyInstalledError: naming the
        reactor that is already installed.
    """
    import sys

    from twisted.internet.error import ReactorAlreadyInstalledError
    from twisted.internet.main import installReactor

    existing = sys.modules.get("twisted.internet.reactor")
    if existing is not None:
        raise ReactorAlreadyInstalledError(
            f"reactor already installed: {type(existing).__module__}."
            f"{type(existing).__qualname__}"
        )
    reactor = TornadoReactor(io_loop)
    installReactor(reactor)
    return reactor
