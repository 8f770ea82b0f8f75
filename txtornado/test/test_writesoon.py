"""
Tests for L{txtornado._reactor_on_loop.writesoon}.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from twisted.internet.tcp import Connection
from twisted.trial.unittest import SynchronousTestCase

from txtornado._reactor_on_loop.writesoon import UNREGISTERED, WriteSoon


def connection(connected: bool = True) -> Connection:
    """
    A C{tcp.Connection} with no socket: all L{WriteSoon} looks at is its
    class, C{connected} and C{logPrefix()}.
    """
    transport = Connection.__new__(Connection)
    transport.connected = connected
    transport.logstr = "test"
    return transport


class WriteSoonTests(SynchronousTestCase):
    """
    L{WriteSoon} writes connected transports at the next callback and
    registers the ones left with data to write.
    """

    def setUp(self) -> None:
        self.soon: list[Callable[[], object]] = []
        self.writers: dict[Any, int] = {}
        self.events: list[tuple[str, object]] = []
        self.leaveUnsent: set[object] = set()
        self.writeSoon = WriteSoon(
            self.soon.append,
            self.writers,
            self.doWrite,
            lambda writer: self.events.append(("register", writer)),
            lambda: self.events.append(("before", None)),
        )

    def doWrite(self, writer: Any, isRead: bool) -> None:
        self.events.append(("doWrite", writer))
        if writer not in self.leaveUnsent:
            # All written: the transport removes itself as a writer.
            del self.writers[writer]

    def flush(self) -> None:
        callbacks, self.soon[:] = list(self.soon), []
        for callback in callbacks:
            callback()

    def test_notOffered(self) -> None:
        """
        A descriptor that is no connected C{tcp.Connection} is refused.
        """
        self.assertFalse(self.writeSoon.offer(object()))  # type: ignore[arg-type]
        self.assertFalse(self.writeSoon.offer(connection(connected=False)))
        self.assertEqual((self.soon, self.writers), ([], {}))

    def test_oneCallbackForAll(self) -> None:
        """
        Writers offered before the callback are written by one callback, in
        order, after C{beforeFlush}; none is registered when all is sent.
        """
        one, two = connection(), connection()
        self.assertTrue(self.writeSoon.offer(one))
        self.assertTrue(self.writeSoon.offer(two))
        self.assertEqual(self.writers, {one: UNREGISTERED, two: UNREGISTERED})
        self.assertEqual(len(self.soon), 1)
        self.flush()
        self.assertEqual(
            self.events, [("before", None), ("doWrite", one), ("doWrite", two)]
        )
        self.assertEqual(self.writers, {})

    def test_bulkWriter(self) -> None:
        """
        A writer left with data unsent is registered, and is refused (to be
        registered at once) from then on.
        """
        bulk = connection()
        self.leaveUnsent.add(bulk)
        self.writeSoon.offer(bulk)
        self.flush()
        self.assertEqual(self.events[-1], ("register", bulk))
        self.assertNotIn(bulk, self.writers)
        self.assertFalse(self.writeSoon.offer(bulk))

    def test_removedBeforeCallback(self) -> None:
        """
        A writer removed before the callback is not written.
        """
        gone = connection()
        self.writeSoon.offer(gone)
        del self.writers[gone]
        self.flush()
        self.assertEqual(self.events, [("before", None)])

    def test_heldUntilRelease(self) -> None:
        """
        Writers offered while a reactor event holds are written by its
        L{WriteSoon.release}, with no loop callback, and holding ends.
        """
        one, two = connection(), connection()
        self.writeSoon.holding = True
        self.writeSoon.offer(one)
        self.writeSoon.offer(two)
        self.assertEqual((self.soon, self.events), ([], []))
        self.writeSoon.release()
        self.assertEqual(self.events, [("doWrite", one), ("doWrite", two)])
        self.assertEqual(self.writers, {})
        self.assertFalse(self.writeSoon.holding)

    def test_releaseWritesWhatWritesOffer(self) -> None:
        """
        A writer offered by another's C{doWrite} during L{WriteSoon.release}
        is written by that same release.
        """
        first, second = connection(), connection()
        doWrite = self.doWrite

        def offering(writer: Any, isRead: bool) -> None:
            doWrite(writer, isRead)
            if writer is first:
                self.writeSoon.offer(second)

        self.writeSoon._doWrite = offering
        self.writeSoon.holding = True
        self.writeSoon.offer(first)
        self.writeSoon.release()
        self.assertEqual(self.events, [("doWrite", first), ("doWrite", second)])
        self.assertEqual(self.soon, [])

    def test_releaseEndsHoldingOnError(self) -> None:
        """
        If a write raises past the reactor's logging (a C{BaseException}),
        holding still ends, so later offers schedule the loop callback.
        """
        broken = connection()

        def raising(writer: Any, isRead: bool) -> None:
            raise KeyboardInterrupt()

        self.writeSoon._doWrite = raising
        self.writeSoon.holding = True
        self.writeSoon.offer(broken)
        self.assertRaises(KeyboardInterrupt, self.writeSoon.release)
        self.assertFalse(self.writeSoon.holding)
        self.writeSoon.offer(connection())
        self.assertEqual(len(self.soon), 1)
