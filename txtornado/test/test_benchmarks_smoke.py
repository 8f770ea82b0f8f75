"""
The benchmark harness runs end to end: C{benchmarks/run.py --quick} on a
few scenarios, in a subprocess.

This checks that every target can run every kind of scenario and that the
report names every target; it measures nothing and asserts no speed.
"""

from __future__ import annotations

import re
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
    C{run.py --quick} on timers, echo, bulk, idle-memory, (excluded) HTTP,
    and the idle timers, idle connections, Agent and websocket scenarios.
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
                "timers,call-soon,tcp-echo-1,bulk,idle-memory,http,"
                "idle-timers-memory,idle-timers-tick,idle-conns-accept,"
                "idle-conns-memory,agent-fetch,websocket-echo",
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
            "idle-timers-memory (timers/MiB)",
            "idle-timers-tick (ops/s)",
            "idle-conns-accept (conn/s)",
            "idle-conns-memory (conn/MiB)",
            "agent-fetch (req/s)",
            "websocket-echo (rt/s)",
        ):
            self.assertIn(row, output)
        self.assertIn(
            "excluded scenario http: uses wrk: excluded in --quick mode", output
        )
        self.assertIn("goals (reported, never enforced):", output)
        self.assertNotIn("FAILED", output)


STARTUP = RUN.with_name("bench_startup.py")


class StartupRunTests(unittest.TestCase):
    """
    C{bench_startup.py} runs end to end: one round, every target serves
    its first 200, and the import report is there.
    """

    def test_oneRound(self) -> None:
        """
        One round without warm-up exits 0 and reports every server with a
        time, the goal, and the import tables of both profiled servers.
        """
        if not STARTUP.exists():
            self.skipTest(f"{STARTUP} is not here (not running from a checkout)")
        done = subprocess.run(
            [sys.executable, str(STARTUP), "--rounds", "1", "--warmup", "0"],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        self.assertEqual(done.returncode, 0, f"failed:\n{done.stdout}\n{done.stderr}")
        for server in (
            "twistd web (EPollReactor)",
            "twistd --reactor=tornado tornado",
            "twistd tornado (EPollReactor)",
            "python startup_app.py",
        ):
            self.assertRegex(done.stdout, rf"\| {re.escape(server)} \| \d+ \|")
        self.assertIn("Goal: twistd --reactor=tornado tornado <= 1.10x", done.stdout)
        self.assertIn("The 15 largest cumulative import times", done.stdout)
        self.assertRegex(done.stdout, r"\| tornado \| \d+ \| [0-9.]+ \|")


class ImportTimeTests(unittest.TestCase):
    """
    C{bench_startup} reads C{python -X importtime} output.
    """

    def test_chain(self) -> None:
        """
        A module's chain is its importers, outermost first, found from the
        nesting depth; lines that are not importtime's are ignored.
        """
        sys.path.insert(0, str(RUN.parent))
        try:
            import bench_startup
        finally:
            sys.path.remove(str(RUN.parent))
        stderr = "\n".join(
            [
                "import time: self [us] | cumulative | imported package",
                "import time:        10 |         10 |     c",
                "import time:        20 |         30 |   b",
                "noise from the server",
                "import time:         5 |          5 |   d",
                "import time:         1 |         36 | a",
            ]
        )
        imports = bench_startup.parseImportTime(stderr)
        self.assertEqual(
            [(i.name, i.depth) for i in imports],
            [("c", 2), ("b", 1), ("d", 1), ("a", 0)],
        )
        self.assertEqual(imports[0].cumulativeUs, 10)
        self.assertEqual(bench_startup.importChain(imports, 0), ["a", "b"])
        self.assertEqual(bench_startup.importChain(imports, 2), ["a"])
        self.assertEqual(bench_startup.importChain(imports, 3), [])
