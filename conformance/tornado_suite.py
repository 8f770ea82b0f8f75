"""
Run Tornado's own test suite on TwistedIOLoop, and on stdlib asyncio as the
baseline, and compare.

Usage::

    python conformance/tornado_suite.py [--config asyncio epoll poll select
        global-epoll global-poll global-select poll-per-fd select-per-fd gi qt]
        [--json FILE]
        [--timeout SECONDS] [--stall SECONDS] [-- test names...]

Each configuration runs in a subprocess of its own (this file, with
C{TXTORNADO_CONFORMANCE_WORKER} set), which runs C{tornado.test.runtests}
(every module in its C{TEST_MODULES}, Tornado's warning filters, log
counting and test runner) after configuring the event loop:

  - C{asyncio}: nothing; stdlib asyncio, the baseline.
  - C{epoll}/C{poll}/C{select} (a reactor per loop):
    C{IOLoop.configure(TwistedIOLoop, reactor_factory=R)} and
    C{asyncio.set_event_loop_policy(TwistedEventLoopPolicy(
    reactor_factory=R))} with R the Twisted
    C{EPollReactor}/C{PollReactor}/C{SelectReactor}: every IOLoop that
    C{AsyncTestCase} creates, and every loop C{asyncio.new_event_loop()}
    makes, is a TwistedEventLoop on a new reactor of its own.
  - C{global-epoll}/C{global-poll}/C{global-select} (the global reactor):
    R installed as the global C{twisted.internet.reactor}, then
    C{IOLoop.configure(TwistedIOLoop)} and
    C{asyncio.set_event_loop_policy(TwistedEventLoopPolicy())}, as a user
    would: a loop uses the global reactor when it may, and a private one
    otherwise (a second loop, or a loop in another thread).  The worker
    counts the loops of each kind; a run where no loop used the global
    reactor has not tested it, and is reported as not finished.
  - C{poll-per-fd}/C{select-per-fd} (per-descriptor mode): as C{poll}/
    C{select}, with C{nested_selector=False}, so that every descriptor of
    every loop is registered on its reactor
    (L{txtornado._loop_on_reactor.selector.ReactorSelector}) instead
    of in a nested epoll selector.  That is the mode where epoll is
    missing, on the reactors Twisted installs by default there:
    C{PollReactor} on the BSDs, C{SelectReactor} on macOS.
  - C{gi}/C{qt} (Twisted's GUI reactors, a reactor per loop, as for
    C{epoll}): R is Twisted's C{gireactor.GIReactor} (GLib's main loop) or
    C{qt5reactor}'s C{QtReactor} (Qt's event loop, on a
    C{QCoreApplication} the worker makes first, in the main thread).  They
    need the C{gui} extra.

Every configuration runs with an empty system CA store (C{SSL_CERT_FILE}
and C{SSL_CERT_DIR} naming an empty file and directory).  Tornado's tests
talk only to 127.0.0.1 with their own test certificate, and never verify
against the system's CAs; but every HTTPS client context Tornado makes
loads them, which takes OpenSSL 3.0 about 50 ms here (more under load),
half of the 100 ms that C{SimpleHTTPSClientTestCase.test_request_timeout}
allows for a handshake and a request, on stdlib asyncio and TwistedIOLoop
alike.  Without the system store that test measures the loop, not the
machine's CA bundle.

For the same test's sake, every worker moves the objects it has when the
tests start (the modules imported, the test modules included) to the
garbage collector's permanent generation (C{gc.freeze()}), on every
configuration, the baseline included.  A full collection walks every
tracked object, at about 0.9 µs an object here: 19 ms in the baseline's
process, but 45 ms once Twisted's reactor and TLS modules are imported
(they double the heap), and twice that with two workers on two cores.  One
such pause missed that test's 100 ms budget for a request on stdlib asyncio
as on TwistedIOLoop, once Twisted was imported.  Frozen, a collection walks
only what the tests made, so the test measures the loop, not the size of
the libraries imported.

The worker writes one JSON line per test outcome as it goes, so a worker
that hangs or crashes still reports what ran and which test it was in; the
parent reads those lines as they come and prints a progress line per test
module.  A test during which the worker writes nothing for C{--stall}
seconds, or dies, is recorded as hung (an error), and a new worker resumes
after it (C{conformance/_workers.py}, as for CPython's suite); a
configuration that takes longer than C{--timeout} is left unfinished.

A test that fails (or errors) on a Twisted configuration but not on the
baseline is rerun once, in a new worker, on that configuration and on
stdlib asyncio.  It counts as a I{flake} of Tornado's suite (reported by
name, not as a failure) only if it fails on stdlib asyncio in that rerun
too; otherwise it is a real failure, whatever its rerun on the Twisted
configuration did (which is reported beside it).

The parent prints a table of passed / failed / errors / skipped / flakes
per configuration, then each configuration's flakes and real failures.
The exit status is 1 if there is any real failure, or a worker did not
finish.
"""

