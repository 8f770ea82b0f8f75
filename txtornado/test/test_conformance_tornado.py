"""
Tornado's own test suite on TwistedIOLoop must do as well as on stdlib
asyncio.

Runs C{conformance/tornado_suite.py} (from the source checkout) once, for
the stdlib asyncio baseline and TwistedIOLoop on the EPoll, Poll and Select
reactors, each with a reactor per loop and with the global reactor, and on
the Poll and Select reactors in per-descriptor mode (C{nested_selector=False},
the mode where epoll is missing), each in its own subprocess (about half a minute each on this project's CI
machines), showing the runner's progress as it goes.  Each test fails,
naming the tests and their tracebacks, if its configurations show a
failure or error that stdlib asyncio does not (after the runner's rerun:
a test that fails on stdlib asyncio too when rerun is a flake of Tornado's
suite, reported by name and not counted).
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from typing import Any, ClassVar

from twisted.trial.unittest import SynchronousTestCase

from txtornado.test._subprocess import importRunner, runConformance

PER_LOOP = ("epoll", "poll", "select")
GLOBAL = ("global-epoll", "global-poll", "global-select")
PER_FD = ("poll-per-fd", "select-per-fd")


class TornadoSuiteConformanceTests(SynchronousTestCase):
    """
    The Tornado test suite, run by the conformance runner once for both
    tests.
    """

    showsProgress = True
    _suiteRun: ClassVar[tuple[Any, Any] | None] = None

    def _report(self) -> tuple[Any, Any]:
        cls = type(self)
        if cls._suiteRun is None:
            cls._suiteRun = runConformance(
                "tornado_suite.py",
                ["--config", *PER_LOOP, *GLOBAL, *PER_FD],
                progress=True,
            )
        return cls._suiteRun

    def _check(self, configs: tuple[str, ...]) -> None:
        proc, report = self._report()
        results = report["results"]
        self.assertEqual(set(results), {"asyncio", *PER_LOOP, *GLOBAL, *PER_FD})
        problems = []
        for config in ("asyncio", *configs):
            result = results[config]
            if not result["finished"]:
                problems.append(
                    f"{config}: did not finish (rc={result['returncode']}, "
                    f"in {result['running_when_stopped']})"
                )
            if result["passed"] == 0:
                problems.append(f"{config}: no test passed")
        for config in configs:
            loops = results[config]["loops"]
            if config in GLOBAL and not (loops and loops["global"]):
                problems.append(f"{config}: no loop used the global reactor")
            for name in report["new_failures"][config]:
                problems.append(
                    f"{config}: {name} (rerun: {report['reruns'][config][name]})\n"
                    f"{results[config]['details'].get(name, '')}"
                )
        self.assertEqual(problems, [], "\n\n".join([proc.stdout, *problems]))

    def test_reactor_per_loop(self) -> None:
        """
        With a new reactor for every loop (C{reactor_factory}), every
        configuration finishes, and none fails or errors in a test that
        passes on stdlib asyncio.
        """
        self._check(PER_LOOP)

    def test_global_reactor(self) -> None:
        """
        With the global reactor and no C{reactor_factory} (loops that cannot
        use the global reactor get private ones), every configuration
        finishes, some loops use the global reactor, and none fails or
        errors in a test that passes on stdlib asyncio.
        """
        self._check(GLOBAL)

    def test_per_descriptor(self) -> None:
        """
        With every descriptor registered on the reactor
        (C{nested_selector=False}, the only mode where epoll is missing) on
        the reactors Twisted installs there (C{PollReactor} on the BSDs,
        C{SelectReactor} on macOS), a reactor per loop: every configuration
        finishes, and none fails or errors in a test that passes on stdlib
        asyncio.
        """
        self._check(PER_FD)


def _runner() -> Any:
    """
    The runner module, C{conformance/tornado_suite.py}, imported from the
    checkout.
    """
    return importRunner("tornado_suite")


class RunnerRulesTests(SynchronousTestCase):
    """
    The runner's rules: which failures count, which are flakes, what a
    rerun runs, and its progress lines.
    """

    def setUp(self) -> None:
        self.runner = _runner()

    def test_loadable_name(self) -> None:
        """
        A test reruns by its id; a subtest by its test's; a failing fixture
        by its class or module.
        """
        name = self.runner._loadable_name
        test = "tornado.test.web_test.WebTest.test_x"
        self.assertEqual(name(test), test)
        self.assertEqual(name(test + " (code=1)"), test)
        self.assertEqual(
            name("setUpClass (tornado.test.web_test.WebTest)"),
            "tornado.test.web_test.WebTest",
        )
        self.assertEqual(
            name("setUpModule (tornado.test.web_test)"), "tornado.test.web_test"
        )

    def test_candidates_leave_out_baseline_failures(self) -> None:
        """
        What also fails on the baseline's first run is no candidate.
        """

        def result(failures: list[str], errors: list[str]) -> dict[str, Any]:
            return {"failures": failures, "error_ids": errors}

        found = self.runner.candidates(
            {
                "asyncio": result(["a"], []),
                "epoll": result(["a", "b"], ["c"]),
                "global-epoll": result([], []),
            }
        )
        self.assertEqual(found, {"epoll": ["b", "c"], "global-epoll": []})

    def test_flake_only_if_baseline_rerun_fails(self) -> None:
        """
        A candidate is a flake only if it failed on the baseline's rerun;
        passing there (or not running) makes it a real failure, whatever
        its own rerun did.
        """
        new, flakes = self.runner.classify(
            {"epoll": ["a", "b", "c"], "poll": ["a"]},
            {"a": "error", "b": "passed", "c": "not run"},
        )
        self.assertEqual(flakes, {"epoll": ["a"], "poll": ["a"]})
        self.assertEqual(new, {"epoll": ["b", "c"], "poll": []})

    def test_rerun_outcome(self) -> None:
        """
        A rerun's outcome for a test: its own, else that of the tests it
        covers, else "not run".
        """
        outcome = self.runner._rerun_outcome
        outcomes = {
            "m.C.test_a": "passed",
            "m.C.test_b (x=1)": "failed",
            "m.D.test_c": "passed",
        }
        self.assertEqual(outcome(outcomes, "m.C.test_a"), "passed")
        self.assertEqual(outcome(outcomes, "m.C.test_b (x=2)"), "failed")
        self.assertEqual(outcome(outcomes, "setUpClass (m.D)"), "passed")
        self.assertEqual(outcome(outcomes, "m.E.test_d"), "not run")

    def test_progress_line_per_module(self) -> None:
        """
        The parent prints a line each time the worker leaves a module, with
        the module's counts and the running totals.
        """
        path = self.mktemp()
        with open(path, "w", encoding="utf-8") as records:
            progress = self.runner._Progress("epoll", path)
            output = io.StringIO()
            with contextlib.redirect_stdout(output):
                for test, outcome in [
                    ("tornado.httputil.url_concat", "passed"),
                    ("tornado.httputil.HTTPHeaders", "passed"),
                    ("tornado.test.a_test.T.test_1", "passed"),
                    ("tornado.test.a_test.T.test_2", "failed"),
                    ("tornado.test.b_test.T.test_1", "passed"),
                ]:
                    for line in (
                        {"test": test, "outcome": "start"},
                        {"test": test, "outcome": outcome, "detail": ""},
                    ):
                        records.write(json.dumps(line) + "\n")
                records.write('{"test": "tornado.test.b_te')  # half a line
                records.flush()
                progress.poll()
                first = output.getvalue()
                records.write('st.T.test_2", "outcome": "passed", "detail": ""}\n')
                records.flush()
                progress.close()
        lines = [
            re.sub(r", \d+s\)$", ")", line) for line in output.getvalue().splitlines()
        ]
        self.assertEqual(len(first.splitlines()), 2)
        self.assertEqual(
            lines,
            [
                "  epoll: tornado.httputil: 2 tests, 0 failing (2 done, 0 failing)",
                "  epoll: tornado.test.a_test: 2 tests, 1 failing (4 done, 1 failing)",
                "  epoll: tornado.test.b_test: 2 tests, 0 failing (6 done, 1 failing)",
            ],
        )
