# -*- test-case-name: txtornado.test.test_driving -*-
"""
Driving mode: how L{txtornado.eventloop.TwistedEventLoop.run_forever} runs a
reactor that is not running, without starting it.

A driving run fires no C{'startup'} or C{'shutdown'} system event (so
C{reactor.run()} can still be called later, and C{callWhenRunning} waits
until then), starts the reactor's thread pool if nobody did (once it
exists: a run that never uses it makes none) and stops it when the run
ends (L{ThreadPoolRun}), and leaves nothing else behind.  How
the reactor is made to wait for events depends on what it provides, and
L{driver_for} picks one of two strategies, both L{Driver}s:

  - L{IterationDriver}, for the other reactors with C{doIteration} (every
    C{PosixReactorBase} poller: epoll, poll, select, kqueue): each asyncio
    iteration runs the reactor's due calls, waits in C{doIteration}, then
    ticks.  Ticks are made by the driver, never by reactor calls
    (L{Driver.ticks_itself}).
  - L{MainLoopDriver}, for reactors that run a toolkit's own main loop
    (Twisted's GLib reactors C{gireactor} and C{gtk3reactor}, which have no
    C{doIteration}, and qt5reactor's C{QtReactor}): the toolkit's main loop
    runs until C{stop()}, and ticks are reactor calls, as while
    C{reactor.run()} hosts the loop.  In the main thread, signals wake the
    toolkit's loop while it runs (L{SignalWakeup}).

Everything here runs in the thread running the loop.
"""

from __future__ import annotations

import signal
import socket
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any, NamedTuple, Protocol

from twisted.internet.interfaces import IReactorThreads, IReadDescriptor
from twisted.python.failure import Failure
from zope.interface import implementer

from txtornado._compat import twisted as _twisted_private

__all__ = [
    "DrivenLoop",
    "Driver",
    "IterationDriver",
    "MainLoopDriver",
    "SignalWakeup",
    "ThreadPoolRun",
    "driver_for",
]


class DrivenLoop(NamedTuple):
    """
    What a L{Driver} calls of the event loop it drives for.

    @ivar tick: run one asyncio tick (due timers, recorded I/O, ready
        queue).
    @ivar is_stopping: whether C{stop()} was called during this
        C{run_forever}, or an exception waits to leave it.
    @ivar io_wait: how long an iteration may wait for I/O, given the
        reactor's own next delayed call (C{None}: no limit).
    @ivar poll_started: a reactor poll starts (C{True}) or ended
        (C{False}).
    """

    tick: Callable[[], None]
    is_stopping: Callable[[], bool]
    io_wait: Callable[[float | None], float | None]
    poll_started: Callable[[bool], None]


class Driver(Protocol):
    """
    One driving run (one C{run_forever}) of a loop on a reactor.

    @ivar ticks_itself: whether each iteration ends with a tick the driver
        runs (so the loop makes no reactor calls for ticks), or ticks are
        reactor calls as while hosted.
    """

    ticks_itself: bool

    def run_once(self) -> None:
        """
        One iteration of C{run_forever}: return once the loop's C{stop()}
        may have been called.
        """

    def wake(self) -> None:
        """
        C{stop()} was called, or an exception waits to leave
        C{run_forever}: make L{run_once} return soon.
        """

    def finish(self) -> None:
        """
        The run ended (C{run_forever} returns).
        """

    def tick_ended(self) -> None:
        """
        A tick that the driver did not run itself ended (a reactor call,
        when L{ticks_itself} is C{False}; never called otherwise).
        """


class ThreadPoolRun:
    """
    The reactor's thread pool during one driving run: started by the run
    if the reactor's startup (which would start it) did not, and stopped
    when the run ends, once the work queued on it is done, unless the
    reactor started since (its shutdown stops it then).

    @ivar _reactor: the reactor.
    @ivar _started: the pool this run started, or C{None}.
    """

    def __init__(self, reactor: Any) -> None:
        self._reactor = reactor
        self._started: Any = None

    def check(self) -> None:
        """
        Start the reactor's thread pool if it exists and does not run (it
        is made on first use, e.g. by C{deferToThread} during the run).
        """
        if self._started is None:
            pool = getattr(self._reactor, "threadpool", None)
            if pool is not None and not pool.started:
                self._started = pool
                pool.start()

    def finish(self) -> None:
        """
        Stop the pool this run started (see the class docstring).
        """
        pool, self._started = self._started, None
        reactor = self._reactor
        if pool is not None and not reactor.running:
            if getattr(reactor, "threadpool", None) is pool:
                _twisted_private.stop_thread_pool(reactor)


