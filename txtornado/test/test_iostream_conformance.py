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

from twisted.trial.unittest import SynchronousTestCase

from txtornado.test._subprocess import runConformance


class ReadWriteMixinConformanceTests(SynchronousTestCase):
    """
    The mixin, run by the conformance runner.
    """

    def test_all_pass(self) -> None:
        """
        Every configuration finishes and runs every test of the mixin; none
        fails, errors or is skipped, and the count equals the baseline's.
        """
        proc, report = runConformance("tornado_iostream_mixin.py", timeout=900)
        summaries = {s["config"]: s for s in report}
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
