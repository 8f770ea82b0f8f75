# -*- test-case-name: txtornado.test.test_runstate -*-
"""
Who drives a L{TornadoReactor<txtornado.reactor.TornadoReactor>}'s loop
right now, and whether C{run()}'s startup is still to fire: one explicit
state, L{RunState}, with its transitions.
"""

from __future__ import annotations

import enum
from collections.abc import Callable


class Phase(enum.Enum):
    """
    What is driving the loop on the reactor's behalf.
    """

    #: Nothing: no C{run()} or C{iterate()} of the reactor is on the stack,
    #: and the reactor was not started by someone else's run of the loop.
    IDLE = "idle"
    #: C{run()} is on the stack and its startup event has not fired yet.
    STARTING = "starting"
    #: C{run()} is on the stack and its startup event has fired.
    RUNNING = "running"
    #: C{iterate()} is on the stack: the next reactor event stops the loop.
    ITERATING = "iterating"
    #: The loop's owner started the loop (C{IOLoop.start()}, asyncio's
    #: C{run_until_complete}) and the reactor started with it; no C{run()}
    #: is on the stack.
    HOSTED = "hosted"


class RunState:
    """
    The run state of one reactor on a loop, with its transitions::

        IDLE     --beginRun-->      STARTING  --fireStartup--> RUNNING
        HOSTED   --resumeHosted-->  RUNNING
        STARTING, RUNNING --endRun--> IDLE
        IDLE     --host-->          HOSTED
        any      --beginIterate-->  ITERATING --endIterate--> (the phase before)

    A transition asked of a phase that has none (say C{host} while
    C{RUNNING}) is a programming error and raises C{AssertionError}, except
    L{fireStartup}, which does nothing outside C{STARTING}: every reactor
    entry point the loop can reach before C{run()}'s own startup callback
    (stop, crash, thread calls, early writes, the timer) calls it, so that
    nothing the reactor runs precedes startup.

    Every method runs in the loop's thread.

    @ivar phase: The current L{Phase}.
    @ivar _startRunning: Called with C{installSignalHandlers} to fire the
        reactor's startup (the reactor's C{startRunning}).
    @ivar _installSignalHandlers: C{run()}'s argument, kept while
        C{STARTING}.
    """

    __slots__ = ("_installSignalHandlers", "_startRunning", "phase")

    def __init__(self, startRunning: Callable[[bool], None]) -> None:
        self.phase = Phase.IDLE
        self._startRunning = startRunning
        self._installSignalHandlers = False

    def __repr__(self) -> str:
        return f"<RunState {self.phase.name}>"

    @property
    def inRun(self) -> bool:
        """
        Whether C{run()} is on the stack.
        """
        return self.phase is Phase.STARTING or self.phase is Phase.RUNNING

    def beginRun(self, installSignalHandlers: bool) -> None:
        """
        C{run()} starts the loop; its startup fires at the first
        L{fireStartup}.
        """
        assert self.phase is Phase.IDLE, self
        self.phase = Phase.STARTING
        self._installSignalHandlers = installSignalHandlers

    def resumeHosted(self) -> None:
        """
        C{run()} carries on a reactor that an earlier run of the loop by its
        owner started: no startup to fire.
        """
        assert self.phase is Phase.HOSTED, self
        self.phase = Phase.RUNNING

    def fireStartup(self) -> None:
        """
        Fire C{run()}'s startup if it has not fired yet; otherwise do
        nothing.
        """
        if self.phase is Phase.STARTING:
            self.phase = Phase.RUNNING
            self._startRunning(self._installSignalHandlers)

    def endRun(self) -> None:
        """
        C{run()} returns (the loop stopped).
        """
        assert self.inRun, self
        self.phase = Phase.IDLE

    def host(self) -> None:
        """
        The loop's owner ran the loop and the reactor starts with it.
        """
        assert self.phase is Phase.IDLE, self
        self.phase = Phase.HOSTED

    def beginIterate(self) -> Phase:
        """
        C{iterate()} runs the loop for one reactor event; return the phase
        to give to L{endIterate}.
        """
        previous = self.phase
        self.phase = Phase.ITERATING
        return previous

    def endIterate(self, previous: Phase) -> None:
        """
        C{iterate()} returns: back to the phase before it.
        """
        self.phase = previous
