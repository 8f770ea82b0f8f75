"""
One benchmark measurement, in a fresh process; started by C{run.py}.

    python benchmarks/worker.py SUITE TARGET SCENARIO [--quick]
    python benchmarks/worker.py --probe

The first form runs one scenario on one target and prints one result line
(L{bench_util.RESULT_MARKER} then JSON); the second reports which targets
can run here.  A worker always ends by itself: the scenarios are bounded,
and past the wall-clock limit C{faulthandler} dumps every thread's stack
to stderr and exits.
"""

from __future__ import annotations

import argparse
import faulthandler
import json
import os
import sys
import time
from typing import Any

from bench_suites import SUITES
from bench_util import RESULT_MARKER, emitResult, params, wrkPath


def probe() -> None:
    """
    Print, for every target of every suite, why it cannot run (or null),
    and where wrk is.
    """
    report: dict[str, object] = {"wrk": wrkPath(), "txtornado": None}
    try:
        import txtornado

        report["txtornado"] = os.path.dirname(os.path.abspath(txtornado.__file__))
    except Exception as e:  # the targets' probes will say why too
        report["txtornado"] = f"import failed: {e!r}"
    for suite in SUITES.values():
        reasons: dict[str, str | None] = {}
        for target in suite.targets:
            try:
                reasons[target.name] = target.probe()
            except Exception as e:  # a broken import is a reason too
                reasons[target.name] = f"probe failed: {e!r}"
        report[suite.name] = reasons
    print(RESULT_MARKER + json.dumps(report), flush=True)


def _logProblemsToStderr() -> None:
    """
    Show Twisted's warnings and errors (an exception a reactor logged and
    swallowed, say) on stderr, where the harness looks for them.  Python's
    own logging already prints warnings and up there.
    """
    from twisted.logger import (
        FilteringLogObserver,
        LogLevel,
        LogLevelFilterPredicate,
        globalLogBeginner,
        textFileLogObserver,
    )

    predicate: Any = LogLevelFilterPredicate(defaultLogLevel=LogLevel.warn)
    text: Any = textFileLogObserver(sys.stderr)
    observer: Any = FilteringLogObserver(text, [predicate])
    globalLogBeginner.beginLoggingTo([observer], redirectStandardIO=False)


def _settleAllocator() -> None:
    """
    Put glibc's malloc in the state a long-running process reaches by
    itself, the same for every target.

    glibc serves allocations over its mmap threshold (128 KiB at start)
    with mmap, and raises the threshold the first time it frees such a
    block.  CPython's selector transports allocate 256 KiB for every read:
    until something has raised the threshold, each read costs an mmap, an
    mremap and an munmap, which cut stdlib asyncio's echo rate by up to 4x,
    or not, depending on what the process happened to free before.
    Freeing one 4 MiB block now raises the threshold to 4 MiB for all.
    """
    block = bytes(4 * 1024 * 1024)
    del block


def measure(suiteName: str, target: str, scenario: str, quick: bool) -> None:
    """
    Run one scenario on one target and print its result line.
    """
    suite = SUITES[suiteName]
    suite.target(target)
    unit = suite.scenario(scenario).unit
    p = params(quick)
    faulthandler.dump_traceback_later(p.workerLimit, exit=True)
    _logProblemsToStderr()
    _settleAllocator()
    started = time.perf_counter()
    if suiteName == "reactor":
        import bench_reactor

        value = bench_reactor.run(target, scenario, p)
    elif suiteName == "endpoints":
        import bench_endpoints

        value = bench_endpoints.run(target, scenario, p)
    else:
        import bench_ioloop

        value = bench_ioloop.run(target, scenario, p)
    faulthandler.cancel_dump_traceback_later()
    emitResult(value, unit, seconds=round(time.perf_counter() - started, 3))


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--probe", action="store_true")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("suite", nargs="?", choices=sorted(SUITES))
    parser.add_argument("target", nargs="?")
    parser.add_argument("scenario", nargs="?")
    args = parser.parse_args(argv)
    if args.probe:
        probe()
    elif args.scenario is None:
        parser.error("SUITE TARGET SCENARIO are required without --probe")
    else:
        measure(args.suite, args.target, args.scenario, args.quick)


if __name__ == "__main__":
    main(sys.argv[1:])
