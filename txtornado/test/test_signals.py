"""
Tests for L{txtornado._reactor_on_loop.signals}: a reactor's signal handling
on an asyncio loop (SIGINT and SIGTERM with C{signal.signal}, SIGCHLD through
the loop's C{add_signal_handler}).  Signals are raised in this process with
C{signal.raise_signal}, which runs Python's handlers before it returns.
Runs under pytest and trial.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from typing import Any

from twisted.logger import formatEvent, globalLogPublisher
from twisted.trial.unittest import SynchronousTestCase

from txtornado._reactor_on_loop.signals import AsyncioSignalHandling


class SignalHandlingTests(SynchronousTestCase):
    """
    L{AsyncioSignalHandling} on a stdlib asyncio loop, in this process
    (whose main thread runs the tests).
    """

    def setUp(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.addCleanup(self.loop.close)
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD):
            self.addCleanup(signal.signal, signum, signal.getsignal(signum))
        # The loop's add_signal_handler replaces the process's wakeup fd.
        wakeup = signal.set_wakeup_fd(-1)
        signal.set_wakeup_fd(wakeup)
        self.addCleanup(signal.set_wakeup_fd, wakeup)
        self.calls: list[int] = []
        self.reaped = 0
        #: set, once, by a reap after install's own (with the thread's id)
        self.reapedAgain: asyncio.Future[int] | None = None

    def _handling(self, reap: bool = False) -> AsyncioSignalHandling:
        def handler(signum: int, frame: object) -> None:
            self.calls.append(signum)

        def reapProcesses() -> None:
            self.reaped += 1
            if self.reapedAgain is not None and not self.reapedAgain.done():
                self.reapedAgain.set_result(threading.get_ident())

        handling = AsyncioSignalHandling(
            self.loop, handler, handler, reapProcesses if reap else None
        )
        self.addCleanup(handling.uninstall)
        return handling

    def test_installAndUninstall(self) -> None:
        """
        C{install} puts the reactor's handlers in place with
        C{signal.signal} (SIGINT only over Python's default one);
        C{uninstall} puts back the ones they replaced, once.
        """
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        handling = self._handling()
        handling.install()
        self.assertIs(signal.getsignal(signal.SIGINT), handling._sigInt)
        self.assertIs(signal.getsignal(signal.SIGTERM), handling._sigTerm)
        handling.uninstall()
        handling.uninstall()
        self.assertIs(signal.getsignal(signal.SIGINT), signal.default_int_handler)
        self.assertIs(signal.getsignal(signal.SIGTERM), signal.SIG_IGN)

    def test_applicationHandlersStay(self) -> None:
        """
        A SIGINT handler in place before C{install} is left alone; handlers
        the application installs after C{install} stay after
        C{uninstall}.
        """

        def mine(signum: int, frame: object) -> None:
            pass

        def mineToo(signum: int, frame: object) -> None:
            pass

        signal.signal(signal.SIGINT, mine)
        handling = self._handling()
        handling.install()
        self.assertIs(signal.getsignal(signal.SIGINT), mine)
        previous = signal.signal(signal.SIGTERM, mineToo)
        self.assertIs(previous, handling._sigTerm)
        handling.uninstall()
        self.assertIs(signal.getsignal(signal.SIGINT), mine)
        self.assertIs(signal.getsignal(signal.SIGTERM), mineToo)

    def test_signalsReachHandlers(self) -> None:
        """
        SIGINT and SIGTERM raised after C{install} call the reactor's
        handlers, with the signal number.
        """
        signal.signal(signal.SIGINT, signal.default_int_handler)
        self._handling().install()
        signal.raise_signal(signal.SIGTERM)
        signal.raise_signal(signal.SIGINT)
        self.assertEqual(self.calls, [signal.SIGTERM, signal.SIGINT])

    def test_sigchldThroughLoop(self) -> None:
        """
        With C{reapProcesses}, C{install} reaps once at once (children that
        exited before), and SIGCHLD reaches it through the loop's
        C{add_signal_handler}, in the loop; C{uninstall} removes it from
        the loop.
        """
        handling = self._handling(reap=True)
        handling.install()
        self.assertEqual(self.reaped, 1)
        self.reapedAgain = self.loop.create_future()
        signal.raise_signal(signal.SIGCHLD)
        self.assertEqual(
            self.loop.run_until_complete(asyncio.wait_for(self.reapedAgain, 10)),
            threading.get_ident(),
        )
        self.assertEqual(self.reaped, 2)
        handling.uninstall()
        self.assertFalse(self.loop.remove_signal_handler(signal.SIGCHLD))

    def test_signalAfterUninstallDropped(self) -> None:
        """
        A SIGCHLD whose callback the loop had already queued when
        C{uninstall} ran does not reap (as Twisted's reactors drop a signal
        still in their pipe).
        """
        handling = self._handling(reap=True)
        handling.install()

        def uninstallAndStop() -> None:
            handling.uninstall()
            self.loop.stop()

        # The loop's first iteration reads the signal from its self-pipe
        # and queues the signal's callback; a callback queued by one that
        # runs before the read (so in the same iteration) runs before it.
        self.loop.call_soon(self.loop.call_soon, uninstallAndStop)
        signal.raise_signal(signal.SIGCHLD)
        self.loop.run_forever()
        self.assertEqual(self.reaped, 1)

    def test_notMainThread(self) -> None:
        """
        Outside the main thread, C{install} installs nothing and logs why
        (still reaping once); C{uninstall} then does nothing.
        """
        signal.signal(signal.SIGINT, signal.default_int_handler)
        before = [signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)]
        handling = self._handling(reap=True)
        events: list[dict[str, Any]] = []
        globalLogPublisher.addObserver(events.append)
        self.addCleanup(globalLogPublisher.removeObserver, events.append)
        failures: list[BaseException] = []

        def inThread() -> None:
            try:
                handling.install()
                handling.uninstall()
            except BaseException as e:
                failures.append(e)

        thread = threading.Thread(target=inThread)
        thread.start()
        thread.join(10)
        self.assertEqual(failures, [])
        self.assertEqual(
            [signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)], before
        )
        self.assertEqual(self.reaped, 1)
        logged = [formatEvent(e) for e in events]
        self.assertEqual(
            {m.split(":")[0] for m in logged if "Cannot install" in m},
            {
                f"Cannot install a handler for signal {int(signal.SIGINT)}",
                f"Cannot install a handler for signal {int(signal.SIGTERM)}",
            },
        )
