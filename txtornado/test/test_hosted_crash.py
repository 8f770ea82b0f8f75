"""
A hosted L{TwistedEventLoop} and C{reactor.crash()}: trial crashes the
reactor after every test; the thread must not keep a running asyncio loop
while no reactor runs.
"""

from __future__ import annotations

import asyncio

from twisted.internet.epollreactor import EPollReactor
from twisted.trial.unittest import SynchronousTestCase

from txtornado.eventloop import TwistedEventLoop


class CrashTests(SynchronousTestCase):
    """
    Hosted mode across C{crash()} and a second C{run()}.
    """

    def test_crashLeavesHostedMode(self) -> None:
        """
        While C{reactor.run()} hosts the loop it is the running loop; after
        C{reactor.crash()} no loop is running in the thread (another asyncio
        loop can run); the next C{run()} hosts it again; C{stop()} ends it.
        """
        reactor = EPollReactor()
        loop = TwistedEventLoop(reactor)
        seen: list[object] = []

        def first() -> None:
            seen.append(asyncio.get_running_loop())
            reactor.crash()

        reactor.callWhenRunning(first)
        reactor.run(installSignalHandlers=False)
        self.assertEqual(seen, [loop])
        self.assertRaises(RuntimeError, asyncio.get_running_loop)
        other = asyncio.new_event_loop()
        try:
            self.assertEqual(other.run_until_complete(asyncio.sleep(0, "ran")), "ran")
        finally:
            other.close()

        def second() -> None:
            seen.append(asyncio.get_running_loop())
            reactor.stop()

        reactor.callWhenRunning(second)
        reactor.run(installSignalHandlers=False)
        self.assertEqual(seen, [loop, loop])
        self.assertRaises(RuntimeError, asyncio.get_running_loop)
        self.assertNotIn("crash", vars(reactor))
        loop.close()