from __future__ import annotations

import argparse
import atexit
import gc
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import traceback
import unittest
from collections.abc import Sequence
from typing import Any, TextIO

from _reactors import REACTORS, make_qt_application
from _workers import WorkerState, append_line, read_lines, run_resumable

WORKER_ENV = "TXTORNADO_CONFORMANCE_WORKER"
RESULT_ENV = "TXTORNADO_CONFORMANCE_RESULTS"

BASELINE = "asyncio"
#: A reactor per loop (reactor_factory).
PER_LOOP = ("epoll", "poll", "select")
#: The global reactor, installed as a user would.
GLOBAL = tuple(f"global-{name}" for name in PER_LOOP)
#: A reactor per loop, every descriptor on it (nested_selector=False).
PER_FD = ("poll-per-fd", "select-per-fd")
#: Twisted's GUI reactors, a reactor per loop (the gui extra).
GUI = ("gi", "qt")
CONFIGS = (BASELINE, *PER_LOOP, *GLOBAL, *PER_FD, *GUI)


# Worker side


#: Global-reactor configurations: how many loops used the global reactor,
#: and how many a private one.
_loop_counts = {"global": 0, "private": 0}


def _count_loop(loop: Any) -> None:
    from twisted.internet import reactor

    _loop_counts["global" if loop.reactor is reactor else "private"] += 1


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

    if config in GLOBAL:
        module_name, _ = REACTORS[config.removeprefix("global-")]
        importlib.import_module(module_name).install()  # type: ignore[attr-defined]

        class CountingPolicy(TwistedEventLoopPolicy):
            def new_event_loop(self) -> Any:
                loop = super().new_event_loop()
                _count_loop(loop)
                return loop

        class CountingIOLoop(TwistedIOLoop):
            def initialize(self, *args: Any, **kwargs: Any) -> None:
                super().initialize(*args, **kwargs)
                _count_loop(self.asyncio_loop)

        asyncio.set_event_loop_policy(CountingPolicy())
        IOLoop.configure(CountingIOLoop)
        return
    if config == "qt":
        make_qt_application()
    nested = False if config in PER_FD else None
    module_name, name = REACTORS[config.removesuffix("-per-fd")]
    factory = getattr(importlib.import_module(module_name), name)
    asyncio.set_event_loop_policy(
        TwistedEventLoopPolicy(reactor_factory=factory, nested_selector=nested)
    )
    IOLoop.configure(TwistedIOLoop, reactor_factory=factory, nested_selector=nested)


