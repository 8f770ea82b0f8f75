"""
The judges' worker runs (C{conformance/_workers.py}): a test that hangs or
kills its worker is recorded as hung, and a new worker runs the rest.
"""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path
from typing import Any

from twisted.trial.unittest import SynchronousTestCase

from txtornado.test._subprocess import childEnv, importRunner

#: A worker of three tests, "a", "b" and "c", writing as the judges' workers
#: do; it skips the tests its results file shows started, and test "b" does
#: what argv[2] says: "pass", "hang" or "die".
WORKER = textwrap.dedent(
    """
    import json, os, sys, threading
    path, b = sys.argv[1], sys.argv[2]
    with open(path) as f:
        started = {json.loads(raw).get("start") for raw in f}
    records = open(path, "a")
    def write(line):
        records.write(json.dumps(line) + "\\n")
        records.flush()
    for name in "abc":
        if name in started:
            continue
        write({"start": name})
        if name == "b" and b == "hang":
            threading.Event().wait()
        if name == "b" and b == "die":
            os._exit(3)
        write({"test": name, "outcome": "passed"})
    write({"finished": True})
    """
)


class RunResumableTests(SynchronousTestCase):
    """
    L{run_resumable} on a small worker.
    """

    def _runWorker(self, b: str) -> tuple[int | None, list[str], list[dict[str, Any]]]:
        """
        Run the worker with test "b" doing C{b}; return the exit status, the
        tests recorded as hung, and the results file's lines.
        """
        workers = importRunner("_workers")
        directory = Path(self.mktemp())
        directory.mkdir()
        script = directory / "worker.py"
        script.write_text(WORKER)
        path = directory / "results.jsonl"
        path.write_text("")

        def lines() -> list[dict[str, Any]]:
            return [json.loads(raw) for raw in path.read_text().splitlines()]

        def state() -> Any:
            running, done = None, False
            for line in lines():
                if "start" in line:
                    running = line["start"]
                elif "test" in line:
                    running = None
                elif line.get("finished"):
                    done = True
            return workers.WorkerState(running, done)

        def record_hung(test: str, why: str) -> None:
            with path.open("a") as f:
                f.write(json.dumps({"test": test, "outcome": "hung", "why": why}))
                f.write("\n")

        returncode, hung = workers.run_resumable(
            [sys.executable, str(script), str(path), b],
            childEnv(),
            str(path),
            stall=5,
            state=state,
            record_hung=record_hung,
        )
        return returncode, hung, lines()

    def _outcomes(self, lines: list[dict[str, Any]]) -> dict[str, Any]:
        return {line["test"]: line for line in lines if "test" in line}

    def test_noHang(self) -> None:
        """
        A worker that finishes is run once.
        """
        returncode, hung, lines = self._runWorker("pass")
        self.assertEqual((returncode, hung), (0, []))
        outcomes = self._outcomes(lines)
        self.assertEqual([outcomes[t]["outcome"] for t in "abc"], ["passed"] * 3)
        self.assertEqual(sum(1 for line in lines if "finished" in line), 1)

    def test_hang(self) -> None:
        """
        A test during which the worker writes nothing for C{stall} seconds
        is recorded as hung, and a new worker runs the tests after it.
        """
        returncode, hung, lines = self._runWorker("hang")
        self.assertEqual((returncode, hung), (0, ["b"]))
        outcomes = self._outcomes(lines)
        self.assertEqual(outcomes["b"]["why"], "no progress for 5s")
        self.assertEqual(
            [outcomes[t]["outcome"] for t in "abc"], ["passed", "hung", "passed"]
        )

    def test_death(self) -> None:
        """
        A worker that dies inside a test has that test recorded as hung,
        with its exit status, and a new worker runs the tests after it.
        """
        returncode, hung, lines = self._runWorker("die")
        self.assertEqual((returncode, hung), (0, ["b"]))
        outcomes = self._outcomes(lines)
        self.assertEqual(outcomes["b"]["why"], "the worker died (exit status 3)")
        self.assertEqual(outcomes["c"]["outcome"], "passed")
