"""
The docs' benchmark tables (C{docs/_ext/benchmark_results.py}) are made
from whatever C{latest.json} holds: new scenarios appear, missing suites
and scenarios do not break the page, and the tables can wrap to fit.
"""

from __future__ import annotations

import importlib.util
import json
import tempfile
import unittest
from pathlib import Path
from types import ModuleType
from typing import Any

EXTENSION = (
    Path(__file__).resolve().parents[2] / "docs" / "_ext" / "benchmark_results.py"
)


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("benchmark_results", EXTENSION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _results() -> dict[str, Any]:
    """
    A run with only the IOLoop suite: one scenario measured, one that
    this run did not measure, and a resized one.
    """

    def cell(median: float, ratio: float) -> dict[str, Any]:
        return {"median": median, "ratio": ratio}

    return {
        "meta": {"date": "2026-12-02", "cpus": 2, "python": "3.11", "versions": {}},
        "suites": {
            "ioloop": {
                "title": "IOLoop suite: asyncio/Tornado code on each loop",
                "baseline": "asyncio",
                "targets": [
                    {"name": "TwistedIOLoop/EPollReactor/reactor.run", "ran": True},
                    {"name": "AsyncioSelectorReactor+Tornado", "ran": True},
                    {"name": "asyncio", "ran": True},
                    {"name": "uvloop", "ran": False},
                ],
                "scenarios": [
                    {"name": "websocket-echo", "unit": "rt/s"},
                    {"name": "call-soon", "unit": "ops/s"},
                    {
                        "name": "idle-conns-memory",
                        "unit": "conn/MiB",
                        "resized": "9852 connections instead of 10000",
                    },
                ],
                "results": {
                    "websocket-echo": {
                        "TwistedIOLoop/EPollReactor/reactor.run": cell(2300, 0.75),
                        "AsyncioSelectorReactor+Tornado": cell(2760, 0.9),
                        "asyncio": cell(3060, 1.0),
                    },
                    "idle-conns-memory": {"asyncio": cell(658, 1.0)},
                },
                "goals": [],
            }
        },
    }


class GenerateTests(unittest.TestCase):
    def setUp(self) -> None:
        if not EXTENSION.exists():
            self.skipTest(f"{EXTENSION} is not here (not running from a checkout)")
        self.extension = _load()
        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        self.out = Path(directory.name)
        results = self.out / "latest.json"
        results.write_text(json.dumps(_results()))
        self.suites = self.extension.generate(results, self.out / "generated", {})

    def test_newScenarioAndMissingOnes(self) -> None:
        """
        A scenario with results gets a row with every target that ran
        (n/a where one has no value); one without results gets none.
        """
        text = (self.out / "generated" / "ioloop.rst").read_text()
        self.assertIn("   * - websocket-echo (rt/s)\n     - 2.3k (0.75x)\n", text)
        self.assertIn("   * - idle-conns-memory (conn/MiB)\n     - n/a\n", text)
        self.assertNotIn("call-soon", text)
        self.assertNotIn("uvloop", text)

    def test_headingsCanWrap(self) -> None:
        """
        Target names may wrap after each C{/} and C{+} (a zero-width
        space), and the targets share the width beside the scenario.
        """
        text = (self.out / "generated" / "ioloop.rst").read_text()
        self.assertIn(
            "     - TwistedIOLoop/\u200bEPollReactor/\u200breactor.run\n", text
        )
        self.assertIn("     - AsyncioSelectorReactor+\u200bTornado\n", text)
        self.assertIn("   :widths: 20 26 26 26\n", text)

    def test_resized(self) -> None:
        """
        A scenario run smaller than asked says so under its table.
        """
        text = (self.out / "generated" / "ioloop.rst").read_text()
        self.assertIn("- idle-conns-memory: 9852 connections instead of 10000", text)

    def test_missingSuite(self) -> None:
        """
        A suite the page includes but the run lacks gets a page fragment
        saying so; the chart of a present suite is in its fragment.
        """
        self.assertEqual(self.suites, ["ioloop"])
        for name in ("reactor", "endpoints"):
            text = (self.out / "generated" / f"{name}.rst").read_text()
            self.assertIn(f"did not include the {name} suite", text)
        text = (self.out / "generated" / "ioloop.rst").read_text()
        self.assertTrue(text.startswith(".. image:: /_generated/ioloop.svg\n"))
        self.assertTrue((self.out / "generated" / "ioloop.svg").exists())
