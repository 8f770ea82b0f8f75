"""
Run Tornado's own test suite on TwistedIOLoop, and on stdlib asyncio as the
baseline, and compare.

Usage::

    python conformance/tornado_suite.py [--config asyncio epoll poll select]
        [--json FILE] [--timeout SECONDS] [-- test names...]

Each configuration runs in its own subprocess (this file, with
C{TXTORNADO_CONFORMANCE_WORKER} set), which runs C{tornado.test.runtests}
(every module in its C{TEST_MODULES}, Tornado's warning filters, log
counting and test runner) after configuring the event loop:

  - C{asyncio}: nothing; stdlib asyncio, the baseline.
  - C{epoll}/C{poll}/C{select}: C{IOLoop.configure(TwistedIOLoop,
    reactor_factory=R)} and C{asyncio.set_event_loop_policy(
    TwistedEventLoopPolicy(reactor_factory=R))} with R the Twisted
    C{EPollReactor}/C{PollReactor}/C{SelectReactor}: every IOLoop that
    C{AsyncTestCase} creates, and every loop C{asyncio.new_event_loop()}
    makes, is a TwistedEventLoop on a new reactor of its own.

The worker writes one JSON line per test outcome as it goes, so a worker
that hangs (and is killed after C{--timeout}) or crashes still reports what
ran and which test it was in.  The parent prints a table of passed /
failed / errors / skipped per configuration, and the failures and errors
of each Twisted configuration that the baseline does not also show.  The
exit status is 1 if there are any such new failures, or a worker did not
finish.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback
import unittest
from collections.abc import Sequence
from typing import Any, TextIO

WORKER_ENV = "TXTORNADO_CONFORMANCE_WORKER"
RESULT_ENV = "TXTORNADO_CONFORMANCE_RESULTS"

CONFIGS = ("asyncio", "epoll", "poll", "select")
BASELINE = "asyncio"

_REACTORS = {
    "epoll": ("twisted.internet.epollreactor", "EPollReactor"),
    "poll": ("twisted.internet.pollreactor", "PollReactor"),
    "select": ("twisted.internet.selectreactor", "SelectReactor"),
}


# Worker side


def _configure(config: str) -> None:
    """
    Make TwistedIOLoop on C{config}'s reactor Tornado's and asyncio's
    default loop (nothing for the baseline).
    """
    if config == BASELINE:
        return
    import asyncio
    import importlib

    from tornado.ioloop import IOLoop

    from txtornado import TwistedEventLoopPolicy, TwistedIOLoop

    module, name = _REACTORS[config]
    factory = getattr(importlib.import_module(module), name)
    asyncio.set_event_loop_policy(TwistedEventLoopPolicy(reactor_factory=factory))
    IOLoop.configure(TwistedIOLoop, reactor_factory=factory)


class _RecordingResult(unittest.TextTestResult):
    """
    A TextTestResult that also appends every outcome to a JSON-lines file.
    """

    records: TextIO | None = None

    def _record(self, test: unittest.TestCase, outcome: str, detail: str = "") -> None:
        if self.records is not None:
            line = {"test": test.id(), "outcome": outcome, "detail": detail[-4000:]}
            self.records.write(json.dumps(line) + "\n")
            self.records.flush()

    def startTest(self, test: unittest.TestCase) -> None:
        self._record(test, "start")
        super().startTest(test)

    def addSuccess(self, test: unittest.TestCase) -> None:
        super().addSuccess(test)
        self._record(test, "passed")

    def addFailure(self, test: unittest.TestCase, err: Any) -> None:
        super().addFailure(test, err)
        self._record(test, "failed", self._exc_info_to_string(err, test))

    def addError(self, test: unittest.TestCase, err: Any) -> None:
        super().addError(test, err)
        self._record(test, "error", self._exc_info_to_string(err, test))

    def addSkip(self, test: unittest.TestCase, reason: str) -> None:
        from tornado.test import util

        super().addSkip(test, reason)
        # Tornado 6.4 has no abstract base tests (nor ABT_SKIP_MESSAGE).
        if reason != getattr(util, "ABT_SKIP_MESSAGE", None):
            # Tornado's runner does not count abstract base tests either.
            self._record(test, "skipped", reason)

    def addExpectedFailure(self, test: unittest.TestCase, err: Any) -> None:
        super().addExpectedFailure(test, err)
        self._record(test, "expected_failure")

    def addUnexpectedSuccess(self, test: unittest.TestCase) -> None:
        super().addUnexpectedSuccess(test)
        self._record(test, "unexpected_success")

    def addSubTest(self, test: Any, subtest: Any, err: Any) -> None:
        super().addSubTest(test, subtest, err)
        if err is not None:
            failed = issubclass(err[0], test.failureException)
            self._record(
                subtest,
                "failed" if failed else "error",
                self._exc_info_to_string(err, test),
            )


def _worker(config: str, results_path: str, test_names: Sequence[str]) -> None:
    """
    Run C{tornado.test.runtests.main()} in this process on C{config},
    recording outcomes to C{results_path}.
    """
    from tornado.test import runtests

    records = open(results_path, "a", encoding="utf-8")
    records.write(json.dumps({"config": config, "pid": os.getpid()}) + "\n")
    records.flush()
    try:
        _configure(config)
    except BaseException:
        records.write(json.dumps({"setup_error": traceback.format_exc()}) + "\n")
        records.close()
        raise

    original_factory = runtests.test_runner_factory

    def test_runner_factory(stderr: TextIO) -> Any:
        runner_class = original_factory(stderr)
        tornado_result = runner_class(stream=stderr).resultclass

        class Result(_RecordingResult, tornado_result):  # type: ignore[misc,valid-type]
            pass

        Result.records = records

        class Runner(runner_class):  # type: ignore[misc,valid-type]
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                self.resultclass = Result

        return Runner

    runtests.test_runner_factory = test_runner_factory
    # unittest.main(defaultTest="all") looks "all" up in __main__.
    sys.modules["__main__"].all = runtests.all  # type: ignore[attr-defined]
    sys.argv = [sys.argv[0], *test_names]
    status: object = 0
    try:
        runtests.main()
    except SystemExit as e:
        status = e.code
    except BaseException:
        # A crash of the runner itself (not a test's failure) is no finish:
        # the parent reports the configuration as not finished.
        records.close()
        raise
    records.write(json.dumps({"finished": True, "status": status}) + "\n")
    records.close()
    sys.exit(0 if status in (0, None) else 1)


# Parent side


def _summarise(
    config: str, path: str, returncode: int | None, duration: float
) -> dict[str, Any]:
    """
    Read a worker's JSON-lines file into a result dict.
    """
    outcomes: dict[str, tuple[str, str]] = {}
    started: str | None = None
    finished = False
    status: object = None
    setup_error = None
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = json.loads(raw)
            if "test" in line:
                if line["outcome"] == "start":
                    started = line["test"]
                    continue
                if line["test"] == started:
                    started = None
                previous = outcomes.get(line["test"])
                # A test that errors in tearDown after failing keeps both.
                if previous is None or previous[0] in ("passed", "skipped"):
                    outcomes[line["test"]] = (line["outcome"], line["detail"])
            elif line.get("finished"):
                finished = True
                status = line.get("status")
            elif "setup_error" in line:
                setup_error = line["setup_error"]

    def ids(outcome: str) -> list[str]:
        return sorted(t for t, (o, _) in outcomes.items() if o == outcome)

    return {
        "config": config,
        "passed": len(ids("passed")),
        "failed": len(ids("failed")),
        "errors": len(ids("error")),
        "skipped": len(ids("skipped")),
        "expected_failures": len(ids("expected_failure")),
        "unexpected_successes": len(ids("unexpected_success")),
        "failures": ids("failed"),
        "error_ids": ids("error"),
        "skips": {t: d for t, (o, d) in outcomes.items() if o == "skipped"},
        "details": {t: d for t, (o, d) in outcomes.items() if o in ("failed", "error")},
        "finished": finished,
        "runtests_status": status,
        "returncode": returncode,
        "running_when_stopped": started,
        "setup_error": setup_error,
        "duration": round(duration, 1),
    }


def run_config(
    config: str, test_names: Sequence[str], timeout: float, verbose: bool = False
) -> dict[str, Any]:
    """
    Run the suite on C{config} in a subprocess; return its result dict.
    """
    fd, path = tempfile.mkstemp(prefix=f"tornado-suite-{config}-", suffix=".jsonl")
    os.close(fd)
    env = dict(os.environ, **{WORKER_ENV: config, RESULT_ENV: path})
    env.setdefault("ASYNC_TEST_TIMEOUT", "10")
    start = time.monotonic()
    output = None if verbose else subprocess.DEVNULL
    returncode: int | None
    try:
        with subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), *test_names],
            env=env,
            stdout=output,
            stderr=output,
        ) as proc:
            try:
                returncode = proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                returncode = None
        return _summarise(config, path, returncode, time.monotonic() - start)
    finally:
        os.unlink(path)


def new_failures(results: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    """
    For each non-baseline configuration, the failed or erroring tests the
    baseline does not also fail or error.
    """
    base = results.get(BASELINE)
    bad_in_base = set(base["failures"]) | set(base["error_ids"]) if base else set()
    return {
        config: sorted((set(r["failures"]) | set(r["error_ids"])) - bad_in_base)
        for config, r in results.items()
        if config != BASELINE
    }


def format_table(results: dict[str, dict[str, Any]]) -> str:
    header = (
        "configuration",
        "passed",
        "failed",
        "errors",
        "skipped",
        "time(s)",
        "finished",
    )
    rows = [header]
    for config, r in results.items():
        name = "stdlib asyncio" if config == BASELINE else f"TwistedIOLoop/{config}"
        rows.append(
            (
                name,
                str(r["passed"]),
                str(r["failed"]),
                str(r["errors"]),
                str(r["skipped"]),
                str(r["duration"]),
                "yes"
                if r["finished"]
                else f"NO (rc={r['returncode']}, in {r['running_when_stopped']})",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))
        for row in rows
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--config",
        nargs="+",
        choices=CONFIGS,
        default=list(CONFIGS),
        help="configurations to run (default: all; the baseline is always run)",
    )
    parser.add_argument("--json", metavar="FILE", help="write the results as JSON")
    parser.add_argument(
        "--timeout", type=float, default=1800, help="seconds per configuration"
    )
    parser.add_argument("--verbose", action="store_true", help="show workers' output")
    parser.add_argument("tests", nargs="*", help="test names (default: all)")
    args = parser.parse_args(argv)
    configs = [BASELINE] + [c for c in args.config if c != BASELINE]
    results: dict[str, dict[str, Any]] = {}
    for config in configs:
        print(f"running Tornado's test suite on {config} ...", flush=True)
        results[config] = run_config(config, args.tests, args.timeout, args.verbose)
    print()
    print(format_table(results))
    new = new_failures(results)
    for config, names in new.items():
        print()
        print(f"failures/errors on {config} not also in the baseline: {len(names)}")
        for name in names:
            print(f"  {name}")
    unfinished = [c for c, r in results.items() if not r["finished"]]
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(
                {"results": results, "new_failures": new}, f, indent=2, sort_keys=True
            )
    return 1 if unfinished or any(new.values()) else 0


if __name__ == "__main__":
    if os.environ.get(WORKER_ENV):
        _worker(os.environ[WORKER_ENV], os.environ[RESULT_ENV], sys.argv[1:])
    else:
        sys.exit(main())
