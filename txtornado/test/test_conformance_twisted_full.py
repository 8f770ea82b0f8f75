"""
The judge for TornadoReactor as Twisted's global reactor: Twisted's whole
test suite (C{trial twisted}), run by C{conformance/twisted_full_suite.py}
on TornadoReactor and on Twisted's epoll reactor in the same run.

TornadoReactor may show no failure or error that epoll does not also show
(a test that fails only on it in the full run but passes when run again
alone is reported as flaky and allowed), must pass at least as many tests
as epoll, and every other test whose outcome differs (skipped on one,
passed on the other) must be listed in L{KNOWN} with its reason.

The runner took 19 minutes on two cores shared with other work (each
reactor's C{trial -j2} about 9 to 10 minutes); see L{IN_DEFAULT_RUN}.
"""

from __future__ import annotations

import os
from typing import Any

from twisted.trial.unittest import SkipTest, SynchronousTestCase

from txtornado.test._subprocess import importRunner, runConformance

#: The switch: whether the default test command (C{python -m pytest}) runs
#: Twisted's whole suite.  The environment variable
#: C{TXTORNADO_TWISTED_FULL_SUITE} (C{1} or C{0}) overrides it; when it is
#: off this test is reported as skipped, saying how to run it (or run
#: C{tox -e twisted-full}).
IN_DEFAULT_RUN = True

#: Tests whose outcome on TornadoReactor differs from epoll's, with why
#: (by full test id, or C{prefix.*} for a family with one cause).
KNOWN: dict[str, str] = {}


def _enabled() -> bool:
    value = os.environ.get("TXTORNADO_TWISTED_FULL_SUITE")
    if value is None:
        return IN_DEFAULT_RUN
    return value not in ("", "0", "no", "false")


def _known(test: str) -> bool:
    return any(
        test == known or (known.endswith(".*") and test.startswith(known[:-1]))
        for known in KNOWN
    )


class TwistedFullSuiteTests(SynchronousTestCase):
    """
    Run Twisted's suite once on both reactors, then judge TornadoReactor.
    """

    results: dict[str, Any] | None = None
    output = ""

    def setUp(self) -> None:
        if not _enabled():
            raise SkipTest(
                "Twisted's whole suite is off in this run (IN_DEFAULT_RUN in "
                f"{__name__}, or TXTORNADO_TWISTED_FULL_SUITE=0); run it "
                "with TXTORNADO_TWISTED_FULL_SUITE=1 or tox -e twisted-full"
            )
        if TwistedFullSuiteTests.results is None:
            result, report = runConformance("twisted_full_suite.py", timeout=5400)
            # The table goes to the test log (pytest -s, or trial's log).
            print(result.stdout)
            self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
            TwistedFullSuiteTests.results = report
            TwistedFullSuiteTests.output = result.stdout

    def _suite(self) -> Any:
        return importRunner("twisted_full_suite")

    def _verdict(self) -> dict[str, Any]:
        assert self.results is not None
        verdict: dict[str, Any] = self._suite().judge(
            self.results, "TornadoReactor", "EPollReactor"
        )
        return verdict

    def test_noFailureEpollDoesNotShow(self) -> None:
        """
        Every test that fails or errors on TornadoReactor (and again when
        run alone) fails or errors on epoll too, or is listed in L{KNOWN}.
        """
        verdict = self._verdict()
        unexplained = [t for t in verdict["failing"] if not _known(t)]
        self.assertEqual(unexplained, [], self.output)

    def test_passesAsManyAsEpoll(self) -> None:
        """
        TornadoReactor passes at least as many tests as epoll; tests
        failing for a listed reason, or flaky, do not count against it.
        """
        assert self.results is not None
        suite = self._suite()
        verdict = self._verdict()
        allowed = len(verdict["flaky"]) + sum(
            1 for t in verdict["failing"] if _known(t)
        )
        self.assertGreaterEqual(
            suite.count(self.results["TornadoReactor"], "OK") + allowed,
            suite.count(self.results["EPollReactor"], "OK"),
            self.output,
        )

    def test_everyDifferenceListed(self) -> None:
        """
        Every other test whose outcome differs (skipped on one reactor and
        not on the other, missing from one run) is listed in L{KNOWN}.
        """
        verdict = self._verdict()
        counted = set(verdict["failing"]) | set(verdict["flaky"])
        counted |= set(verdict["fixed"])
        unexplained = {
            test: what
            for test, what in verdict["differences"].items()
            if test not in counted and not _known(test)
        }
        self.assertEqual(unexplained, {}, self.output)