class _RecordingResult(unittest.TextTestResult):
    """
    A TextTestResult that also appends every outcome to a JSON-lines file.
    """

    records: TextIO | None = None
    #: The id of the test running now, or C{None}.
    running: str | None = None

    def startTestRun(self) -> None:
        """
        Freeze what there is before the first test (see the module's
        docstring).
        """
        gc.collect()
        gc.freeze()
        super().startTestRun()

    def _record(self, test: unittest.TestCase, outcome: str, detail: str = "") -> None:
        if self.records is not None:
            line = {"test": test.id(), "outcome": outcome, "detail": detail[-4000:]}
            self.records.write(json.dumps(line) + "\n")
            self.records.flush()

    @classmethod
    def record_thread_exception(cls, args: threading.ExceptHookArgs) -> None:
        """
        A C{threading.excepthook}: record an exception that ended a thread,
        with the test running then (a test whose thread died often waits
        for it until it is recorded as hung; this says why).
        """
        threading.__excepthook__(args)
        if cls.records is not None and args.exc_type is not None:
            text = "".join(
                traceback.format_exception(
                    args.exc_type, args.exc_value, args.exc_traceback
                )
            )
            line = {"during": cls.running, "thread_exception": text[-4000:]}
            cls.records.write(json.dumps(line) + "\n")
            cls.records.flush()

    def startTest(self, test: unittest.TestCase) -> None:
        type(self).running = test.id()
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


def _started(results_path: str) -> set[str]:
    """
    The tests a results file shows started (by workers before this one).
    """
    started = set()
    for line in read_lines(results_path):
        if line.get("outcome") == "start":
            started.add(line["test"])
    return started


def _tests(suite: unittest.TestSuite | unittest.TestCase) -> list[unittest.TestCase]:
    """
    The test cases in C{suite}, in order.
    """
    if isinstance(suite, unittest.TestSuite):
        return [t for child in suite for t in _tests(child)]
    return [suite]


def _worker(config: str, results_path: str, test_names: Sequence[str]) -> None:
    """
    Run C{tornado.test.runtests.main()} in this process on C{config},
    recording outcomes to C{results_path}, except the tests that file shows
    started already (a worker resuming after a hang).
    """
    from tornado.test import runtests

    started = _started(results_path)
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
        threading.excepthook = Result.record_thread_exception

        class Runner(runner_class):  # type: ignore[misc,valid-type]
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                self.resultclass = Result

            def run(self, test: Any) -> Any:
                # A resumed worker runs what its predecessors did not start.
                left = [t for t in _tests(test) if t.id() not in started]
                return super().run(unittest.TestSuite(left))

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
    records.write(
        json.dumps({"finished": True, "status": status, "loops": _loop_counts}) + "\n"
    )
    records.close()
    sys.exit(0 if status in (0, None) else 1)


# Parent side

#: The outcomes that count as failing (a hung test counts as an error).
FAILING = ("failed", "error", "hung")
#: unittest's ids for a failing class or module fixture: "setUpClass (mod.Cls)".
_FIXTURES = ("setUpClass", "tearDownClass", "setUpModule", "tearDownModule")


def _loadable_name(test_id: str) -> str:
    """
    The name that reruns C{test_id} (C{unittest}'s C{loadTestsFromName}):
    a subtest's id without its parameters, a failing fixture's class or
    module.
    """
    head, _, rest = test_id.partition(" ")
    if head in _FIXTURES and rest.startswith("(") and rest.endswith(")"):
        return rest[1:-1]
    return head


def _module(test_id: str) -> str:
    """
    The test module of C{test_id} (C{tornado.test.web_test}), or for a
    doctest the module it is in (C{tornado.httputil}).
    """
    parts = _loadable_name(test_id).split(".")
    return ".".join(parts[:3] if parts[1:2] == ["test"] else parts[:2])


def _label(config: str) -> str:
    if config == BASELINE:
        return "stdlib asyncio"
    if config in GLOBAL:
        return f"TwistedIOLoop/{config.removeprefix('global-')}, global reactor"
    if config in PER_FD:
        name = config.removesuffix("-per-fd")
        return f"TwistedIOLoop/{name}, reactor per loop, per-descriptor"
    return f"TwistedIOLoop/{config}, reactor per loop"