class IterationDriver:
    """
    Drive a reactor through C{runUntilCurrent}/C{doIteration}/C{timeout}
    (see L{txtornado._compat.twisted.reactor_iteration}): each iteration runs
    the reactor's due calls, waits for I/O (not at all if asyncio callbacks
    are ready, else until the next reactor or asyncio timer), then ticks.

    @ivar ticks_itself: C{True}.
    @ivar _loop: the loop driven for.
    @ivar _iteration: the reactor's iteration methods.
    @ivar _pool: the thread pool of this run.
    """

    ticks_itself = True

    def __init__(
        self,
        loop: DrivenLoop,
        iteration: _twisted_private.ReactorIteration,
        pool: ThreadPoolRun,
    ) -> None:
        self._loop = loop
        self._iteration = iteration
        self._pool = pool

    def run_once(self) -> None:
        loop = self._loop
        iteration = self._iteration
        self._pool.check()
        if loop.is_stopping():
            # stop() before this iteration: poll once without blocking,
            # then run what is ready, as asyncio does.
            self._poll(0)
            iteration.runUntilCurrent()
        else:
            iteration.runUntilCurrent()
            if not loop.is_stopping():
                self._poll(loop.io_wait(iteration.timeout()))
        loop.tick()

    def _poll(self, timeout: float | None) -> None:
        loop = self._loop
        loop.poll_started(True)
        try:
            self._iteration.doIteration(timeout)
        finally:
            loop.poll_started(False)

    def wake(self) -> None:
        """
        Nothing to do: every iteration returns after its tick.
        """

    def finish(self) -> None:
        self._pool.finish()

    def tick_ended(self) -> None:
        """
        Never called: this driver runs every tick itself.
        """


@implementer(IReadDescriptor)
class _WakeupReader:
    """
    The reactor's reader of a wake-up socket: drains it.  Reading is all it
    is for: Python runs the handlers of the signals that wrote to it as soon
    as the toolkit's loop calls back into Python to read.

    @ivar _socket: the socket's reading end (non-blocking).
    """

    def __init__(self, sock: socket.socket) -> None:
        self._socket = sock

    def fileno(self) -> int:
        return self._socket.fileno()

    def doRead(self) -> None:
        try:
            while self._socket.recv(4096):
                pass
        except OSError:
            pass

    def connectionLost(self, reason: Failure) -> None:
        pass

    def logPrefix(self) -> str:
        return "txtornado signal wake-up"

    def close(self) -> None:
        self._socket.close()


