"""
The judge for TwistedEventLoop: CPython's own asyncio test suite (the
standard library's C{test.test_asyncio}), run by
C{conformance/cpython_asyncio_suite.py} on TwistedEventLoop over the EPoll,
Poll and Select reactors (a new reactor per loop), over the Poll and Select
reactors in per-descriptor mode (C{nested_selector=False}: every descriptor
on the reactor, the only mode where epoll is missing, on the reactors
Twisted installs there), on stdlib asyncio's own loop (the baseline) and on
uvloop (a reference, not judged), in one run.

The scope is the runner's (see its docstring): the tests that make their
loop through the event loop policy or through the per-loop hooks CPython
uses to run the same tests on each of its loops.  In that scope a
TwistedEventLoop configuration may fail, error or hang in no test that
passes on stdlib, except those listed in L{KNOWN} with their reasons (a
test id, or C{prefix.*} for a family with one cause), and must pass at
least as many as stdlib once the listed ones are counted.  uvloop's
figures are printed beside them: many of these tests reach into stdlib's
loop (C{test_utils.TestCase.close_loop} reads C{loop._default_executor}),
so uvloop fails them.

The whole run takes about 19 minutes (stdlib runs every test, about 5;
each of the six other configurations the ~830 in scope, about 2).
"""

from __future__ import annotations

import importlib.util
from typing import Any

from twisted.trial.unittest import SkipTest, SynchronousTestCase

from txtornado.test._subprocess import importRunner, runConformance

_T = "test.test_asyncio."

#: In-scope tests failing on every TwistedEventLoop configuration and
#: passing on stdlib, with why.
KNOWN_ALL: dict[str, str] = {}

#: The same, for one configuration only.
KNOWN: dict[str, dict[str, str]] = {
    "epoll": {},
    "poll": {},
    "select": {},
    "poll-per-fd": {},
    "select-per-fd": {},
}


def _known(config: str, test: str) -> bool:
    """
    Whether C{test} failing on C{config} is listed in L{KNOWN_ALL} or
    L{KNOWN} (by id, or by a C{prefix.*} entry).
    """
    return any(
        test == known or (known.endswith(".*") and test.startswith(known[:-1]))
        for known in [*KNOWN_ALL, *KNOWN[config]]
    )


def _suite() -> Any:
    return importRunner("cpython_asyncio_suite")


class CPythonAsyncioSuiteTests(SynchronousTestCase):
    """
    Run the suite once for every configuration, then judge each
    TwistedEventLoop configuration.
    """

    report: dict[str, Any] | None = None
    output = ""

    def setUp(self) -> None:
        if importlib.util.find_spec("test.test_asyncio") is None:
            raise SkipTest(
                "this Python ships without its test suite (test.test_asyncio); "
                "Debian/Ubuntu: install libpython3-testsuite"
            )
        if CPythonAsyncioSuiteTests.report is None:
            result, report = runConformance("cpython_asyncio_suite.py", timeout=3600)
            # The table goes to the test log (pytest -s, or trial's log).
            print(result.stdout)
            self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
            CPythonAsyncioSuiteTests.report = report
            CPythonAsyncioSuiteTests.output = result.stdout

    def _judge(self, config: str) -> None:
        report = self.report
        assert report is not None
        results = report["results"]
        mine, base = results[config], results["stdlib"]
        self.assertTrue(mine["finished"], self.output)
        self.assertIsNone(mine["setup_error"], mine["setup_error"])
        new = report["new_failures"][config]
        unexplained = [t for t in new if not _known(config, t)]
        details = "\n\n".join(
            f"--- {t} [{mine['tests'][t]['outcome']}]\n{mine['details'].get(t, '')}"
            for t in unexplained
        )
        self.assertEqual(unexplained, [], self.output + "\n" + details)
        # In scope: the tests that made loops through the policy here.
        scope = [n for n, t in mine["tests"].items() if t["loops"] > 0]
        self.assertGreater(len(scope), 0)
        passed = sum(1 for n in scope if mine["tests"][n]["outcome"] == "passed")
        base_passed = sum(
            1 for n in scope if base["tests"].get(n, {}).get("outcome") == "passed"
        )
        flakes = report["flakes"][config]
        rerun = report["passed_on_rerun"][config]
        self.assertGreaterEqual(
            passed + len(new) + len(flakes) + len(rerun), base_passed, self.output
        )

    def test_epoll(self) -> None:
        """
        TwistedEventLoop on EPollReactor.
        """
        self._judge("epoll")

    def test_poll(self) -> None:
        """
        TwistedEventLoop on PollReactor.
        """
        self._judge("poll")

    def test_select(self) -> None:
        """
        TwistedEventLoop on SelectReactor.
        """
        self._judge("select")

    def test_poll_per_descriptor(self) -> None:
        """
        TwistedEventLoop on PollReactor, every descriptor on the reactor
        (C{nested_selector=False}): the BSDs' default reactor and mode.
        """
        self._judge("poll-per-fd")

    def test_select_per_descriptor(self) -> None:
        """
        TwistedEventLoop on SelectReactor, every descriptor on the reactor
        (C{nested_selector=False}): macOS's default reactor and mode.
        """
        self._judge("select-per-fd")

    def test_known_still_fail(self) -> None:
        """
        Every L{KNOWN} entry names a test (or family) that exists in the
        run, so the list cannot outlive the tests it explains.
        """
        report = self.report
        assert report is not None
        names = set(report["results"]["stdlib"]["tests"])
        for known in [*KNOWN_ALL, *(k for c in KNOWN.values() for k in c)]:
            prefix = known[:-1] if known.endswith(".*") else None
            self.assertTrue(
                known in names or (prefix and any(n.startswith(prefix) for n in names)),
                known,
            )


class RunnerRulesTests(SynchronousTestCase):
    """
    The runner's rule for reruns: which new failures are flakes.
    """

    def test_classify(self) -> None:
        """
        A new failure is a flake of the suite only if stdlib's rerun failed
        (or errored, or hung) too; one that passed on stdlib's rerun, or
        was not rerun there, is a real failure.
        """
        real, flakes = _suite().classify(
            {"epoll": ["a", "b", "c", "d"], "poll": [], "select": ["a"]},
            {"a": "failed", "b": "passed", "c": "hung", "d": "not run"},
        )
        self.assertEqual(real, {"epoll": ["b", "d"], "poll": [], "select": []})
        self.assertEqual(flakes, {"epoll": ["a", "c"], "poll": [], "select": ["a"]})

    def test_skipsRerun(self) -> None:
        """
        A test that skipped itself on a Twisted configuration and passed on
        stdlib is a candidate for a rerun there; it counts as passed only
        if that rerun passed.
        """
        suite = _suite()
        results = {
            "stdlib": {
                "tests": {n: {"outcome": "passed", "loops": 1} for n in ("a", "b", "c")}
            },
            "poll": {
                "tests": {
                    "a": {"outcome": "skipped", "loops": 1},
                    "b": {"outcome": "skipped", "loops": 1},
                    "c": {"outcome": "skipped", "loops": 0},
                }
            },
        }
        skips = suite.new_skips(results)
        self.assertEqual(skips, {"poll": ["a", "b"]})
        self.assertEqual(
            suite.recovered(skips, {"poll": {"a": "passed", "b": "skipped"}}),
            {"poll": ["a"]},
        )
