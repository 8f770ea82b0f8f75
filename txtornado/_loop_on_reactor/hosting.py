# -*- test-case-name: txtornado.test.test_hosted_crash,txtornado.test.test_eventloop -*-
"""
Hosted mode: an asyncio event loop while C{reactor.run()} runs its reactor.

For the whole of C{reactor.run()} the loop is the running loop of the
reactor thread (C{asyncio.get_running_loop()} returns it inside Twisted
and asyncio callbacks alike), entered from a C{'during startup'} system
event trigger (or at once, for a loop created while the reactor runs) and
left from an C{'after shutdown'} trigger, or when the reactor is crashed
(C{reactor.crash()} ends C{reactor.run()} without any system event; trial
does it after every test).

Everything here runs in the reactor thread, except L{ReactorHosting.close},
which runs where the loop is closed.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

from txtornado._compat import asyncio as _private
from txtornado._compat import twisted as _twisted_private

__all__ = ["ReactorHosting"]


class ReactorHosting:
    """
    Enter and leave hosted mode for one loop on one reactor.

    @ivar thread: the thread ident of the reactor thread while hosted,
        else C{None}.
    @ivar _loop: the loop; C{None} once closed (L{close}), with
        C{_may_enter} and C{_entered}, so that no reference cycle outlives
        it.
    @ivar _reactor: the reactor.
    @ivar _may_enter: whether the loop may be entered now (open, not
        driving).
    @ivar _entered: called after the loop was entered.
    @ivar _state: what entering replaced (L{txtornado._compat.asyncio.RunState}),
        while hosted.
    @ivar _triggers: the system event triggers added, for L{close}.
    @ivar _unwrap_crash: undoes the crash wrapper while hosted, or C{None}.
    @ivar _closed: whether L{close} was called.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        reactor: Any,
        may_enter: Callable[[], bool],
        entered: Callable[[], None],
    ) -> None:
        self.thread: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = loop
        self._reactor = reactor
        self._may_enter = may_enter
        self._entered = entered
        self._state: _private.RunState | None = None
        self._unwrap_crash: Callable[[], None] | None = None
        self._closed = False
        self._triggers = [
            reactor.addSystemEventTrigger("during", "startup", self.enter),
            reactor.addSystemEventTrigger("after", "shutdown", self.exit),
        ]
        if reactor.running:
            # Created inside a reactor callback: we are hosted already.
            self.enter()

    @property
    def hosted(self) -> bool:
        """
        Whether the loop is hosted now.
        """
        return self._state is not None

    def enter(self) -> None:
        """
        The reactor started (or was running when the loop was created): make
        the loop the running loop of the reactor thread, unless another loop
        runs this thread (e.g. the reactor itself runs on asyncio).
        """
        if self._state is not None or self._closed or not self._may_enter():
            return
        if _private.get_running_loop_or_none() is not None or self._loop is None:
            return
        self._state = _private.enter_run(self._loop)
        self.thread = threading.get_ident()
        self._unwrap_crash = _twisted_private.wrap_crash(self._reactor, self._crashed)
        self._entered()

    def _crashed(self) -> None:
        """
        The reactor was crashed: leave hosted mode, and register the startup
        trigger again (startup triggers fire once; C{crash()} re-adds the
        reactor's own for the next run), through which the next
        C{reactor.run()} enters.
        """
        self.exit()
        if not self._closed:
            self._triggers.append(
                self._reactor.addSystemEventTrigger("during", "startup", self.enter)
            )

    def exit(self) -> None:
        """
        The reactor shut down or crashed: undo L{enter}.  Does nothing
        outside the reactor thread.
        """
        state = self._state
        if state is None or threading.get_ident() != self.thread:
            return
        self._state = None
        self.thread = None
        unwrap, self._unwrap_crash = self._unwrap_crash, None
        if unwrap is not None:
            unwrap()
        if self._loop is not None:
            _private.exit_run(self._loop, state)

    def close(self) -> None:
        """
        The loop is closing: remove the triggers and leave hosted mode.
        """
        self._closed = True
        for trigger in self._triggers:
            try:
                self._reactor.removeSystemEventTrigger(trigger)
            except ValueError:
                pass  # it fired already: Twisted dropped it
        self._triggers = []
        self.exit()
        self._loop = None
        self._may_enter = _never
        self._entered = _nothing


def _never() -> bool:
    return False


def _nothing() -> None:
    pass