class SignalWakeup:
    """
    While a toolkit's main loop runs, make signals wake it, as PyGObject's
    C{GLib.MainLoop.run} does: a context manager that points
    C{signal.set_wakeup_fd} at a socket the reactor reads, and puts back
    the wake-up descriptor it replaced when it exits.

    Python runs a signal's handler (such as
    L{LoopSignals <txtornado._loop_on_reactor.signals.LoopSignals>}'s, which
    hands it to the reactor) only when the interpreter runs; a toolkit's
    loop waits in C code, which retries an interrupted wait without
    returning to Python, so without this a signal (a child's C{SIGCHLD},
    C{SIGINT}) would wait for the next event.  A poller's C{doIteration}
    needs none of this: Python's own C{poll} runs the handlers when a
    signal interrupts it.

    Nothing is done outside the main thread (signals go only to the main
    thread, and only it may call C{set_wakeup_fd}).

    @ivar _reactor: the reactor that reads the socket.
    @ivar _reader: the socket's reader while entered, else C{None}.
    @ivar _write: the socket's writing end while entered, else C{None}.
    @ivar _previous: the wake-up descriptor replaced (C{-1}: none).
    """

    def __init__(self, reactor: Any) -> None:
        self._reactor = reactor
        self._reader: _WakeupReader | None = None
        self._write: socket.socket | None = None
        self._previous = -1

    def __enter__(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        read, write = socket.socketpair()
        read.setblocking(False)
        write.setblocking(False)
        self._previous = signal.set_wakeup_fd(write.fileno(), warn_on_full_buffer=False)
        self._reader, self._write = _WakeupReader(read), write
        self._reactor.addReader(self._reader)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        reader, write = self._reader, self._write
        if reader is None or write is None:
            return
        self._reader = self._write = None
        self._reactor.removeReader(reader)
        current = signal.set_wakeup_fd(self._previous)
        if current != write.fileno():
            # Set again while the loop ran (as PyGObject's MainLoop.run does
            # around its own run): leave that one.
            signal.set_wakeup_fd(current)
        reader.close()
        write.close()


class MainLoopDriver:
    """
    Drive a reactor by running its toolkit's main loop (see
    L{txtornado._compat.twisted.toolkit_main_loop}) until C{stop()}: the
    reactor's own I/O and timer glue runs the loop's ticks, which are
    reactor calls as while hosted.  An iteration begun after C{stop()}
    runs what is due without waiting (C{reactor.iterate(0)}) and ticks.

    @ivar ticks_itself: C{False}.
    @ivar _loop: the loop driven for.
    @ivar _reactor: the reactor.
    @ivar _main_loop: the toolkit's main loop of the reactor.
    @ivar _pool: the thread pool of this run.
    @ivar _in_main_loop: whether the toolkit's main loop runs now.
    """

    ticks_itself = False

    def __init__(
        self,
        loop: DrivenLoop,
        reactor: Any,
        main_loop: _twisted_private.ToolkitMainLoop,
        pool: ThreadPoolRun,
    ) -> None:
        self._loop = loop
        self._reactor = reactor
        self._main_loop = main_loop
        self._pool = pool
        self._in_main_loop = False

    def run_once(self) -> None:
        self._pool.check()
        if self._loop.is_stopping():
            self._reactor.iterate(0)
            self._loop.tick()
            return
        self._in_main_loop = True
        try:
            with SignalWakeup(self._reactor):
                self._main_loop.run()
        finally:
            self._in_main_loop = False

    def wake(self) -> None:
        """
        Quit the toolkit's main loop (it returns once the current event is
        handled).
        """
        if self._in_main_loop:
            self._main_loop.quit()

    def finish(self) -> None:
        self._pool.finish()

    def tick_ended(self) -> None:
        """
        Start the reactor's thread pool if the tick made it (e.g. through
        C{deferToThread} or the reactor's name resolver): nothing else
        runs between the toolkit's events to start it.  A run that never
        uses the pool makes none.
        """
        self._pool.check()


def driver_for(reactor: Any, loop: DrivenLoop) -> Driver:
    """
    The L{Driver} for one driving run of C{loop} on C{reactor}: a
    L{MainLoopDriver} if it runs a toolkit main loop txtornado knows how to
    run and quit (Twisted's GLib reactors, qt5reactor; it must provide
    C{IReactorCore.iterate} and C{IReactorThreads.getThreadPool}, which the
    loop's constructor and this check require), else an L{IterationDriver}
    if the reactor implements C{doIteration} (with C{runUntilCurrent} and
    C{timeout}).  A toolkit's reactor is driven through its main loop even
    where it has a C{doIteration}: qt5reactor's never waits for events (it
    processes those already queued) and refuses a fractional wait over a
    second.

    @raise NotImplementedError: if the reactor offers neither, naming what
        each strategy needs.
    """
    pool = ThreadPoolRun(reactor)
    main_loop = _twisted_private.toolkit_main_loop(reactor)
    if main_loop is not None:
        if not IReactorThreads.providedBy(reactor):
            raise NotImplementedError(
                f"cannot drive {reactor!r} without running it: its toolkit main"
                " loop is run with a thread pool, and it does not provide"
                " IReactorThreads"
            )
        return MainLoopDriver(loop, reactor, main_loop, pool)
    iteration = _twisted_private.reactor_iteration(reactor)
    if iteration is not None:
        return IterationDriver(loop, iteration, pool)
    raise NotImplementedError(
        f"cannot drive {reactor!r} without running it: it implements neither"
        " ReactorBase.doIteration (with runUntilCurrent and timeout) nor a"
        " toolkit main loop Twisted's GLib reactors run; run it with"
        " reactor.run() instead (the loop is then hosted)"
    )
