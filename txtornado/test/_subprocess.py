"""
Helpers for tests that run Python, twistd, trial or pytest in a child
process (anything that installs a global reactor or signal handlers).
"""

from __future__ import annotations

import importlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from twisted.trial.unittest import SkipTest

#: The checkout's root (the directory holding C{txtornado/}).
ROOT = Path(__file__).resolve().parents[2]


def childEnv() -> dict[str, str]:
    """
    The environment for a child: this interpreter's, with the checkout on
    C{PYTHONPATH} so the child imports this txtornado and finds
    C{twisted/plugins/} here.
    """
    env = dict(os.environ)
    path = env.get("PYTHONPATH")
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + path if path else "")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def binPath(name: str) -> str:
    """
    The path of a console script installed beside this interpreter.
    """
    return str(Path(sys.executable).with_name(name))


def run(
    args: Sequence[str], timeout: float = 120.0, cwd: str | Path | None = None
) -> subprocess.CompletedProcess[str]:
    """
    Run a child to completion and return its result (text output).
    """
    return subprocess.run(
        list(args),
        capture_output=True,
        text=True,
        timeout=timeout,
        env=childEnv(),
        cwd=cwd,
        stdin=subprocess.DEVNULL,
    )


def runPython(
    code: str, timeout: float = 120.0, cwd: str | Path | None = None
) -> subprocess.CompletedProcess[str]:
    """
    Run C{code} in a child Python.
    """
    return run([sys.executable, "-c", code], timeout=timeout, cwd=cwd)


def runPytest(
    directory: Path, source: str, *options: str
) -> subprocess.CompletedProcess[str]:
    """
    Write C{source} (dedented) as C{test_child.py} in C{directory} and run
    pytest on it there, with C{options}, quietly and without its cache.
    """
    (directory / "test_child.py").write_text(textwrap.dedent(source))
    return run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            *options,
            "test_child.py",
        ],
        cwd=directory,
    )


def _printProgress(line: str) -> None:
    print(line, flush=True)


#: Where L{runStreaming} shows each line of a child's output as it comes:
#: the test's standard output, unless the test runner sets another (under
#: pytest, C{conftest.py} writes past pytest's capture for test classes
#: with C{showsProgress = True}).
progressWriter: Callable[[str], None] = _printProgress


def runStreaming(
    args: Sequence[str], timeout: float = 120.0
) -> subprocess.CompletedProcess[str]:
    """
    Run a child to completion as L{run} does, showing each line of its
    standard output through L{progressWriter} as it comes.

    @raise subprocess.TimeoutExpired: if it takes longer than C{timeout}
        (it is killed).
    """
    timedOut = threading.Event()
    with subprocess.Popen(
        list(args),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=childEnv(),
        stdin=subprocess.DEVNULL,
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        stderr = proc.stderr
        errors: list[str] = []
        reader = threading.Thread(target=lambda: errors.append(stderr.read()))
        reader.start()

        def kill() -> None:
            timedOut.set()
            proc.kill()

        killer = threading.Timer(timeout, kill)
        killer.start()
        lines = []
        try:
            for line in proc.stdout:
                lines.append(line)
                progressWriter(line.rstrip("\n"))
            returncode = proc.wait()
        finally:
            killer.cancel()
            reader.join()
    output, error = "".join(lines), "".join(errors)
    if timedOut.is_set():
        raise subprocess.TimeoutExpired(list(args), timeout, output, error)
    return subprocess.CompletedProcess(list(args), returncode, output, error)


def runConformance(
    runner: str,
    args: Sequence[str] = (),
    timeout: float = 3600.0,
    progress: bool = False,
) -> tuple[subprocess.CompletedProcess[str], Any]:
    """
    Run the peers' suite runner C{conformance/<runner>} with C{args} in a
    child, asking it for its JSON report; return the child's result and
    the report.

    @param progress: show the runner's output as it comes (L{runStreaming}).
    @raise SkipTest: outside a source checkout (the runners are not in the
        wheel).
    @raise AssertionError: if the runner wrote no report.
    """
    path = ROOT / "conformance" / runner
    if not path.exists():
        raise SkipTest(f"needs the source checkout: {path} is missing")
    fd, report = tempfile.mkstemp(suffix=".json")
    os.close(fd)
    try:
        command = [sys.executable, str(path), *args, "--json", report]
        result = (runStreaming if progress else run)(command, timeout=timeout)
        with open(report, encoding="utf-8") as f:
            text = f.read()
    finally:
        os.unlink(report)
    if not text:
        raise AssertionError(
            f"{runner} wrote no report:\n{result.stdout}\n{result.stderr}"
        )
    return result, json.loads(text)


def importRunner(runner: str) -> Any:
    """
    Import the peers' suite runner C{conformance/<runner>.py} as its own
    process sees it: with C{conformance/} first on C{sys.path}, so its
    sibling modules (C{_reactors}) import as they do when it runs as a
    script.

    @raise SkipTest: outside a source checkout (the runners are not in the
        wheel).
    """
    directory = ROOT / "conformance"
    if not (directory / f"{runner}.py").exists():
        raise SkipTest(f"needs the source checkout: {directory} has no {runner}.py")
    sys.path.insert(0, str(directory))
    try:
        return importlib.import_module(runner)
    finally:
        sys.path.remove(str(directory))


class Child:
    """
    A long-running child whose output is read line by line.  It is killed
    when C{deadline} seconds pass, so a test waiting on a line never hangs.
    """

    def __init__(
        self,
        args: Sequence[str],
        deadline: float = 60.0,
        listening: socket.socket | None = None,
        cwd: str | Path | None = None,
    ) -> None:
        """
        @param listening: a listening socket to hand to the child the way
            systemd's socket activation does (as fd 3, with C{LISTEN_FDS=1},
            C{LISTEN_FDNAMES} and C{LISTEN_PID} set to the child's pid), for Twisted's
            C{systemd:} endpoint.
        @param cwd: the child's working directory.
        """
        env = childEnv()
        preexec = None
        if listening is not None:
            fd = listening.fileno()
            env["LISTEN_FDS"] = "1"
            env["LISTEN_FDNAMES"] = "http"

            def preexec() -> None:
                os.dup2(fd, 3)
                os.set_inheritable(3, True)

            # LISTEN_PID must be the child's own pid: set it after the fork,
            # through a shell that execs the real command.
            args = ["sh", "-c", 'export LISTEN_PID=$$; exec "$@"', "sh", *args]
        self.process = subprocess.Popen(
            list(args),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            env=env,
            preexec_fn=preexec,
            pass_fds=(3,) if listening is not None else (),
            cwd=cwd,
        )
        self.lines: list[str] = []
        self._killer = threading.Timer(deadline, self.process.kill)
        self._killer.start()

    def readUntil(self, marker: str) -> str:
        """
        Read lines until one contains C{marker}; return that line.

        @raise AssertionError: if the output ends first.
        """
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)
            if marker in line:
                return line
        raise AssertionError(
            f"{marker!r} never printed; output:\n{''.join(self.lines)}"
        )

    def finish(self) -> tuple[int, str]:
        """
        Wait for the child to exit; return its exit code and the rest of
        its output.
        """
        assert self.process.stdout is not None
        rest = self.process.stdout.read()
        self.lines.append(rest)
        code = self.process.wait()
        self._killer.cancel()
        return code, "".join(self.lines)
