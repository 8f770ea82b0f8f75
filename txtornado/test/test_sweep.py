"""
Tests for L{txtornado._reactor_on_loop.sweep}.
"""

from __future__ import annotations

from typing import Any

from twisted.trial.unittest import SynchronousTestCase

from txtornado._reactor_on_loop.sweep import LostDescriptorSweep


class Descriptor:
    def __init__(self, fd: int | None) -> None:
        self.fd = fd

    def fileno(self) -> int:
        if self.fd is None:
            raise OSError("gone")
        return self.fd


class FakeHandle:
    def __init__(self) -> None:
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class LostDescriptorSweepTests(SynchronousTestCase):
    """
    L{LostDescriptorSweep} disconnects lost descriptors and keeps one timer.
    """

    def setUp(self) -> None:
        self.armed: list[tuple[float, FakeHandle]] = []
        self.readers: dict[Any, int] = {}
        self.writers: dict[Any, int] = {}
        self.lost: list[tuple[Any, bool]] = []
        self.interval = 2.0
        self.sweep = LostDescriptorSweep(
            self.callLater,
            lambda: self.interval,
            self.readers,
            self.writers,
            self.disconnect,
        )

    def callLater(self, delay: float, callback: Any) -> Any:
        handle = FakeHandle()
        self.armed.append((delay, handle))
        return handle

    def disconnect(self, selectable: Any, isRead: bool) -> None:
        self.lost.append((selectable, isRead))
        (self.readers if isRead else self.writers).pop(selectable)

    def test_armOnce(self) -> None:
        """
        C{arm} arms one timer, with the interval read then.
        """
        self.sweep.arm()
        self.interval = 5.0
        self.sweep.arm()
        self.assertEqual([delay for delay, _ in self.armed], [2.0])

    def test_sweep(self) -> None:
        """
        A sweep disconnects each descriptor whose C{fileno()} is -1 or
        raises, once, says whether it was a reader, cancels an armed timer
        (called directly) and re-arms while descriptors remain.
        """
        gone, raises, alive, goneWriter = (
            Descriptor(-1),
            Descriptor(None),
            Descriptor(5),
            Descriptor(-1),
        )
        self.readers.update({gone: 3, raises: 4, alive: 5})
        self.writers.update({goneWriter: 6})
        self.sweep.arm()
        self.sweep.sweep()
        self.assertEqual(self.lost, [(gone, True), (raises, True), (goneWriter, False)])
        self.assertTrue(self.armed[0][1].cancelled)
        self.assertEqual(len(self.armed), 2)
        del self.readers[alive]
        self.sweep.sweep()
        self.assertEqual(len(self.armed), 2)
