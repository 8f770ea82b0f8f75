# -*- test-case-name: txtornado.test.test_eventloop -*-
"""
Signal handlers of an asyncio event loop on a Twisted reactor.

A handler is installed with C{signal.signal}, and the signal is handed to
the reactor thread with C{reactor.callFromThread} (thread- and
signal-safe), where the loop's callback is queued with C{call_soon}.
C{signal.set_wakeup_fd} is never called here (only while a toolkit's main
loop is driven, for that run:
L{SignalWakeup <txtornado._loop_on_reactor.driving.SignalWakeup>}) and
C{SIGCHLD} is never handled alone, so the reactor stays the only owner of
both, and Twisted's
C{spawnProcess} keeps working next to asyncio subprocesses: a C{SIGCHLD}
handler also calls the handler it replaced (Twisted's process reaping).
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from txtornado._compat import asyncio as _private

__all__ = ["LoopSignals"]

_SignalHandler = Callable[[int, FrameType | None], Any] | int | None


class LoopSignals:
    """
    The signal handlers of one loop (its C{add_signal_handler} and
    C{remove_signal_handler}).  C{add}/C{remove} run in the main thread;
    the Python-level handler runs in the main thread at any point, and
    the loop's callbacks run in the reactor thread.

    @ivar _loop: the loop whose C{call_soon} runs the callbacks; C{None}
        once closed (L{close}), so that no reference cycle outlives it.
    @ivar _reactor: the reactor whose C{callFromThread} delivers signals.
    @ivar _handlers: signal number -> (callback, args) of the loop.
    @ivar _previous: signal number -> the handler C{add} replaced, put back
        by C{remove}.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, reactor: Any) -> None:
        self._loop: asyncio.AbstractEventLoop | None = loop
        self._reactor = reactor
        self._handlers: dict[int, tuple[Callable[..., object], tuple[Any, ...]]] = {}
        self._previous: dict[int, _SignalHandler] = {}

    def add(self, sig: int, callback: Callable[..., object], args: Any) -> None:
        """
        Call C{callback(*args)} in the loop when signal C{sig} arrives.

        @raise ValueError: if C{sig} is not a valid signal.
        @raise RuntimeError: if not called from the main thread, or the
            signal cannot be caught.
        @raise TypeError: if C{callback} is a coroutine (function).
        @raise RuntimeError: if the loop is closed.
        """
        if asyncio.iscoroutine(callback) or asyncio.iscoroutinefunction(callback):
            raise TypeError("coroutines cannot be used with add_signal_handler()")
        check_signal_number(sig)
        if self._loop is None:
            raise RuntimeError("Event loop is closed")
        _private.check_closed(self._loop)
        if threading.current_thread() is not threading.main_thread():
            raise RuntimeError("add_signal_handler() only works in the main thread")
        try:
            previous = signal.signal(sig, self._received)
        except (OSError, ValueError) as e:
            raise RuntimeError(f"sig {sig} cannot be caught: {e}") from None
        if sig not in self._previous:
            self._previous[sig] = previous
        self._handlers[sig] = (callback, tuple(args))
        signal.siginterrupt(sig, False)

    def remove(self, sig: int) -> bool:
        """
        Remove the handler for C{sig} and put back the handler it replaced.
        Return C{True} if there was one.
        """
        check_signal_number(sig)
        if self._handlers.pop(sig, None) is None:
            return False
        previous = self._previous.pop(sig, signal.SIG_DFL)
        if previous is None:
            previous = signal.SIG_DFL
        try:
            signal.signal(sig, previous)
        except (OSError, ValueError) as e:
            raise RuntimeError(f"cannot restore handler of sig {sig}: {e}") from None
        return True

    def close(self) -> None:
        """
        The loop is closing: remove every handler, and forget the loop.
        """
        for sig in list(self._handlers):
            self.remove(sig)
        self._loop = None

    def _received(self, signum: int, frame: FrameType | None) -> None:
        """
        The Python-level signal handler: runs in the main thread, at any
        point.  Only hands the signal to the reactor thread.
        """
        if signum == signal.SIGCHLD:
            previous = self._previous.get(signum)
            if callable(previous):
                previous(signum, frame)
        self._reactor.callFromThread(self._deliver, signum)

    def _deliver(self, signum: int) -> None:
        entry = self._handlers.get(signum)
        loop = self._loop
        if entry is not None and loop is not None and not loop.is_closed():
            callback, args = entry
            loop.call_soon(callback, *args)


def check_signal_number(sig: int) -> None:
    """
    @raise TypeError: if C{sig} is not an C{int}.
    @raise ValueError: if C{sig} is not a valid signal number.
    """
    if not isinstance(sig, int):
        raise TypeError(f"sig must be an int, not {sig!r}")
    if sig not in signal.valid_signals():
        raise ValueError(f"invalid signal number {sig}")
