"""
Tornado's own C{TestReadWriteMixin} ("These should work for BaseIOStream
implementations") must pass against L{txtornado.iostream.TwistedIOStream}
on both loop set-ups, as it does against Tornado's own C{IOStream}.

Runs C{conformance/tornado_iostream_mixin.py} (from the source checkout):
the baseline (Tornado's C{TestIOStream}, the mixin's tests only), then
TwistedIOStream pairs over Twisted TCP on a TornadoReactor and on a
TwistedIOLoop over EPollReactor, each in a subprocess (a few seconds each).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

from twisted.trial.unittest import SkipTest, SynchronousTestCase

import txtornado

_RUNNER = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(txtornado.__file__))),
    "conformance",
    "tornado_iostream_mixin.py",
)


class ReadWriteMixinConformanceTests(SynchronousTestCase):
    """
    The mixin, run by the conformance runner.
    """

    def test_all_pass(self) -> None:
        """
        Every configuration finishes and runs every test of the mixin; none
        fails, errors or is skipped, and the count equals the baseline's.
        """
        if not os.path.exists(_RUNNER):
            raise SkipTest(f"needs the source checkout: {_RUNNER} is missing")
        fd, path = tempfile.mkstemp(suffix=".json")
        os.close(fd)
        self.addCleanup(os.unlink, path)
        proc = subprocess.run(
            [sys.executable, _RUNNER, "--json", path],
            check=False,
            capture_output=True,
            text=True,
            timeout=900,
        )
        with open(path, encoding="utf-8") as f:
            summaries = {s["config"]: s for s in json.load(f)}
        self.assertEqual(
            sorted(summaries),
            ["tornado", "tornadoreactor", "twistedioloop-epoll"],
            proc.stdout,
        )
        baseline = summaries["tornado"]
        self.assertTrue(baseline["finished"], proc.stdout)
        self.assertGreater(baseline["run"], 20, proc.stdout)
        for config in ("tornadoreactor", "twistedioloop-epoll"):
            summary = summaries[config]
            self.assertTrue(summary["finished"], proc.stdout)
            self.assertEqual(
                (summary["run"], summary["passed"]),
                (baseline["run"], baseline["run"]),
                proc.stdout,
            )
            self.assertEqual(summary["skipped"], [], proc.stdout)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
