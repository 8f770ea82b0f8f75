"""
The benchmark harness runs end to end: C{benchmarks/run.py --quick} on a
few scenarios, in a subprocess.

This checks that every target can run every kind of scenario and that the
report names every target; it measures nothing and asserts no speed.
"""

from __future__ import annotations

import subprocess
import sys
import unittest
from pathlib import Path

RUN = Path(__file__).resolve().parents[2] / "benchmarks" / "run.py"

#: Every target of every suite; each must appear in the report, as a
#: table row or with the reason it did not run.
TARGETS = (
    "TornadoReactor/asyncio",
    "TornadoReactor/uvloop",
    "AsyncioSelectorReactor",
    "EPollReactor",
    "TwistedIOLoop/EPollReactor",
    "TwistedIOLoop/EPollReactor/reactor.run",
    "asyncio",
    "uvloop",
    "AsyncioSelectorReactor+Tornado",
    "Twisted endpoint",
    "Tornado HTTPServer.listen",
)


class QuickRunTests(unittest.TestCase):
    """
    C{run.py --quick} on timers, echo, bulk, idle-memory and (excluded)
    HTTP scenarios.
    """

    def test_quickRun(self) -> None:
        """
        The quick run exits 0, reports every target and every suite's
        goals, and says it left the wrk scenario out rather than skipping
        it silently.
        """
        if not RUN.exists():
            self.skipTest(f"{RUN} is not here (not running from a checkout)")
        done = subprocess.run(
            [
                sys.executable,
                str(RUN),
                "--quick",
                "--scenarios",
                "timers,call-soon,tcp-echo-1,bulk,idle-memory,http",
            ],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        output = done.stdout
        self.assertEqual(
            done.returncode, 0, f"run.py failed:\n{done.stdout}\n{done.stderr}"
        )
        for target in TARGETS:
            self.assertIn(target, output)
        for header in ("(reactor) ==", "(ioloop) ==", "(endpoints) =="):
            self.assertIn(header, output)
        for row in (
            "timers (ops/s)",
            "call-soon (ops/s)",
            "tcp-echo-1 (rt/s)",
            "bulk (MB/s)",
            "idle-memory (conn/MiB)",
        ):
            self.assertIn(row, output)
        self.assertIn(
            "excluded scenario http: uses wrk: excluded in --quick mode", output
        )
        self.assertIn("goals (reported, never enforced):", output)
        self.assertNotIn("FAILED", output)
