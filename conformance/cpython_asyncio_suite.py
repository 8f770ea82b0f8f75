"""
Run CPython's own asyncio test suite (the standard library's
C{test.test_asyncio} package, shipped with this Python) on TwistedEventLoop
over Twisted's EPoll, Poll and Select reactors, and, side by side, on stdlib
asyncio's own loop (the baseline) and on uvloop (a second reference).

    python conformance/cpython_asyncio_suite.py [--config stdlib uvloop epoll poll select
        poll-per-fd select-per-fd gi qt] [--json FILE] [--stall SECONDS] [-- test ids...]

C{poll-per-fd} and C{select-per-fd} are C{poll} and C{select} with
C{nested_selector=False}: every descriptor of the loop is registered on
the reactor itself (the per-descriptor mode, the only one where epoll is
missing, on the reactors Twisted installs by default there: C{PollReactor}
on the BSDs, C{SelectReactor} on macOS).

Which tests judge the loop
==========================

CPython's suite is written for CPython's loops: most of its tests build the
loop they test themselves.  Like uvloop, which keeps its own adapted copy of
these tests rather than running CPython's, we cannot run a test on our loop
that constructs C{asyncio.SelectorEventLoop(...)} or a mocked
C{BaseSelectorEventLoop} directly, or that runs on C{test_utils.TestLoop}
(a virtual-time loop): those test asyncio's Python code, or stdlib's
selector loop, whatever loop is installed.  The honest scope is the tests
that get their loop through the door an application uses, and through the
hooks CPython itself uses to run the same tests on each of its loops:

  - the event loop policy: each configuration makes its policy asyncio's
    I{default} one (C{asyncio.DefaultEventLoopPolicy} is replaced by a
    subclass of the configuration's policy, so the suite's own
    C{set_event_loop_policy(None)} in every C{tearDownModule} keeps it),
    so C{asyncio.new_event_loop()}, C{asyncio.run()}, C{asyncio.Runner},
    C{IsolatedAsyncioTestCase} and C{get_event_loop()} make the
    configuration's loops;
  - the per-loop test classes' C{create_event_loop}/C{new_loop} hooks (see
    L{HOOKS}): CPython runs those classes once per selector and once for
    the proactor; here the class of the selector matching the reactor (and
    the classes for the default selector) make their loop through the
    policy.  The classes for other selectors still test stdlib's loop on
    that selector, so a Twisted or uvloop run leaves them out.

The worker counts the loops each test made through the policy
(C{"loops"} in the report).  A test is I{in scope} if it made at least one
on stdlib, which runs every test first: only those judge a loop, and the
other configurations run only those (a test's way to its loop does not
depend on the loop; C{--all} runs every test everywhere, which shows the
policy breaks none of the others, at about twice the time).  For the
Twisted configurations every policy loop is a C{TwistedEventLoop} on a new
reactor of its own (C{reactor_factory}), as in the Tornado suite's runner;
with C{--global-reactor}, every loop uses the global reactor instead.

Modules left out (L{EXCLUDED}) test another loop's internals and never make
a loop through the policy; the few tests in L{LEFT_OUT_TESTS} are out of
scope and too slow to run for nothing.

Hangs
=====

Each configuration runs in a worker subprocess that writes one JSON line
per test start and outcome.  A test that makes no progress for C{--stall}
seconds is recorded as C{"hung"}, the worker is killed and a new one
resumes after it, so one hang costs one stall and nothing else
(C{conformance/_workers.py}, as for Tornado's suite).

Reruns
======

An in-scope test that fails (errors, hangs) on a Twisted configuration but
passes on stdlib is rerun once, in a new worker, on that configuration and
on stdlib.  It counts as a I{flake} of the suite (reported by name, not as
a failure) only if it fails on stdlib too in that rerun; otherwise it is a
real failure, whatever its rerun on the Twisted configuration did (which
is reported beside it).

A test that skips itself on a Twisted configuration but passes on stdlib
(some tests skip when a race or a timeout leaves them inconclusive) is
rerun there too, and counts as passed if it passes then (reported by
name); otherwise it stays a skip, which the judge counts against the
configuration.

The report (C{--json}) holds, per configuration, every test's outcome and
loop count, the counts, and the wall time, the real failures
(C{new_failures}), the flakes and the reruns' outcomes; the printed table
shows, per configuration, all tests and the in-scope ones side by side,
then the flakes and the real failures (the judge,
C{txtornado/test/test_conformance_asyncio.py}, explains each real failure
in its KNOWN list).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import time
import traceback
import unittest
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from _reactors import REACTORS, make_qt_application
from _workers import WorkerState, append_line, read_lines, run_resumable

WORKER_ENV = "TXTORNADO_ASYNCIO_SUITE_WORKER"
RESULT_ENV = "TXTORNADO_ASYNCIO_SUITE_RESULTS"
ONLY_ENV = "TXTORNADO_ASYNCIO_SUITE_ONLY"
GLOBAL_REACTOR_ENV = "TXTORNADO_ASYNCIO_SUITE_GLOBAL_REACTOR"

BASELINE = "stdlib"
#: Per-descriptor mode (nested_selector=False) on these reactors.
PER_FD = ("poll-per-fd", "select-per-fd")
#: Twisted's GUI reactors (the gui extra): GLib's (gireactor) and Qt's
#: (qt5reactor, on a QCoreApplication the worker makes first).
GUI_CONFIGS = ("gi", "qt")
CONFIGS = ("stdlib", "uvloop", "epoll", "poll", "select", *PER_FD, *GUI_CONFIGS)
TWISTED_CONFIGS = ("epoll", "poll", "select", *PER_FD, *GUI_CONFIGS)


#: Modules of test.test_asyncio not run, with why.
EXCLUDED = {
    "test_proactor_events": (
        "Windows' proactor loop (BaseProactorEventLoop and its transports), "
        "tested on mocks: another loop's internals; no test makes a loop "
        "through the policy"
    ),
    "test_windows_events": "Windows' ProactorEventLoop and IocpProactor (skipped on POSIX)",
    "test_windows_utils": "Windows' pipe helpers (skipped on POSIX)",
}

#: Tests not run on any configuration, with why (C{*} matches any class).
LEFT_OUT_TESTS = {
    "test_tasks.*.test_task_del_collect": (
        "out of scope (runs on test_utils.TestLoop, not a policy loop) and "
        "20-45 s each of gc.collect() calls from __del__ (8 classes)"
    ),
    "test_futures.*.test_future_del_collect": (
        "out of scope (needs no loop at all) and ~20 s each of gc.collect() "
        "calls from __del__ (3 classes)"
    ),
}

#: module -> {test class: the configuration whose loop its loop hook makes
#: (None: the default selector's class, every configuration)}.  Every
#: other configuration leaves the class out (it tests stdlib's loop on
#: another selector).  The stdlib baseline runs every class unchanged.
HOOKS: dict[str, dict[str, str | None]] = {
    "test_events": {
        "EPollEventLoopTests": "epoll",
        "PollEventLoopTests": "poll",
        "SelectEventLoopTests": "select",
        "KqueueEventLoopTests": "kqueue",
    },
    "test_sendfile": {
        "EPollEventLoopTests": "epoll",
        "PollEventLoopTests": "poll",
        "SelectEventLoopTests": "select",
        "KqueueEventLoopTests": "kqueue",
    },
    "test_sock_lowlevel": {
        "EPollEventLoopTests": "epoll",
        "PollEventLoopTests": "poll",
        "SelectEventLoopTests": "select",
        "KqueueEventLoopTests": "kqueue",
    },
    "test_buffered_proto": {"BufferedProtocolSelectorTests": None},
    "test_server": {"SelectorStartServerTests": None},
    "test_sslproto": {"SelectorStartTLSTests": None},
}

#: uvloop is epoll-based: it takes the EPoll classes.  GLib's main loop
#: waits with poll(2), and so does Qt's on Linux (its GLib dispatcher): the
#: GUI configurations take the Poll classes.
_HOOK_CONFIG = {
    "uvloop": "epoll",
    "epoll": "epoll",
    "poll": "poll",
    "select": "select",
    "poll-per-fd": "poll",
    "select-per-fd": "select",
    "gi": "poll",
    "qt": "poll",
}


def modules() -> list[str]:
    """
    The test modules run: every C{test_*} module of C{test.test_asyncio}
    except L{EXCLUDED}.
    """
    import test.test_asyncio as package

    directory = os.path.dirname(package.__file__)
    names = sorted(
        name[:-3]
        for name in os.listdir(directory)
        if name.startswith("test_") and name.endswith(".py")
    )
    return [f"test.test_asyncio.{name}" for name in names if name not in EXCLUDED]


# Worker side


class _Counter:
    """
    The loops made through the policy during the current test.
    """

    loops = 0
    wrong: list[str] = []


def _policy_class(config: str) -> type:
    """
    The policy class that becomes asyncio's default for C{config}: the
    configuration's own policy, counting the loops it makes.
    """
    import asyncio

    base: type
    expected: type
    #: The policy's keyword arguments.
    options: dict[str, Any] = {}
    if config == BASELINE:
        base = asyncio.DefaultEventLoopPolicy
        expected = asyncio.SelectorEventLoop
    elif config == "uvloop":
        import uvloop

        base = uvloop.EventLoopPolicy
        expected = uvloop.Loop
    else:
        import importlib

        from txtornado import TwistedEventLoop, TwistedEventLoopPolicy

        if config == "qt":
            make_qt_application()
        module, name = REACTORS[config.removesuffix("-per-fd")]
        if config in PER_FD:
            options["nested_selector"] = False
        if os.environ.get(GLOBAL_REACTOR_ENV):
            # Every loop on the one global reactor, of this type.
            importlib.import_module(module).install()  # type: ignore[attr-defined]
        else:
            options["reactor_factory"] = getattr(importlib.import_module(module), name)
        base = TwistedEventLoopPolicy
        expected = TwistedEventLoop

    def __init__(self: Any) -> None:  # noqa: N807 (becomes a method below)
        base.__init__(self, **options)

    def new_event_loop(self: Any) -> Any:
        # Counted first: a test whose loop cannot be made is in scope.
        _Counter.loops += 1
        loop = base.new_event_loop(self)
        if type(loop) is not expected:
            _Counter.wrong.append(repr(loop))
        return loop

    return type(
        f"Counting{base.__name__}",
        (base,),
        {"__init__": __init__, "new_event_loop": new_event_loop},
    )


def _configure(config: str) -> set[str]:
    """
    Make C{config}'s policy asyncio's default and route the matching loop
    hooks through it.  Return the ids prefixes (module.Class) of the hook
    classes this configuration leaves out.
    """
    import asyncio
    import importlib

    policy = _policy_class(config)
    asyncio.DefaultEventLoopPolicy = policy  # type: ignore[misc]
    asyncio.set_event_loop_policy(None)
    left_out: set[str] = set()
    for module_name, classes in HOOKS.items():
        module = importlib.import_module(f"test.test_asyncio.{module_name}")
        for class_name, hook_config in classes.items():
            cls = getattr(module, class_name, None)
            if cls is None:
                continue
            hook = (
                "create_event_loop" if "create_event_loop" in vars(cls) else "new_loop"
            )
            if config == BASELINE:
                original = vars(cls)[hook]

                def counted(self: Any, _original: Any = original) -> Any:
                    _Counter.loops += 1
                    return _original(self)

                setattr(cls, hook, counted)
            elif hook_config is None or hook_config == _HOOK_CONFIG[config]:
                setattr(cls, hook, lambda self: asyncio.new_event_loop())
            else:
                left_out.add(f"{cls.__module__}.{class_name}.")
    return left_out


class _RecordingResult(unittest.TestResult):
    """
    Writes one JSON line when a test starts and one with its outcome (the
    worst one seen: a test failing and then erroring in a cleanup is an
    error) and its loop count when it stops.
    """

    def __init__(self, records: TextIO) -> None:
        super().__init__()
        self.records = records
        self._outcome: tuple[str, str] | None = None
        self._started = 0.0

    def _write(self, line: dict[str, Any]) -> None:
        self.records.write(json.dumps(line) + "\n")
        self.records.flush()

    def _set(self, outcome: str, detail: str = "") -> None:
        rank = ["passed", "skipped", "expected_failure", "failed", "error"]
        if self._outcome is None or rank.index(outcome) > rank.index(self._outcome[0]):
            self._outcome = (outcome, detail[-4000:])

    def startTest(self, test: unittest.TestCase) -> None:
        super().startTest(test)
        _Counter.loops = 0
        _Counter.wrong = []
        self._outcome = None
        self._started = time.monotonic()
        self._write({"start": test.id()})

    def stopTest(self, test: unittest.TestCase) -> None:
        super().stopTest(test)
        outcome, detail = self._outcome or ("passed", "")
        if _Counter.wrong:
            outcome = "error"
            detail = f"the policy made loops of another type: {_Counter.wrong}"
        self._write(
            {
                "test": test.id(),
                "outcome": outcome,
                "detail": detail,
                "loops": _Counter.loops,
                "seconds": round(time.monotonic() - self._started, 2),
            }
        )

    def addSuccess(self, test: unittest.TestCase) -> None:
        self._set("passed")

    def addFailure(self, test: unittest.TestCase, err: Any) -> None:
        self._set("failed", self._exc_info_to_string(err, test))

    def addError(self, test: unittest.TestCase, err: Any) -> None:
        detail = self._exc_info_to_string(err, test)
        if isinstance(test, unittest.TestCase):
            self._set("error", detail)
        else:
            # A class or module fixture (unittest's _ErrorHolder).
            self._write(
                {"test": test.id(), "outcome": "error", "detail": detail, "loops": 0}
            )

    def addSkip(self, test: unittest.TestCase, reason: str) -> None:
        if isinstance(test, unittest.TestCase):
            self._set("skipped", reason)
        else:
            self._write(
                {"test": test.id(), "outcome": "skipped", "detail": reason, "loops": 0}
            )

    def addExpectedFailure(self, test: unittest.TestCase, err: Any) -> None:
        self._set("expected_failure")

    def addUnexpectedSuccess(self, test: unittest.TestCase) -> None:
        self._set("failed", "unexpected success")

    def addSubTest(self, test: Any, subtest: Any, err: Any) -> None:
        if err is not None:
            failed = issubclass(err[0], test.failureException)
            self._set(
                "failed" if failed else "error",
                f"{subtest.id()}:\n{self._exc_info_to_string(err, test)}",
            )


def _tests(suite: unittest.TestSuite | unittest.TestCase) -> list[Any]:
    if isinstance(suite, unittest.TestSuite):
        return [t for s in suite for t in _tests(s)]
    return [suite]


def _left_out(test_id: str) -> bool:
    """
    Whether L{LEFT_OUT_TESTS} leaves C{test_id} out.
    """
    import fnmatch

    short = test_id.removeprefix("test.test_asyncio.")
    return any(fnmatch.fnmatchcase(short, pattern) for pattern in LEFT_OUT_TESTS)


def _worker(config: str, results_path: str, test_ids: Sequence[str]) -> None:
    """
    Run the suite on C{config} in this process, skipping the tests
    C{results_path} shows started already (a resumed worker), appending
    to it.  With C{ONLY_ENV} set, run only the test ids listed (one a
    line) in that file.
    """
    # The suite's signal tests expect Python's default SIGINT handling; a
    # shell that started this run in the background (nohup, "&" without
    # job control) made SIGINT ignored, which exec passes on.  The loops
    # differ there (stdlib's remove_signal_handler installs the default
    # handler, TwistedEventLoop's puts back the ignored disposition), but
    # the suite assumes a terminal's default.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    done: set[str] = set()
    if os.path.exists(results_path):
        with open(results_path, encoding="utf-8") as f:
            for raw in f:
                line = json.loads(raw)
                if "start" in line:
                    done.add(line["start"])
    records = open(results_path, "a", encoding="utf-8")
    try:
        left_out = _configure(config)
        loader = unittest.TestLoader()
        names = list(test_ids) or modules()
        tests = [t for name in names for t in _tests(loader.loadTestsFromName(name))]
    except BaseException:
        records.write(json.dumps({"setup_error": traceback.format_exc()}) + "\n")
        records.close()
        raise
    only: set[str] | None = None
    if os.environ.get(ONLY_ENV):
        with open(os.environ[ONLY_ENV], encoding="utf-8") as f:
            only = set(f.read().split())
    tests = [
        t
        for t in tests
        if t.id() not in done
        and (only is None or t.id() in only)
        and not _left_out(t.id())
        and not any(t.id().startswith(p) for p in left_out)
    ]
    result = _RecordingResult(records)
    unittest.TestSuite(tests).run(result)
    records.write(json.dumps({"finished": True}) + "\n")
    records.close()
    # Threads or loops a test left behind must not keep the worker alive.
    os._exit(0)


# Parent side


def _read(path: str) -> tuple[list[dict[str, Any]], str | None, bool, str | None]:
    """
    A worker file's outcome lines, the test started last without an outcome
    (if any), whether a worker finished, and a setup error.
    """
    outcomes: list[dict[str, Any]] = []
    running: str | None = None
    finished = False
    setup_error = None
    for line in read_lines(path):
        if "start" in line:
            running = line["start"]
        elif "test" in line:
            outcomes.append(line)
            if line["test"] == running:
                running = None
        elif line.get("finished"):
            finished = True
        elif "setup_error" in line:
            setup_error = line["setup_error"]
    return outcomes, running, finished, setup_error


def run_config(
    config: str,
    test_ids: Sequence[str],
    stall: float,
    verbose: bool = False,
    only: Sequence[str] | None = None,
) -> dict[str, Any]:
    """
    Run the suite on C{config} in worker subprocesses (a new one after each
    hang); return its result dict.

    @param only: run only these test ids.
    """
    fd, path = tempfile.mkstemp(prefix=f"asyncio-suite-{config}-", suffix=".jsonl")
    os.close(fd)
    env = dict(os.environ, **{WORKER_ENV: config, RESULT_ENV: path})
    only_path = None
    if only is not None:
        fd, only_path = tempfile.mkstemp(prefix="asyncio-suite-only-", suffix=".txt")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write("\n".join(only) + "\n")
        env[ONLY_ENV] = only_path
    started = time.monotonic()

    def state() -> WorkerState:
        _, running, finished, setup_error = _read(path)
        return WorkerState(running, finished or setup_error is not None)

    def record_hung(test: str, why: str) -> None:
        append_line(path, {"test": test, "outcome": "hung", "detail": why, "loops": 1})

    try:
        _, hung = run_resumable(
            [sys.executable, os.path.abspath(__file__), *test_ids],
            env,
            path,
            stall=stall,
            state=state,
            record_hung=record_hung,
            verbose=verbose,
            cwd=tempfile.gettempdir(),
        )
        outcomes, _, finished, setup_error = _read(path)
    finally:
        os.unlink(path)
        if only_path is not None:
            os.unlink(only_path)
    tests = {line["test"]: line for line in outcomes}
    return _summarise(config, tests, finished, setup_error, hung, started)


def _summarise(
    config: str,
    tests: dict[str, dict[str, Any]],
    finished: bool,
    setup_error: str | None,
    hung: list[str],
    started: float,
) -> dict[str, Any]:
    def count(outcome: str, in_scope: bool | None = None) -> int:
        return sum(
            1
            for t in tests.values()
            if t["outcome"] == outcome
            and (in_scope is None or (t["loops"] > 0) == in_scope)
        )

    kinds = ("passed", "failed", "error", "hung", "skipped", "expected_failure")
    return {
        "config": config,
        "finished": finished,
        "setup_error": setup_error,
        "seconds": round(time.monotonic() - started, 1),
        "run": len(tests),
        "in_scope": sum(1 for t in tests.values() if t["loops"] > 0),
        "counts": {k: count(k) for k in kinds},
        "counts_in_scope": {k: count(k, True) for k in kinds},
        "hung": hung,
        "tests": {
            name: {
                "outcome": t["outcome"],
                "loops": t["loops"],
                "seconds": t.get("seconds", 0),
            }
            for name, t in sorted(tests.items())
        },
        "details": {
            name: t["detail"]
            for name, t in sorted(tests.items())
            if t["outcome"] in ("failed", "error", "hung")
        },
    }


BAD = ("failed", "error", "hung")


def _in_scope_where(
    results: dict[str, dict[str, Any]],
    here: Callable[[str | None], bool],
    on_stdlib: Callable[[str | None], bool],
) -> dict[str, list[str]]:
    """
    For each Twisted configuration: the in-scope tests whose outcome there
    satisfies C{here} and whose outcome on stdlib (C{None} if it did not
    run there) satisfies C{on_stdlib}.
    """
    base = results[BASELINE]["tests"]
    return {
        config: sorted(
            name
            for name, t in r["tests"].items()
            if t["loops"] > 0
            and here(t["outcome"])
            and on_stdlib(base.get(name, {}).get("outcome"))
        )
        for config, r in results.items()
        if config in TWISTED_CONFIGS
    }


def new_failures(results: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    """
    For each Twisted configuration: the in-scope tests that fail, error or
    hang there but pass (or are skipped) on stdlib.
    """
    return _in_scope_where(
        results, lambda outcome: outcome in BAD, lambda outcome: outcome not in BAD
    )


def new_skips(results: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    """
    For each Twisted configuration: the in-scope tests that skipped
    themselves there but passed on stdlib (the suite skips some tests when
    a race or a timeout leaves them inconclusive, e.g. a connection refused
    while racing, a child process slow to die under load).
    """
    return _in_scope_where(
        results,
        lambda outcome: outcome == "skipped",
        lambda outcome: outcome == "passed",
    )


def recovered(
    skips: dict[str, list[str]], reruns: dict[str, dict[str, str]]
) -> dict[str, list[str]]:
    """
    The C{skips} that passed when rerun on their configuration: counted as
    passed, and reported by name.
    """
    return {
        config: [t for t in ids if reruns.get(config, {}).get(t) == "passed"]
        for config, ids in skips.items()
    }


def rerun_tests(
    per_config: dict[str, list[str]],
    on_stdlib: Sequence[str],
    stall: float,
    verbose: bool = False,
) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """
    Rerun each configuration's C{per_config} tests once, in a new worker, on
    that configuration, and the C{on_stdlib} tests once on stdlib; return
    the outcomes, by configuration then test, and stdlib's, by test
    (C{"not run"} for a test a rerun did not reach).
    """
    reruns: dict[str, dict[str, str]] = {}
    for config, ids in per_config.items():
        if not ids:
            continue
        print(f"rerunning {len(ids)} tests on {config} ...", flush=True)
        tests = run_config(config, [], stall, verbose, only=ids)["tests"]
        reruns[config] = {t: tests.get(t, {}).get("outcome", "not run") for t in ids}
    if not on_stdlib:
        return reruns, {}
    ids = sorted(on_stdlib)
    print(f"rerunning {len(ids)} tests on {BASELINE} ...", flush=True)
    tests = run_config(BASELINE, [], stall, verbose, only=ids)["tests"]
    return reruns, {t: tests.get(t, {}).get("outcome", "not run") for t in ids}


def classify(
    new: dict[str, list[str]], baseline_reruns: dict[str, str]
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """
    Split each configuration's C{new} failures into real failures and
    flakes of the suite: those that failed on stdlib too when rerun.  A
    test that passes on stdlib's rerun is a real failure whatever its rerun
    on the Twisted configuration did.
    """
    real: dict[str, list[str]] = {}
    flakes: dict[str, list[str]] = {}
    for config, ids in new.items():
        flakes[config] = [t for t in ids if baseline_reruns.get(t) in BAD]
        real[config] = [t for t in ids if t not in flakes[config]]
    return real, flakes


def format_table(results: dict[str, dict[str, Any]]) -> str:
    """
    Counts per configuration: all tests, then the in-scope ones, then the
    in-scope tests of the first Twisted configuration counted on each.
    """
    rows = [
        (
            "configuration",
            "run",
            "passed",
            "failed",
            "errors",
            "hung",
            "skipped",
            "in scope",
            "passed",
            "failed",
            "errors",
            "hung",
            "skipped",
            "time(s)",
        )
    ]
    for config, r in results.items():
        c, s = r["counts"], r["counts_in_scope"]
        name = {
            "stdlib": "stdlib asyncio",
            "uvloop": "uvloop",
        }.get(config, f"TwistedEventLoop/{config}")
        rows.append(
            (
                name,
                str(r["run"]),
                str(c["passed"]),
                str(c["failed"]),
                str(c["error"]),
                str(c["hung"]),
                str(c["skipped"]),
                str(r["in_scope"]),
                str(s["passed"]),
                str(s["failed"]),
                str(s["error"]),
                str(s["hung"]),
                str(s["skipped"]),
                str(r["seconds"]) + ("" if r["finished"] else " (unfinished)"),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(
            cell.rjust(w) if i else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
    # The same in-scope tests on every configuration.
    twisted = [c for c in results if c in TWISTED_CONFIGS]
    if twisted and BASELINE in results:
        lines.append("")
        for config in twisted:
            scope = [n for n, t in results[config]["tests"].items() if t["loops"] > 0]
            parts = []
            # The Twisted configurations' scopes differ by their selector
            # classes: compare with the references only.
            for other in [c for c in results if c not in twisted] + [config]:
                tests = results[other]["tests"]
                passed = sum(
                    1 for n in scope if tests.get(n, {}).get("outcome") == "passed"
                )
                parts.append(f"{other} {passed}")
            lines.append(
                f"the {len(scope)} tests in scope on {config}, passed on: "
                + ", ".join(parts)
            )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--config",
        nargs="+",
        choices=CONFIGS,
        default=[c for c in CONFIGS if c not in GUI_CONFIGS],
        help="configurations to run (default: all but the GUI reactors', which need the gui extra; the stdlib baseline is always run)",
    )
    parser.add_argument("--json", metavar="FILE", help="write the results as JSON")
    parser.add_argument(
        "--stall",
        type=float,
        default=30,
        help="seconds without progress before a test is recorded as hung "
        "(the slowest test in scope takes under 5 s)",
    )
    parser.add_argument("--verbose", action="store_true", help="show workers' output")
    parser.add_argument(
        "--global-reactor",
        action="store_true",
        help="Twisted configurations: every loop on the global reactor "
        "(installed as the configuration's type) instead of a new reactor "
        "per loop",
    )
    parser.add_argument(
        "--all",
        action="store_true",
        help="run the tests out of scope on every configuration too "
        "(default: on stdlib only)",
    )
    parser.add_argument("tests", nargs="*", help="test ids (default: all modules)")
    args = parser.parse_args(argv)
    configs = [BASELINE] + [c for c in args.config if c != BASELINE]
    if args.global_reactor:
        os.environ[GLOBAL_REACTOR_ENV] = "1"
    results: dict[str, dict[str, Any]] = {}
    wall = time.monotonic()
    scope: list[str] | None = None
    for config in configs:
        print(f"running test.test_asyncio on {config} ...", flush=True)
        results[config] = run_config(
            config, args.tests, args.stall, args.verbose, only=scope
        )
        if config == BASELINE and not args.all:
            # The others run only what is in scope on stdlib: a test's
            # path to its loop does not depend on the loop.
            scope = [
                name for name, t in results[config]["tests"].items() if t["loops"] > 0
            ]
    print()
    print(format_table(results))
    failures, skips = new_failures(results), new_skips(results)
    # Failures are rerun on both sides; skips only where they skipped.
    reruns, baseline_reruns = rerun_tests(
        {c: sorted({*failures[c], *skips[c]}) for c in failures},
        sorted({t for ids in failures.values() for t in ids}),
        args.stall,
        args.verbose,
    )
    new, flakes = classify(failures, baseline_reruns)
    passed_on_rerun = recovered(skips, reruns)
    for config, names in flakes.items():
        for name in names:
            print(f"flake on {config} (failed on stdlib too when rerun): {name}")
    for config, names in passed_on_rerun.items():
        for name in names:
            print(f"skipped itself on {config}, passed there when rerun: {name}")
    for config, names in new.items():
        print()
        print(f"in scope on {config}, bad there and not on stdlib: {len(names)}")
        for name in names:
            rerun = reruns.get(config, {}).get(name)
            print(
                f"  {name}  [{results[config]['tests'][name]['outcome']};"
                f" rerun there: {rerun}, on stdlib: {baseline_reruns.get(name)}]"
            )
    print()
    print("left out:", ", ".join(f"{m} ({why})" for m, why in EXCLUDED.items()))
    seconds = round(time.monotonic() - wall, 1)
    print(f"wall time: {seconds}s")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(
                {
                    "results": results,
                    "new_failures": new,
                    "flakes": flakes,
                    "passed_on_rerun": passed_on_rerun,
                    "reruns": reruns,
                    "baseline_reruns": baseline_reruns,
                    "excluded": EXCLUDED,
                    "seconds": seconds,
                },
                f,
                indent=1,
                sort_keys=True,
            )
    unfinished = [c for c, r in results.items() if not r["finished"]]
    return 1 if unfinished else 0


if __name__ == "__main__":
    if os.environ.get(WORKER_ENV):
        _worker(os.environ[WORKER_ENV], os.environ[RESULT_ENV], sys.argv[1:])
    else:
        sys.exit(main())
