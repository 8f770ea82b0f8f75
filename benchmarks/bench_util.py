"""
Shared pieces of the benchmarks: workload sizes, scenario metadata, the
result line a worker prints, and running C{wrk}.

Nothing here imports Twisted or Tornado: the harness (C{run.py}) imports
this module too, and must stay free of any event loop.
"""

from __future__ import annotations

import errno
import json
import re
import resource
import shutil
import socket
import struct
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
    #: Timers scheduled 60 s away by the idle-timers scenarios.
    idleTimers: int
    #: callLater(0) calls, one chain, timed among those idle timers.
    idleTimerTicks: int
    #: Idle TCP connections the idle-conns scenarios open (fewer where
    #: the hard limit of open files is too small; the worker says so).
    idleConns: int
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
    idleTimers=100_000,
    idleTimerTicks=20_000,
    idleConns=10_000,
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
    idleTimers=2_000,
    idleTimerTicks=500,
    idleConns=100,
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
    C{bench_reactor}, C{bench_ioloop} and C{bench_endpoints}, keyed by
    C{name}.
    """

    name: str
    unit: str
    description: str
    needsWrk: bool = False
    #: Why this machine runs a smaller workload than asked, or L{None}
    #: (called by the harness with the run's sizes).
    sizing: Callable[[Params], str | None] | None = None


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


# --- Idle connections ------------------------------------------------------

#: Connections the idle-conns clients have in flight (connecting, not yet
#: accepted) at most: well under L{IDLE_BACKLOG}, so that the kernel never
#: drops a handshake (which would add a 1 s SYN retransmission).
IDLE_BATCH = 100

#: The listening backlog of the idle-conns servers, on every target.
IDLE_BACKLOG = 1024

#: Connections opened (and kept) before measuring: what the first
#: connections set up once (caches, lazy imports) is not counted.
IDLE_WARM = 20

#: File descriptors kept free besides two per connection.
_SPARE_FDS = 256


def raiseFileLimit(needed: int) -> None:
    """
    Raise the soft limit of open files to C{needed}.

    @raise RuntimeError: if the hard limit is lower.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        if hard != resource.RLIM_INFINITY and hard < needed:
            raise RuntimeError(f"need {needed} file descriptors, hard limit {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


def _idleConnectionsFit(wanted: int) -> tuple[int, int]:
    """
    How many idle connections (a client and a server descriptor each, in
    one process, besides L{IDLE_WARM} and some spare descriptors) fit
    under the hard limit of open files, at most C{wanted}; and that limit.
    """
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard == resource.RLIM_INFINITY:
        return wanted, hard
    return min(wanted, (hard - _SPARE_FDS) // 2 - IDLE_WARM), hard


def idleConnectionsSizing(p: Params) -> str | None:
    """
    Why the idle-conns scenarios open fewer than C{p.idleConns}
    connections here, or L{None} if they open them all.  The harness
    reports it; its workers inherit its limits.
    """
    count, hard = _idleConnectionsFit(p.idleConns)
    if count >= p.idleConns:
        return None
    return (
        f"{count} connections instead of {p.idleConns}: the hard limit of "
        f"open files is {hard} (two descriptors a connection, in one process)"
    )


def fitIdleConnections(wanted: int) -> int:
    """
    Raise the soft limit of open files to the hard limit and return how
    many idle connections fit under it: C{wanted}, or fewer (the harness
    says so: L{idleConnectionsSizing}).

    @raise RuntimeError: if not even L{IDLE_BATCH} fit.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    count, _ = _idleConnectionsFit(wanted)
    if count < min(wanted, IDLE_BATCH):
        raise RuntimeError(f"the hard limit of open files ({hard}) is too small")
    return count


class IdleClients:
    """
    Raw non-blocking client sockets for the idle-conns scenarios, all made
    up front (so that measuring the server's memory does not count them),
    that connect to a server in the same process in batches of
    L{IDLE_BATCH}, paced by the server's accepts, and then stay idle.

    Loop-agnostic: the server's protocol calls L{accepted} from its
    connection-made callback; the next batch starts from there.  Closing
    sends a reset (C{SO_LINGER} 0), leaving no C{TIME_WAIT} behind.

    @ivar sockets: The client sockets.
    @ivar opened: How many have started connecting.
    @ivar acceptedCount: How many the server has accepted.
    @ivar _port: The port the current L{open} connects to.
    @ivar _stop: The index the current L{open} connects up to.
    @ivar _start: When the current L{open} began (C{time.perf_counter}).
    @ivar _done: Called with the seconds the current L{open} took.
    """

    def __init__(self, count: int) -> None:
        self.sockets = [socket.socket() for _ in range(count)]
        reset = struct.pack("ii", 1, 0)
        for sock in self.sockets:
            sock.setblocking(False)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, reset)
        self.opened = 0
        self.acceptedCount = 0
        self._port = 0
        self._stop = 0
        self._start = 0.0
        self._done: Callable[[float], None] = lambda elapsed: None

    def open(self, port: int, stop: int, done: Callable[[float], None]) -> None:
        """
        Connect the sockets up to index C{stop} (exclusive) to C{port};
        once the server has accepted every one, call C{done} with the
        seconds since this call.
        """
        self._port = port
        self._stop = stop
        self._done = done
        self._start = time.perf_counter()
        self._batch()

    def _batch(self) -> None:
        end = min(self._stop, self.opened + IDLE_BATCH)
        for sock in self.sockets[self.opened : end]:
            status = sock.connect_ex((HOST, self._port))
            if status not in (0, errno.EINPROGRESS):
                raise OSError(status, f"connect: {errno.errorcode.get(status)}")
        self.opened = end

    def accepted(self) -> None:
        """
        The server accepted one more connection: start the next batch
        when this one is all in, or report when everything is.
        """
        self.acceptedCount += 1
        if self.acceptedCount == self._stop:
            self._done(time.perf_counter() - self._start)
        elif self.acceptedCount == self.opened:
            self._batch()

    def close(self) -> None:
        for sock in self.sockets:
            sock.close()
