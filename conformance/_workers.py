"""
Running a judge's worker subprocess until its suite is done, whatever
single tests do: shared by C{tornado_suite.py} and
C{cpython_asyncio_suite.py} (run as scripts, so this directory is first on
C{sys.path}).

A worker appends one JSON line per test start and outcome to its results
file, and skips, when it starts, the tests that file shows started (so a
new worker resumes after the last one).  L{run_resumable} watches the file:
a worker that writes nothing for C{stall} seconds is killed, and a worker
that is killed or dies inside a test has that test recorded as C{"hung"}
and a new worker started, so one hang costs one stall and the rest of the
suite still runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

__all__ = ["WorkerState", "append_line", "read_lines", "run_resumable"]

#: At most this many workers are started after hangs, per run.
MAX_RESTARTS = 50


class WorkerState(NamedTuple):
    """
    What a results file says about the workers that wrote it.

    @ivar running: the test started last without an outcome, or C{None}.
    @ivar done: whether a worker finished the suite, or failed to set up
        (nothing to resume then).
    """

    running: str | None
    done: bool


def read_lines(path: str) -> Iterator[dict[str, Any]]:
    """
    The JSON lines of a results file, but for a line cut short when its
    worker was killed.
    """
    with open(path, encoding="utf-8") as f:
        for raw in f:
            try:
                yield json.loads(raw)
            except ValueError:
                continue


def append_line(path: str, line: dict[str, Any]) -> None:
    """
    Append C{line} to a results file, as one JSON line (the parent's own
    records, such as a hung test's).
    """
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(line) + "\n")


def run_resumable(
    command: Sequence[str],
    env: Mapping[str, str],
    path: str,
    *,
    stall: float,
    state: Callable[[], WorkerState],
    record_hung: Callable[[str, str], None],
    deadline: float | None = None,
    progress: Callable[[], None] | None = None,
    verbose: bool = False,
    cwd: str | None = None,
) -> tuple[int | None, list[str]]:
    """
    Run C{command} (a worker writing to C{path}) until it finishes its suite;
    after a stall or a death inside a test, call C{record_hung(test, why)}
    and start a new worker.

    @param state: reads C{path}.
    @param deadline: a C{time.monotonic()} time after which the last worker
        is killed and none is started (the suite is left unfinished).
    @param progress: called about every half second while a worker runs.
    @return: the last worker's exit status (C{None} if it was killed),
        and the tests recorded as hung, in order.
    """
    hung: list[str] = []
    output = None if verbose else subprocess.DEVNULL
    while True:
        returncode: int | None
        with subprocess.Popen(
            command,
            env=env,
            stdout=output,
            stderr=output,
            stdin=subprocess.DEVNULL,
            cwd=cwd,
        ) as proc:
            size, moved = -1, time.monotonic()
            while True:
                try:
                    returncode = proc.wait(0.5)
                    break
                except subprocess.TimeoutExpired:
                    pass
                if progress is not None:
                    progress()
                now = time.monotonic()
                now_size = os.path.getsize(path)
                if now_size != size:
                    size, moved = now_size, now
                if now - moved > stall or (deadline is not None and now > deadline):
                    proc.kill()
                    proc.wait()
                    returncode = None
                    break
        current = state()
        out_of_time = deadline is not None and time.monotonic() > deadline
        if (
            current.done
            or current.running is None
            or out_of_time
            or len(hung) >= MAX_RESTARTS
        ):
            return returncode, hung
        why = (
            f"no progress for {stall:g}s"
            if returncode is None
            else f"the worker died (exit status {returncode})"
        )
        record_hung(current.running, why)
        hung.append(current.running)
