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
    "tornado_suite.py",
)


class TornadoSuiteConformanceTests(SynchronousTestCase):
    """
    The Tornado test suite, run by the conformance runner.
    """

    def test_no_failures_beyond_baseline(self) -> None:
        """
        Every configuration finishes, and no Twisted configuration fails or
        errors in a test that passes on stdlib asyncio.
        """
        if not os.path.exists(_RUNNER):
            raise SkipTest(f"needs the source checkout: {_RUNNER} is missing")
        fd, path = tempfile.mkstemp(suffix=".json")
        os.close(fd)
        self.addCleanup(os.unlink, path)
        proc = subprocess.run(
            [
                sys.executable,
                _RUNNER,
                "--config",
                "epoll",
                "poll",
                "select",
                "--json",
                path,
            ],
            check=False,
            capture_output=True,
            text=True,
            timeout=3600,
        )
        with open(path, encoding="utf-8") as f:
            report = json.load(f)
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
