"""
Tornado's own test suite on TwistedIOLoop must do as well as on stdlib
asyncio.

Runs C{conformance/tornado_suite.py} (from the source checkout) for the
stdlib asyncio baseline and TwistedIOLoop on the EPoll, Poll and Select
reactors, each in its own subprocess (about half a minute each on this
project's CI machines), and fails, naming the tests and their tracebacks,
if TwistedIOLoop shows any failure or error that the baseline does not.
"""

from __future__ import annotations

from twisted.trial.unittest import SynchronousTestCase

from txtornado.test._subprocess import runConformance


class TornadoSuiteConformanceTests(SynchronousTestCase):
    """
    The Tornado test suite, run by the conformance runner.
    """

    def test_no_failures_beyond_baseline(self) -> None:
        """
        Every configuration finishes, and no Twisted configuration fails or
        errors in a test that passes on stdlib asyncio.
        """
        proc, report = runConformance(
            "tornado_suite.py", ["--config", "epoll", "poll", "select"]
        )
        results = report["results"]
        problems = []
        for config, result in results.items():
            if not result["finished"]:
                problems.append(
                    f"{config}: did not finish (rc={result['returncode']}, "
                    f"in {result['running_when_stopped']})"
                )
            if result["passed"] == 0:
                problems.append(f"{config}: no test passed")
        for config, names in report["new_failures"].items():
            for name in names:
                problems.append(
                    f"{config}: {name}\n{results[config]['details'].get(name, '')}"
                )
        self.assertEqual(problems, [], "\n\n".join([proc.stdout, *problems]))
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertEqual(set(results), {"asyncio", "epoll", "poll", "select"})
