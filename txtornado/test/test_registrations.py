"""
Tests for L{txtornado._reactor_on_loop.registrations}.
"""

from __future__ import annotations

from typing import Any

from twisted.trial.unittest import SynchronousTestCase

from txtornado._reactor_on_loop.registrations import DETACHED, LoopRegistrations


class FakeDriver:
    """
    The L{LoopDriver} methods L{LoopRegistrations} calls, recording them.
    """

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []
        self.refuse: BaseException | None = None

    def addReader(self, fd: int, callback: Any, *args: object) -> None:
        self.calls.append(("addReader", fd))
        if self.refuse is not None:
            raise self.refuse

    def addWriter(self, fd: int, callback: Any, *args: object) -> None:
        self.calls.append(("addWriter", fd))
        if self.refuse is not None:
            raise self.refuse

    def removeReader(self, fd: int) -> None:
        self.calls.append(("removeReader", fd))

    def removeWriter(self, fd: int) -> None:
        self.calls.append(("removeWriter", fd))

    def forgetDescriptor(self, fd: int) -> None:
        self.calls.append(("forget", fd))


class LoopRegistrationsTests(SynchronousTestCase):
    """
    L{LoopRegistrations} records registrations and hands a reused number
    to the descriptor that registers it last.
    """

    def setUp(self) -> None:
        self.driver = FakeDriver()
        self.registrations = LoopRegistrations(self.driver)  # type: ignore[arg-type]

    def test_addRemove(self) -> None:
        """
        A registered reader and writer are listed with their fd; removing
        them removes the loop's registrations and says they were listed.
        """
        reader, writer = object(), object()
        self.registrations.addReader(reader, 7, print)
        self.registrations.addWriter(writer, 8, print)
        self.assertEqual(self.registrations.readers, {reader: 7})
        self.assertEqual(self.registrations.writers, {writer: 8})
        self.assertTrue(self.registrations.removeReader(reader))
        self.assertTrue(self.registrations.removeWriter(writer))
        self.assertFalse(self.registrations.removeReader(reader))
        self.assertEqual(
            self.driver.calls,
            [
                ("addReader", 7),
                ("addWriter", 8),
                ("removeReader", 7),
                ("removeWriter", 8),
            ],
        )

    def test_reusedNumber(self) -> None:
        """
        A descriptor registering a number another one holds takes it over:
        the other's loop registrations are removed first, it stays listed
        as DETACHED, and removing it leaves the new registration alone.
        """
        old, new = object(), object()
        self.registrations.addReader(old, 5, print)
        self.registrations.addWriter(old, 5, print)
        del self.driver.calls[:]
        self.registrations.addReader(new, 5, print)
        self.assertEqual(
            self.driver.calls,
            [("removeReader", 5), ("removeWriter", 5), ("addReader", 5)],
        )
        self.assertEqual(self.registrations.readers, {old: DETACHED, new: 5})
        self.assertEqual(self.registrations.writers, {old: DETACHED})
        del self.driver.calls[:]
        self.assertTrue(self.registrations.removeReader(old))
        self.assertTrue(self.registrations.removeWriter(old))
        self.assertEqual(self.driver.calls, [])
        self.assertEqual(self.registrations.readers, {new: 5})

    def test_refused(self) -> None:
        """
        A registration the loop refuses is undone and not recorded, and the
        loop's exception propagates.
        """
        reader = object()
        self.driver.refuse = PermissionError()
        self.assertRaises(
            PermissionError, self.registrations.addReader, reader, 3, print
        )
        self.assertRaises(
            PermissionError, self.registrations.addWriter, reader, 3, print
        )
        self.assertEqual(self.registrations.readers, {})
        self.assertEqual(self.registrations.writers, {})
        self.assertEqual(
            self.driver.calls,
            [("addReader", 3), ("forget", 3), ("addWriter", 3), ("forget", 3)],
        )