class _Progress:
    """
    Follows a worker's JSON-lines file while the worker runs, and prints a
    line each time the worker leaves a test module.
    """

    def __init__(self, label: str, path: str) -> None:
        self._label = label
        self._file = open(path, encoding="utf-8")
        self._buffer = ""
        self._start = time.monotonic()
        self._module: str | None = None
        self._tests = self._bad = self._done = self._total_bad = 0

    def poll(self) -> None:
        """
        Read what the worker wrote since the last call.
        """
        self._buffer += self._file.read()
        *lines, self._buffer = self._buffer.split("\n")
        for raw in lines:
            line = json.loads(raw)
            if "test" not in line or line["outcome"] == "start":
                continue
            module = _module(line["test"])
            if module != self._module:
                self._report()
                self._module = module
            self._tests += 1
            self._done += 1
            if line["outcome"] in FAILING:
                self._bad += 1
                self._total_bad += 1

    def _report(self) -> None:
        if self._module is not None:
            print(
                f"  {self._label}: {self._module}: {self._tests} tests,"
                f" {self._bad} failing ({self._done} done, {self._total_bad}"
                f" failing, {time.monotonic() - self._start:.0f}s)",
                flush=True,
            )
        self._tests = self._bad = 0

    def close(self) -> None:
        self.poll()
        self._report()
        self._file.close()


def _summarise(
    config: str, path: str, returncode: int | None, duration: float
) -> tuple[dict[str, Any], dict[str, str]]:
    """
    Read a worker's JSON-lines file into a result dict, and the outcome
    of each test by id.
    """
    outcomes: dict[str, tuple[str, str]] = {}
    started: str | None = None
    finished = False
    status: object = None
    setup_error = None
    loops = None
    thread_exceptions: dict[str, list[str]] = {}
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
                loops = line.get("loops")
            elif "setup_error" in line:
                setup_error = line["setup_error"]
            elif "thread_exception" in line and line["during"] is not None:
                exceptions = thread_exceptions.setdefault(line["during"], [])
                exceptions.append(line["thread_exception"])

    def ids(outcome: str) -> list[str]:
        return sorted(t for t, (o, _) in outcomes.items() if o == outcome)

    result = {
        "config": config,
        "passed": len(ids("passed")),
        "failed": len(ids("failed")),
        "errors": len(ids("error")) + len(ids("hung")),
        "skipped": len(ids("skipped")),
        "expected_failures": len(ids("expected_failure")),
        "unexpected_successes": len(ids("unexpected_success")),
        "failures": ids("failed"),
        "error_ids": ids("error") + ids("hung"),
        "hung": ids("hung"),
        "skips": {t: d for t, (o, d) in outcomes.items() if o == "skipped"},
        "details": {
            t: "\n".join(
                [d, *(f"in a thread: {e}" for e in thread_exceptions.get(t, ()))]
            )
            for t, (o, d) in outcomes.items()
            if o in FAILING
        },
        "finished": finished,
        "runtests_status": status,
        "returncode": returncode,
        "running_when_stopped": started,
        "setup_error": setup_error,
        "loops": loops if config in GLOBAL else None,
        "duration": round(duration, 1),
    }
    return result, {t: o for t, (o, _) in outcomes.items()}


def run_config(
    config: str,
    test_names: Sequence[str],
    timeout: float,
    verbose: bool = False,
    label: str | None = None,
    stall: float = 60,
) -> tuple[dict[str, Any], dict[str, str]]:
    """
    Run the suite (or C{test_names}) on C{config} in worker subprocesses (a
    new one after each hang: C{conformance/_workers.py}), printing a
    progress line per test module; return its result dict and the outcome
    of each test by id.

    @param timeout: seconds for the whole run; the suite is left
        unfinished after that.
    @param stall: seconds without a test starting or ending after which
        the running test is recorded as hung.
    """
    fd, path = tempfile.mkstemp(prefix=f"tornado-suite-{config}-", suffix=".jsonl")
    os.close(fd)
    env = dict(os.environ, **{WORKER_ENV: config, RESULT_ENV: path})
    env.update(_empty_ca_store())
    env.setdefault("ASYNC_TEST_TIMEOUT", "10")
    start = time.monotonic()
    progress = _Progress(label or config, path)

    def state() -> WorkerState:
        running, done = None, False
        for line in read_lines(path):
            if "test" in line:
                running = line["test"] if line["outcome"] == "start" else None
            elif line.get("finished") or "setup_error" in line:
                done = True
        return WorkerState(running, done)

    def record_hung(test: str, why: str) -> None:
        append_line(path, {"test": test, "outcome": "hung", "detail": why})

    try:
        returncode, _ = run_resumable(
            [sys.executable, os.path.abspath(__file__), *test_names],
            env,
            path,
            stall=stall,
            state=state,
            record_hung=record_hung,
            deadline=start + timeout,
            progress=progress.poll,
            verbose=verbose,
        )
        progress.close()
        return _summarise(config, path, returncode, time.monotonic() - start)
    finally:
        os.unlink(path)


