"""
Tests for L{txtornado._reactor_on_loop.signals.PidfdChildWatcher}.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

from twisted.trial.unittest import SynchronousTestCase

from txtornado._reactor_on_loop.signals import PidfdChildWatcher


class PidfdChildWatcherTests(SynchronousTestCase):
    """
    L{PidfdChildWatcher} reaps a child when its pidfd becomes readable.
    """

    def setUp(self) -> None:
        if not hasattr(os, "pidfd_open"):
            raise AssertionError("os.pidfd_open is missing: Linux 5.3+ expected")
        self.loop = asyncio.new_event_loop()
        self.addCleanup(self.loop.close)
        self.claimed: list[int] = []

    def test_childExitReaps(self) -> None:
        """
        A watched child that exits makes the watcher call C{reapProcesses},
        once, and forget the child (its pidfd closed, its number claimed
        first).
        """
        child = subprocess.Popen([sys.executable, "-c", "pass"])
        self.addCleanup(child.wait)
        reaped = self.loop.create_future()

        def reap() -> None:
            reaped.set_result(child.wait())

        watcher = PidfdChildWatcher(self.loop, self.claimed.append, reap)
        watcher.watch(child.pid)
        self.assertEqual(watcher.watching(), [child.pid])
        self.assertEqual(len(self.claimed), 1)
        code = self.loop.run_until_complete(asyncio.wait_for(reaped, 30))
        self.assertEqual(code, 0)
        self.assertEqual(watcher.watching(), [])
        self.assertRaises(OSError, os.fstat, self.claimed[0])

    def test_forgetAll(self) -> None:
        """
        C{forgetAll} stops watching: the pidfds are closed and removed from
        the loop, and no reaping follows.
        """
        child = subprocess.Popen(
            [sys.executable, "-c", "import sys; sys.stdin.read()"],
            stdin=subprocess.PIPE,
        )
        reaps: list[None] = []
        watcher = PidfdChildWatcher(
            self.loop, self.claimed.append, lambda: reaps.append(None)
        )
        watcher.watch(child.pid)
        watcher.forgetAll()
        self.assertEqual(watcher.watching(), [])
        self.assertRaises(OSError, os.fstat, self.claimed[0])
        assert child.stdin is not None
        child.stdin.close()
        child.wait()
        self.loop.run_until_complete(asyncio.sleep(0))
        self.assertEqual(reaps, [])

    def test_goneChild(self) -> None:
        """
        A pid with no process (already reaped) is not watched.
        """
        child = subprocess.Popen([sys.executable, "-c", "pass"])
        child.wait()
        watcher = PidfdChildWatcher(self.loop, self.claimed.append, lambda: None)
        watcher.watch(child.pid)
        self.assertEqual(watcher.watching(), [])
        self.assertEqual(self.claimed, [])
