"""
Shared pieces of the benchmarks: workload sizes, scenario metadata, the
result line a worker prints, and running C{wrk}.

Nothing here imports Twisted or Tornado: the harness (C{run.py}) imports
this module too, and must stay free of any event loop.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: Every worker prints exactly one line starting with this, then JSON.
RESULT_MARKER = "BENCH-RESULT "

#: The loopback address every server binds to; nothing listens elsewhere.
HOST = "127.0.0.1"

#: The body of both hello-world HTTP servers.
HELLO = b"Hello, world"


@dataclass(frozen=True)
class Params:
    """
    Workload sizes.  CPU-bound scenarios do a fixed amount of work; I/O
    scenarios run for a fixed time; both report a rate, higher is better.
    """

    #: Timers scheduled (timers, timers-batch, timers-cancel, call-later).
    timers: int
    #: Timer chains running side by side in the timers scenario.
    timerChains: int
    #: Calls made by the callLater(0) / call_soon chains, over all chains.
    immediate: int
    #: Chains running side by side.
    chains: int
    #: Threads calling callFromThread / call_soon_threadsafe.
    threads: int
    #: Calls made by each of those threads.
    threadCalls: int
    #: Seconds each TCP scenario runs for.
    ioSeconds: float
    #: Bytes per write in the bulk TCP scenario.
    bulkChunk: int
    #: Seconds wrk runs for, and its connection count.
    httpSeconds: int
    httpConnections: int
    #: Bytes the server sends in the endpoints suite's bulk scenario.
    bulkBytes: int
    #: Idle keep-alive connections opened by the idle-memory scenario.
    idleConnections: int
    #: Wall-clock limit of one worker process, in seconds.
    workerLimit: float


FULL = Params(
    timers=100_000,
    timerChains=100,
    immediate=300_000,
    chains=10,
    threads=4,
    threadCalls=50_000,
    ioSeconds=1.0,
    bulkChunk=1024 * 1024,
    httpSeconds=2,
    httpConnections=8,
    bulkBytes=1024 * 1024 * 1024,
    idleConnections=1000,
    workerLimit=60.0,
)

QUICK = Params(
    timers=2_000,
    timerChains=100,
    immediate=2_000,
    chains=10,
    threads=2,
    threadCalls=500,
    ioSeconds=0.2,
    bulkChunk=256 * 1024,
    httpSeconds=1,
    httpConnections=4,
    bulkBytes=4 * 1024 * 1024,
    idleConnections=50,
    workerLimit=30.0,
)


def params(quick: bool) -> Params:
    """
    The workload sizes for quick (smoke) or full runs.
    """
    return QUICK if quick else FULL


@dataclass(frozen=True)
class Scenario:
    """
    What one scenario measures; the implementations live in
    C{bench_reactor} and C{bench_ioloop}, keyed by C{name}.
    """

    name: str
    unit: str
    description: str
    needsWrk: bool = False


def emitResult(value: float, unit: str, **detail: Any) -> None:
    """
    Print the worker's one result line.
    """
    line = json.dumps({"value": value, "unit": unit, "detail": detail})
    print(RESULT_MARKER + line, flush=True)


def parseResult(stdout: str) -> dict[str, Any] | None:
    """
    Find a worker's result line in its output, or L{None}.
    """
    for line in reversed(stdout.splitlines()):
        if line.startswith(RESULT_MARKER):
            parsed: dict[str, Any] = json.loads(line[len(RESULT_MARKER) :])
            return parsed
    return None


def wrkPath() -> str | None:
    """
    Where C{wrk} is installed, or L{None}.
    """
    return shutil.which("wrk")


class WrkError(Exception):
    """
    wrk failed, or saw errors that make its request rate meaningless.
    """


_REQS = re.compile(r"^Requests/sec:\s+([0-9.]+)", re.MULTILINE)
_NON2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_SOCKERR = re.compile(
    r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)"
)


def parseWrk(output: str) -> dict[str, Any]:
    """
    Read the request rate and error counts out of wrk's report.

    @raise WrkError: if there is no rate, or any response was not 2xx/3xx.
    """
    match = _REQS.search(output)
    if match is None:
        raise WrkError(f"no Requests/sec in wrk output:\n{output}")
    result: dict[str, Any] = {"requestsPerSecond": float(match.group(1))}
    non2xx = _NON2XX.search(output)
    if non2xx is not None:
        raise WrkError(f"{non2xx.group(1)} non-2xx/3xx responses:\n{output}")
    errors = _SOCKERR.search(output)
    if errors is not None:
        # wrk counts the connections it closes at the deadline as read
        # errors sometimes; record them, they do not void the rate.
        result["socketErrors"] = dict(
            zip(
                ("connect", "read", "write", "timeout"),
                map(int, errors.groups()),
                strict=True,
            )
        )
    return result


def runWrk(url: str, seconds: int, connections: int) -> dict[str, Any]:
    """
    Run wrk (one thread) against C{url}, blocking; call it from a thread
    while the server's loop runs.

    @raise WrkError: if wrk is missing or fails.
    """
    wrk = wrkPath()
    if wrk is None:
        raise WrkError("wrk is not installed (apt-get install -y wrk)")
    done = subprocess.run(
        [wrk, "-t1", f"-c{connections}", f"-d{seconds}s", url],
        capture_output=True,
        text=True,
        timeout=seconds + 30,
        check=False,
    )
    if done.returncode != 0:
        raise WrkError(f"wrk exited {done.returncode}:\n{done.stdout}{done.stderr}")
    return parseWrk(done.stdout)


def callFromThreads(
    call: Callable[[Callable[[], None]], object],
    p: Params,
    done: Callable[[float], None],
) -> None:
    """
    The thread-call scenarios' workload: C{p.threads} threads, released
    together, each pass C{call} (C{callFromThread},
    C{call_soon_threadsafe}) a counting function C{p.threadCalls} times;
    once the last has run in the loop's thread, C{done} gets the calls run
    per second.  Returns when the threads have been released.
    """
    total = p.threads * p.threadCalls
    remaining = total
    barrier = threading.Barrier(p.threads + 1)
    start = 0.0

    def ran() -> None:
        nonlocal remaining
        remaining -= 1
        if remaining == 0:
            done(total / (time.perf_counter() - start))

    def hammer() -> None:
        barrier.wait()
        for _ in range(p.threadCalls):
            call(ran)

    threads = [threading.Thread(target=hammer, daemon=True) for _ in range(p.threads)]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