def _empty_ca_store() -> dict[str, str]:
    """
    Return the environment that gives OpenSSL an empty system CA store: an
    empty file and an empty directory, made once per run and removed at
    exit.
    """
    global _ca_store
    if _ca_store is None:
        directory = tempfile.mkdtemp(prefix="tornado-suite-ca-")
        atexit.register(shutil.rmtree, directory, True)
        cafile = os.path.join(directory, "empty.pem")
        open(cafile, "w").close()
        capath = os.path.join(directory, "certs")
        os.mkdir(capath)
        _ca_store = {"SSL_CERT_FILE": cafile, "SSL_CERT_DIR": capath}
    return _ca_store


_ca_store: dict[str, str] | None = None


def _failing(result: dict[str, Any]) -> set[str]:
    return set(result["failures"]) | set(result["error_ids"])


def _rerun_outcome(outcomes: dict[str, str], test_id: str) -> str:
    """
    What a rerun did with C{test_id}: its own outcome if recorded, else
    C{"failed"} if a test it covers (a subtest's test, a fixture's class)
    failed, C{"passed"} if they ran, C{"not run"} if none ran.
    """
    if test_id in outcomes:
        return outcomes[test_id]
    name = _loadable_name(test_id)
    related = [
        o
        for t, o in outcomes.items()
        if _loadable_name(t) == name or t.startswith(name + ".")
    ]
    if any(o in FAILING for o in related):
        return "failed"
    return "passed" if related else "not run"


