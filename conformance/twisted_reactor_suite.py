"""
Run Twisted's own reactor test suite (the C{ReactorBuilder} tests in
C{twisted.internet.test}) against TornadoReactor and, as baselines, against
Twisted's built-in reactors; print the counts side by side.

    python conformance/twisted_reactor_suite.py [--reactor NAME]... [--json FILE]

Each reactor runs in its own subprocess (``--one NAME`` is that worker), so
one reactor's process-global state (signal handlers, the global reactor
object the builder swaps) cannot leak into another's run.  The worker sets
C{ReactorBuilder._reactors} to its one reactor before importing the test
modules, which build their per-reactor test classes at import time.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from typing import Any

#: Every module of twisted.internet.test that builds per-reactor classes
#: with ReactorBuilder.makeTestCaseClasses (test_cfreactor and
#: test_win32events are for macOS and Windows reactors only).
MODULES = [
    "twisted.internet.test.test_core",
    "twisted.internet.test.test_fdset",
    "twisted.internet.test.test_newtls",
    "twisted.internet.test.test_process",
    "twisted.internet.test.test_socket",
    "twisted.internet.test.test_stdio",
    "twisted.internet.test.test_tcp",
    "twisted.internet.test.test_threads",
    "twisted.internet.test.test_time",
    "twisted.internet.test.test_tls",
    "twisted.internet.test.test_udp",
    "twisted.internet.test.test_unix",
]

#: Short name -> fully qualified reactor factory.
REACTORS = {
    "TornadoReactor/asyncio": "txtornado.test.reactors.tornadoAsyncioReactor",
    "TornadoReactor/uvloop": "txtornado.test.reactors.tornadoUvloopReactor",
    "AsyncioSelectorReactor": "twisted.internet.test.reactormixins.AsyncioSelectorReactor",
    "EPollReactor": "twisted.internet.epollreactor.EPollReactor",
}


#: Seconds before a hung reactor test is stopped and failed.
HANG_TIMEOUT = 30


#: Reactors run only when named with --reactor.  Twisted's own
#: AsyncioSelectorReactor on uvloop shows what uvloop itself changes, but
#: every process test hangs on it (uvloop refuses SIGCHLD handlers), which
#: costs half an hour of timeouts.
OPTIONAL_REACTORS = {
    "AsyncioSelectorReactor/uvloop": "txtornado.test.reactors.asyncioSelectorReactorOnUvloop",
}


def _testId(test: Any) -> str:
    return str(test.id())


def runOne(factory: str) -> dict[str, Any]:
    """
    Run the suite for one reactor factory in this process and return the
    outcome of every test.
    """
    from twisted.internet.test.reactormixins import ReactorBuilder

    ReactorBuilder._reactors = [factory]
    # The builder stops a test's reactor after this many seconds and fails
    # the test (trial's default is 120): a hang detector, shortened so a
    # hanging test costs less of CI's time.  Every test here that passes
    # takes well under a second.
    ReactorBuilder.timeout = HANG_TIMEOUT

    from twisted.trial import reporter, runner

    stream = io.StringIO()
    result = reporter.Reporter(stream=stream, realtime=False)
    suite = runner.TestLoader().loadByNames(MODULES, recurse=False)
    started = time.monotonic()
    suite.run(result)
    elapsed = time.monotonic() - started

    def names(pairs: list[Any]) -> dict[str, str]:
        return {_testId(test): str(detail)[-2000:] for test, detail in pairs}

    return {
        "factory": factory,
        "seconds": round(elapsed, 1),
        "run": result.testsRun,
        "passed": result.successes,
        "failures": names(result.failures),
        "errors": names(result.errors),
        "skips": {_testId(t): str(why) for t, why in result.skips},
        "expectedFailures": [_testId(t) for t, *_ in result.expectedFailures],
        "unexpectedSuccesses": [_testId(t) for t, *_ in result.unexpectedSuccesses],
    }


def _shortTestName(testId: str, factory: str) -> str:
    # "twisted.internet.test.test_tcp.TCPClientTestsBuilder_X_tornadoAsyncioReactorTests.test_y"
    # -> "test_tcp.TCPClientTestsBuilder.test_y", comparable across reactors.
    _module, _, rest = testId.partition(".test_")
    cls, _, method = rest.rpartition(".")
    shortFactory = factory.rsplit(".", 1)[-1]
    cls = cls.replace("_" + shortFactory + "Tests", "")
    return f"test_{cls}.{method}"


def runAll(names: list[str], timeout: float) -> dict[str, dict[str, Any]]:
    """
    Run each named reactor in its own subprocess; return their results.
    """
    results: dict[str, dict[str, Any]] = {}
    for name in names:
        factory = {**REACTORS, **OPTIONAL_REACTORS}[name]
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        proc = subprocess.run(
            [sys.executable, __file__, "--one", factory],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            cwd=tempfile.mkdtemp(prefix="txtornado-reactor-suite-"),
        )
        out = proc.stdout.strip().splitlines()
        if proc.returncode != 0 or not out:
            raise RuntimeError(
                f"worker for {name} exited {proc.returncode}:\n{proc.stderr[-5000:]}"
            )
        results[name] = json.loads(out[-1])
    return results


def summarise(results: dict[str, dict[str, Any]], judged: list[str]) -> str:
    """
    A table of counts per reactor, then every failure or error of a judged
    reactor that no built-in reactor also shows.
    """
    lines = [
        f"{'reactor':<26}{'run':>6}{'passed':>8}{'failed':>8}{'errors':>8}"
        f"{'skipped':>9}{'xfail':>7}{'seconds':>9}"
    ]
    for name, r in results.items():
        lines.append(
            f"{name:<26}{r['run']:>6}{r['passed']:>8}{len(r['failures']):>8}"
            f"{len(r['errors']):>8}{len(r['skips']):>9}"
            f"{len(r['expectedFailures']):>7}{r['seconds']:>9}"
        )
    lines.append("")
    baseline = baselineBad(results, judged)
    for name in judged:
        if name not in results:
            continue
        extra = sorted(set(bad(results[name])) - baseline)
        lines.append(
            f"{name}: {len(extra)} failures/errors not shown by a built-in reactor"
        )
        for test in extra:
            lines.append(f"  {test}")
        for kind in ("failures", "errors"):
            for testId, detail in sorted(results[name][kind].items()):
                short = _shortTestName(testId, results[name]["factory"])
                if short in extra:
                    lines.append(f"--- {kind[:-1]}: {short}\n{detail[-1500:]}")
    return "\n".join(lines)


def bad(result: dict[str, Any]) -> list[str]:
    """
    The reactor-independent names of a result's failures and errors.
    """
    return [
        _shortTestName(t, result["factory"])
        for kind in ("failures", "errors")
        for t in result[kind]
    ]


def baselineBad(results: dict[str, dict[str, Any]], judged: list[str]) -> set[str]:
    """
    Failures and errors that some built-in (not judged) reactor shows too.
    """
    found: set[str] = set()
    for name, r in results.items():
        if name not in judged:
            found.update(bad(r))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--one", help="worker mode: run this factory, print JSON")
    parser.add_argument(
        "--reactor",
        action="append",
        choices=[*REACTORS, *OPTIONAL_REACTORS],
        help=f"default: {', '.join(REACTORS)}",
    )
    parser.add_argument("--json", help="write all results to this file")
    parser.add_argument("--timeout", type=float, default=1200.0)
    args = parser.parse_args()
    if args.one:
        result = runOne(args.one)
        sys.stdout.write("\n" + json.dumps(result) + "\n")
        return
    names = args.reactor or list(REACTORS)
    results = runAll(names, args.timeout)
    judged = [n for n in names if n.startswith("TornadoReactor")]
    print(summarise(results, judged))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
