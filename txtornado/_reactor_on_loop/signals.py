# -*- test-case-name: txtornado.test.test_signals,txtornado.test.test_childwatcher -*-
"""
Reactor signal handling that leaves asyncio the only owner of
C{signal.set_wakeup_fd}, and the child watcher that reaps a reactor's
children where SIGCHLD does not reach it.

Twisted's own reactors handle SIGINT and SIGTERM with C{signal.signal}, so an
application that installs its own handler later replaces the reactor's (and
may chain to it: C{signal.signal} returns it).  This module does the same.

SIGCHLD is different: Twisted's reactors handle it with a pipe installed
through C{signal.set_wakeup_fd}, and asyncio's C{add_signal_handler} installs
its self-pipe through the same, process-global call: whichever comes second
silently disables the other.  A reactor that runs on an asyncio loop
therefore hands SIGCHLD to the loop's C{add_signal_handler}.  The loop's
wakeup fd (asyncio's, set up by that registration, or uvloop's own) also
wakes the loop for SIGINT and SIGTERM, whichever thread the kernel delivers
them to, so that Python runs their handlers at once.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable
from types import FrameType

from twisted.logger import Logger

_log = Logger()

SignalHandler = Callable[[int, "FrameType | None"], None]


class AsyncioSignalHandling:
    """
    A Twisted C{SignalHandling} (C{install}/C{uninstall}) for a reactor on
    an asyncio loop: SIGINT and SIGTERM through C{signal.signal}, SIGCHLD
    through the loop's C{add_signal_handler}.

    As on Twisted's own reactors:

      - SIGINT is taken only while Python's default handler is in place (so
        a debugger's or the application's own handler wins); SIGTERM is
        taken always.
      - A handler the application installs with C{signal.signal} after
        C{install} replaces the reactor's: the reactor no longer sees that
        signal, and the application may call the reactor's handler (the
        value C{signal.signal} returned) itself, e.g. after a graceful
        shutdown.  So does a handler installed with the loop's
        C{add_signal_handler}.

    SIGCHLD reaps Twisted's child processes (L{twisted.internet.process})
    where the loop lets it be handled.  Both methods run in the loop's
    thread; outside the main thread signal handlers cannot be installed,
    and C{install} logs that and does nothing.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        sigInt: SignalHandler,
        sigTerm: SignalHandler,
        reapProcesses: Callable[[], None] | None,
    ) -> None:
        self._loop = loop
        self._sigInt = sigInt
        self._sigTerm = sigTerm
        self._reapProcesses = reapProcesses
        #: signals registered with the loop's add_signal_handler
        self._installed: list[int] = []
        #: signal -> (the handler installed with signal.signal, the one it
        #: replaced)
        self._replaced: dict[int, tuple[SignalHandler, object]] = {}

    def _set(self, signum: int, handler: SignalHandler) -> None:
        try:
            previous = signal.signal(signum, handler)
        except ValueError as e:
            # Not the main thread.
            _log.info(
                "Cannot install a handler for signal {signum}: {error}",
                signum=signum,
                error=e,
            )
        else:
            self._replaced[signum] = (handler, previous)

    def _add(
        self,
        signum: int,
        callback: Callable[..., object],
        *args: object,
        quiet: bool = False,
    ) -> None:
        try:
            self._loop.add_signal_handler(
                signum, self._dispatch, signum, callback, *args
            )
        except (ValueError, RuntimeError) as e:
            # Not the main thread, or a loop that keeps this signal (uvloop
            # keeps SIGCHLD for its own subprocesses).
            if not quiet:
                _log.info(
                    "Cannot install a handler for signal {signum}: {error}",
                    signum=signum,
                    error=e,
                )
        else:
            self._installed.append(signum)

    def _dispatch(
        self, signum: int, callback: Callable[..., object], *args: object
    ) -> None:
        """
        Call C{callback} for a signal, unless its handler was uninstalled
        since the signal arrived: the loop runs a signal's callback on a
        later pass, and would run it even after C{remove_signal_handler}
        (then in another reactor's run on the same loop), where Twisted's
        own reactors drop a signal still in their pipe with the pipe.
        """
        if signum in self._installed:
            callback(*args)

    def install(self) -> None:
        """
        Install the handlers (called in the 'during startup' phase).
        """
        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            self._set(signal.SIGINT, self._sigInt)
        self._set(signal.SIGTERM, self._sigTerm)
        if self._reapProcesses is not None:
            # Quiet: where the loop refuses, the reactor watches its children
            # through pidfds instead.
            self._add(signal.SIGCHLD, self._reapProcesses, quiet=True)
            # Reap children that exited before the handler was in place.
            self._reapProcesses()

    def uninstall(self) -> None:
        """
        Remove what L{install} installed; idempotent.  A SIGINT or SIGTERM
        handler is put back as it was only where the reactor's is still in
        place (one the application installed since stays).
        """
        replaced, self._replaced = self._replaced, {}
        for signum, (handler, previous) in replaced.items():
            if signal.getsignal(signum) is handler:
                # None: a handler installed from outside Python.
                restore = signal.SIG_DFL if previous is None else previous
                signal.signal(signum, restore)  # type: ignore[arg-type]
        installed, self._installed = self._installed, []
        if self._loop.is_closed():
            return
        for signum in installed:
            self._loop.remove_signal_handler(signum)


class PidfdChildWatcher:
    """
    Reaps a reactor's C{spawnProcess} children whether or not SIGCHLD
    reaches the reactor (uvloop keeps SIGCHLD to itself, and with
    C{installSignalHandlers=False} nobody handles it): on Linux, a pidfd for
    each child is watched by the loop for readability, which it gets when
    the child exits; then the reactor's children are reaped.  Where pidfds
    are not available (or the child is already gone) nothing is watched and
    SIGCHLD handling (L{AsyncioSignalHandling}) reaps the child.

    All methods run in the loop's thread.

    @ivar _loop: The asyncio loop that watches the pidfds.
    @ivar _claimNumber: Called with a new pidfd before the loop registers
        it: frees that file descriptor number in the reactor's own
        bookkeeping (a descriptor closed behind the reactor's back may still
        hold it).
    @ivar _reapProcesses: Reaps the reactor's exited children
        (L{twisted.internet.process.reapAllProcesses}).
    @ivar _pidfds: Process id to pidfd, of the children being watched.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        claimNumber: Callable[[int], None],
        reapProcesses: Callable[[], None],
    ) -> None:
        self._loop = loop
        self._claimNumber = claimNumber
        self._reapProcesses = reapProcesses
        self._pidfds: dict[int, int] = {}

    def watching(self) -> list[int]:
        """
        The process ids of the children being watched.
        """
        return list(self._pidfds)

    def watch(self, pid: int) -> None:
        """
        Watch child C{pid} until it exits or L{forgetAll}.
        """
        try:
            pidfd = os.pidfd_open(pid)
        except (AttributeError, OSError):
            # No pidfd support, or the child is already gone (and reaped by
            # SIGCHLD handling or on the next one).
            return
        self._claimNumber(pidfd)
        self._pidfds[pid] = pidfd
        self._loop.add_reader(pidfd, self._exited, pid)

    def _exited(self, pid: int) -> None:
        self._forget(pid)
        self._reapProcesses()

    def _forget(self, pid: int) -> None:
        pidfd = self._pidfds.pop(pid, None)
        if pidfd is not None:
            if not self._loop.is_closed():
                self._loop.remove_reader(pidfd)
            os.close(pidfd)

    def forgetAll(self) -> None:
        """
        Stop watching every child (their pidfds are closed).
        """
        for pid in list(self._pidfds):
            self._forget(pid)