def candidates(results: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    """
    For each non-baseline configuration, the failed or erroring tests the
    baseline does not also fail or error.
    """
    base = results.get(BASELINE)
    bad_in_base = _failing(base) if base else set()
    return {
        config: sorted(_failing(r) - bad_in_base)
        for config, r in results.items()
        if config != BASELINE
    }


def rerun_candidates(
    found: dict[str, list[str]],
    timeout: float,
    verbose: bool = False,
    stall: float = 60,
) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """
    Rerun each configuration's C{found} tests once on that configuration,
    and all of them once on the baseline; return the outcomes, by
    configuration then test, and the baseline's, by test.
    """
    reruns: dict[str, dict[str, str]] = {}
    everything: set[str] = set()
    for config, ids in found.items():
        if not ids:
            continue
        everything.update(ids)
        names = sorted({_loadable_name(t) for t in ids})
        print(f"rerunning {len(names)} failing tests on {config} ...", flush=True)
        _, outcomes = run_config(
            config, names, timeout, verbose, f"{config} rerun", stall
        )
        reruns[config] = {t: _rerun_outcome(outcomes, t) for t in ids}
    if not everything:
        return reruns, {}
    names = sorted({_loadable_name(t) for t in everything})
    print(f"rerunning {len(names)} tests on {BASELINE} ...", flush=True)
    _, outcomes = run_config(
        BASELINE, names, timeout, verbose, f"{BASELINE} rerun", stall
    )
    return reruns, {t: _rerun_outcome(outcomes, t) for t in sorted(everything)}


def classify(
    found: dict[str, list[str]], baseline_reruns: dict[str, str]
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """
    Split each configuration's C{found} tests into real failures and flakes
    of Tornado's suite (those that failed on the baseline's rerun too).
    """
    new: dict[str, list[str]] = {}
    flakes: dict[str, list[str]] = {}
    for config, ids in found.items():
        flaky = [t for t in ids if baseline_reruns.get(t) in FAILING]
        flakes[config] = flaky
        new[config] = [t for t in ids if t not in flaky]
    return new, flakes


def format_table(
    results: dict[str, dict[str, Any]], flakes: dict[str, list[str]]
) -> str:
    header = (
        "configuration",
        "passed",
        "failed",
        "errors",
        "skipped",
        "flakes",
        "time(s)",
        "finished",
    )
    rows = [header]
    for config, r in results.items():
        name = _label(config)
        if r["loops"] is not None:
            name += f" ({r['loops']['global']} on it, {r['loops']['private']} private)"
        rows.append(
            (
                name,
                str(r["passed"]),
                str(r["failed"]),
                str(r["errors"]),
                str(r["skipped"]),
                str(len(flakes.get(config, ()))),
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


def problems(results: dict[str, dict[str, Any]]) -> list[str]:
    """
    What makes a run incomplete: a worker that did not finish, or a
    global-reactor configuration in which no loop used the global reactor.
    """
    found = []
    for config, r in results.items():
        if not r["finished"]:
            found.append(
                f"{config}: did not finish (rc={r['returncode']}, "
                f"in {r['running_when_stopped']})"
            )
        elif r["loops"] is not None and not r["loops"]["global"]:
            found.append(f"{config}: no loop used the global reactor")
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--config",
        nargs="+",
        choices=CONFIGS,
        default=[c for c in CONFIGS if c not in GUI],
        help="configurations to run (default: all but the GUI reactors', which need the gui extra; the baseline is always run)",
    )
    parser.add_argument("--json", metavar="FILE", help="write the results as JSON")
    parser.add_argument(
        "--timeout", type=float, default=1800, help="seconds per configuration"
    )
    parser.add_argument(
        "--stall",
        type=float,
        default=60,
        help="seconds without progress before a test is recorded as hung "
        "(and a new worker resumes after it)",
    )
    parser.add_argument("--verbose", action="store_true", help="show workers' output")
    parser.add_argument("tests", nargs="*", help="test names (default: all)")
    args = parser.parse_args(argv)
    configs = [BASELINE] + [c for c in args.config if c != BASELINE]
    results: dict[str, dict[str, Any]] = {}
    for config in configs:
        print(f"running Tornado's test suite on {_label(config)} ...", flush=True)
        results[config], _ = run_config(
            config, args.tests, args.timeout, args.verbose, stall=args.stall
        )
    found = candidates(results)
    reruns, baseline_reruns = rerun_candidates(
        found, args.timeout, args.verbose, args.stall
    )
    new, flakes = classify(found, baseline_reruns)
    print()
    print(format_table(results, flakes))
    for config in found:
        for name in flakes[config]:
            print(
                f"flake on {config} (failed on stdlib asyncio too when rerun): {name}"
            )
        if new[config]:
            print()
            print(f"failures/errors on {config} not also on stdlib asyncio:")
        for name in new[config]:
            print(f"  {name} (rerun on {config}: {reruns[config][name]})")
    incomplete = problems(results)
    for problem in incomplete:
        print(problem)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(
                {
                    "results": results,
                    "new_failures": new,
                    "flakes": flakes,
                    "reruns": reruns,
                    "baseline_reruns": baseline_reruns,
                    "problems": incomplete,
                },
                f,
                indent=2,
                sort_keys=True,
            )
    return 1 if incomplete or any(new.values()) else 0


if __name__ == "__main__":
    if os.environ.get(WORKER_ENV):
        _worker(os.environ[WORKER_ENV], os.environ[RESULT_ENV], sys.argv[1:])
    else:
        sys.exit(main())
