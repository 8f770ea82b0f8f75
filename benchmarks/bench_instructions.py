"""
Instructions benchmark: user-space instructions per operation, counted by
valgrind's callgrind, for the CPU and TCP scenarios of the reactor or the
IOLoop suite, every target side by side.

    .venv/bin/python benchmarks/bench_instructions.py [--suite reactor|ioloop]
        [--targets A,B] [--scenarios X,Y] [--tree DIR]... [--repeat N] [--tiny]
        [--json benchmarks/results/instructions.json]
        [--markdown benchmarks/results/instructions.md]
    .venv/bin/python benchmarks/bench_instructions.py --rerender FILE.json

Each (tree, target, scenario) runs at two workload sizes (L{SIZINGS}): a
fixed-work scenario with a small and a large count of its size field, a
fixed-time one with a short and a long C{ioSeconds}.  Instructions per
operation are the difference of the two runs' instruction counts divided
by the difference of their operation counts, so that installing the
target, setting the scenario up and tearing it down cancel out.  A
fixed-work run's operations are its size; a fixed-time run's are the rate
it reports times its seconds (the run lasts a little longer than that: its
last round trip, and closing; the difference cancels most of it).

One process under C{valgrind --tool=callgrind} per tree imports what the
targets share, then forks one child per run (and an empty child just
before it, whose count is the parent's at that point): a child's count
minus its marker's is the run's own.  Python's hash seed is fixed
(L{HASH_SEED}).

C{--tree DIR} (repeatable) runs the workers with C{PYTHONPATH=DIR}, so that
two checkouts (C{git worktree add --detach /tmp/x REV}) are compared on the
same scenarios, those of this checkout; without it, this checkout.  The
report shows each tree's instructions per operation and its ratio to the
first tree's, and each target's ratio to the suite's baselines (first tree).

Valgrind counts user-space instructions only: system calls and the
kernel's work are not counted.  Under valgrind a process runs some 50
times slower and one thread at a time, so how I/O events batch up (bytes
per read, events per poll) differs from a native run: the I/O scenarios'
counts are indicative.  Memory and wrk scenarios are not covered.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench_suites import IOLOOP, REACTOR, SUITES, Suite
from bench_util import RESULT_MARKER, Params, params, parseResult

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

#: Every process's hash seed: dict and set layouts, and so instruction
#: counts, the same from run to run.
HASH_SEED = "0"

#: A sample's large run should do at least this share of the operations
#: its size promises (relative to the small run's); below, it is flagged.
DISPROPORTION = 0.75

#: Wall-clock limit of one process under valgrind, in seconds.
LIMIT = 900.0


@dataclass(frozen=True)
class Sizing:
    """
    How one scenario is measured at two sizes.

    @ivar field: The L{Params} field varied (C{ioSeconds} for a fixed-time
        scenario).
    @ivar sizes: Its small and large values.
    @ivar tiny: Smaller values for C{--tiny} (does it all run?).
    @ivar unit: What one operation is.
    @ivar ops: The operations one run did, from its sizes and the rate it
        reported.
    """

    field: str
    sizes: tuple[float, float]
    tiny: tuple[float, float]
    unit: str
    ops: Callable[[Params, float], float]


def _fixedWork(field: str, sizes: tuple[int, int], tiny: tuple[int, int]) -> Sizing:
    return Sizing(field, sizes, tiny, "op", lambda p, rate: float(getattr(p, field)))


def _threadCalls(sizes: tuple[int, int], tiny: tuple[int, int]) -> Sizing:
    return Sizing(
        "threadCalls",
        sizes,
        tiny,
        "call",
        lambda p, rate: float(p.threads * p.threadCalls),
    )


def _fixedTime(unit: str) -> Sizing:
    return Sizing(
        "ioSeconds", (0.5, 1.5), (0.2, 0.6), unit, lambda p, rate: rate * p.ioSeconds
    )


#: The scenarios measured, per suite, and how.  The others are left out:
#: memory scenarios count bytes, wrk runs in another process, and the
#: idle-conns ones are dominated by the kernel's accept work.
SIZINGS: dict[str, dict[str, Sizing]] = {
    REACTOR.name: {
        "timers": _fixedWork("timers", (4000, 12000), (200, 600)),
        "timers-batch": _fixedWork("timers", (4000, 12000), (200, 600)),
        "timers-cancel": _fixedWork("timers", (4000, 12000), (200, 600)),
        "call-later-0": _fixedWork("immediate", (4000, 12000), (200, 600)),
        "call-from-thread": _threadCalls((1000, 3000), (50, 150)),
        "tcp-echo-1": _fixedTime("rt"),
        "tcp-echo-50": _fixedTime("rt"),
        "tcp-bulk": _fixedTime("MB"),
        "agent-fetch": _fixedTime("req"),
    },
    IOLOOP.name: {
        "call-soon": _fixedWork("immediate", (4000, 12000), (200, 600)),
        "call-later": _fixedWork("timers", (4000, 12000), (200, 600)),
        "call-soon-threadsafe": _threadCalls((1000, 3000), (50, 150)),
        "tcp-echo-1": _fixedTime("rt"),
        "tcp-echo-50": _fixedTime("rt"),
        "tcp-bulk": _fixedTime("MB"),
        "websocket-echo": _fixedTime("rt"),
    },
}

#: The targets each target is compared with, per suite.
BASELINES: dict[str, tuple[str, ...]] = {
    REACTOR.name: ("EPollReactor", "AsyncioSelectorReactor"),
    IOLOOP.name: ("asyncio",),
}

_COLLECTED = re.compile(r"^==(\d+)== Collected : (\d+)$", re.MULTILINE)


# --- Inside valgrind -----------------------------------------------------

#: Imported once by the process under valgrind, before it forks a child per
#: run: what every target uses, none of which installs a reactor.  A
#: child's count includes its parent's up to the fork; only differences
#: of counts are reported.
PRELOAD = (
    "asyncio",
    "bench_ioloop",
    "bench_reactor",
    "tornado.ioloop",
    "tornado.platform.asyncio",
    "tornado.websocket",
    "twisted.internet.asyncioreactor",
    "twisted.internet.epollreactor",
    "twisted.web.client",
    "twisted.web.resource",
    "twisted.web.server",
    "txtornado",
    "uvloop",
    "worker",
)


@dataclass(frozen=True)
class Run:
    """
    One run of one scenario at one size, in a child process.
    """

    target: str
    scenario: str
    size: float


def _runChild(suiteName: str, run: Run, errors: int) -> None:
    """
    In a forked child: run C{run}, print its result line, and exit
    (C{os._exit}: the parent's exit handlers are not the child's).
    """
    code = 1
    try:
        os.dup2(errors, 2)
        import faulthandler

        import worker

        sizing = SIZINGS[suiteName][run.scenario]
        size: Any = run.size if sizing.field == "ioSeconds" else int(run.size)
        p = dataclasses.replace(
            params(False), **{sizing.field: size}, workerLimit=LIMIT
        )
        faulthandler.dump_traceback_later(LIMIT, exit=True)
        worker._logProblemsToStderr()
        worker._settleAllocator()
        if suiteName == REACTOR.name:
            import bench_reactor

            rate = bench_reactor.run(run.target, run.scenario, p)
        else:
            import bench_ioloop

            rate = bench_ioloop.run(run.target, run.scenario, p)
        faulthandler.cancel_dump_traceback_later()
        line = {"pid": os.getpid(), "rate": rate, "ops": sizing.ops(p, rate)}
        print(RESULT_MARKER + json.dumps(line), flush=True)
        code = 0
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _fork(child: Callable[[], None]) -> tuple[int, int]:
    pid = os.fork()
    if pid == 0:
        child()
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    return pid, status


def measureInside(suiteName: str, runs: list[Run]) -> None:
    """
    Under valgrind: import L{PRELOAD}, then, for each run, fork an empty
    child (a marker: its count is the parent's at that point) and then a
    child that runs it.  Prints one result line per run: both pids, and the
    child's rate and operations or its error.
    """
    import importlib

    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:
            pass  # a target that needs it says so (worker.py --probe)
    if "twisted.internet.reactor" in sys.modules:
        sys.exit("bench_instructions: preloading installed a reactor")
    import txtornado

    where = os.path.dirname(os.path.abspath(txtornado.__file__))
    for run in runs:
        with tempfile.TemporaryFile("w+") as errors:
            sys.stdout.flush()
            marker, _ = _fork(lambda: None)
            pid, status = _fork(
                functools.partial(_runChild, suiteName, run, errors.fileno())
            )
            errors.seek(0)
            stderr = errors.read()
        line = dataclasses.asdict(run) | {
            "marker": marker,
            "child": pid,
            "status": status,
            "stderr": stderr[-4000:],
            "txtornado": where,
        }
        print(RESULT_MARKER + json.dumps(line), flush=True)


# --- The harness ---------------------------------------------------------


class MeasureError(Exception):
    """
    A run failed, or printed no count or no result.
    """


def _env(tree: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(tree), env.get("PYTHONPATH", "")])
    env["PYTHONHASHSEED"] = HASH_SEED
    return env


def countAll(tree: Path, suite: str, runs: list[Run]) -> list[dict[str, Any]]:
    """
    Run every run of C{runs} under one callgrind process (L{measureInside});
    return, per run, its instructions (the child's count minus its
    marker's), operations and rate, or its error.

    @raise MeasureError: if the process under valgrind failed.
    """
    command = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        str(Path(__file__).resolve()),
        "--measure",
        suite,
        json.dumps([dataclasses.asdict(run) for run in runs]),
    ]
    lines: list[dict[str, Any]] = []
    stdout: list[str] = []
    with tempfile.TemporaryFile("w+") as stderr:
        proc = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            cwd=ROOT,
            env=_env(tree),
        )
        assert proc.stdout is not None
        for text in proc.stdout:
            stdout.append(text)
            if not text.startswith(RESULT_MARKER):
                continue
            lines.append(json.loads(text[len(RESULT_MARKER) :]))
            if "child" in lines[-1]:
                run = lines[-1]
                status = "ok" if run["status"] == 0 else f"status {run['status']}"
                print(
                    f"  [{sum('child' in x for x in lines)}/{len(runs)}] "
                    f"{run['scenario']} on {run['target']}, size {run['size']:g}: "
                    f"{status}",
                    file=sys.stderr,
                    flush=True,
                )
        returncode = proc.wait()
        stderr.seek(0)
        errors = stderr.read()
    if returncode != 0:
        raise MeasureError(
            f"exit status {returncode}:\n{''.join(stdout)[-2000:]}{errors[-4000:]}"
        )
    counts = {int(pid): int(n) for pid, n in _COLLECTED.findall(errors)}
    results = {line["pid"]: line for line in lines if "pid" in line}
    out = []
    for line in (line for line in lines if "child" in line):
        result = results.get(line["child"])
        entry = {
            "target": line["target"],
            "scenario": line["scenario"],
            "size": line["size"],
            "txtornado": line["txtornado"],
            "stderr": line["stderr"],
        }
        child, marker = counts.get(line["child"]), counts.get(line["marker"])
        if line["status"] != 0 or result is None or child is None or marker is None:
            entry["error"] = f"status {line['status']}, no result:\n{line['stderr']}"
        else:
            entry |= {
                "instructions": child - marker,
                "ops": result["ops"],
                "rate": result["rate"],
            }
        out.append(entry)
    return out


def probe(tree: Path) -> dict[str, Any]:
    """
    Which targets can run with C{tree}'s txtornado (C{worker.py --probe}).
    """
    done = subprocess.run(
        [sys.executable, str(HERE / "worker.py"), "--probe"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
        env=_env(tree),
    )
    report = parseResult(done.stdout)
    if done.returncode != 0 or report is None:
        sys.exit(f"worker --probe failed ({done.returncode}):\n{done.stderr}")
    return report


@dataclass
class Cell:
    """
    One (tree, target, scenario): instructions per operation, one sample per
    repeat, and the runs' raw counts.
    """

    samples: list[float] = dataclasses.field(default_factory=list)
    runs: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    failures: list[str] = dataclasses.field(default_factory=list)
    #: Samples whose runs did operations out of proportion to their sizes
    #: (a fixed-time run starved by a busy machine): fewer operations to
    #: divide by, a less precise figure.
    warnings: list[str] = dataclasses.field(default_factory=list)

    def median(self) -> float | None:
        return statistics.median(self.samples) if self.samples else None

    def add(self, small: dict[str, Any], large: dict[str, Any]) -> str:
        """
        Record one sample from the small and the large run; return it, shown.
        """
        self.runs += [small, large]
        for run in (small, large):
            if "error" in run:
                self.failures.append(f"size {run['size']:g}: {run['error']}")
                return "FAILED"
        if large["ops"] <= small["ops"]:
            self.failures.append(
                f"the large run did no more operations: {small['ops']}, {large['ops']}"
            )
            return "FAILED"
        sample = (large["instructions"] - small["instructions"]) / (
            large["ops"] - small["ops"]
        )
        self.samples.append(sample)
        expected = large["size"] / small["size"]
        if large["ops"] / small["ops"] < DISPROPORTION * expected:
            self.warnings.append(
                f"sample {len(self.samples)}: {small['ops']:.0f} then "
                f"{large['ops']:.0f} operations at sizes {small['size']:g} and "
                f"{large['size']:g}: the long run did fewer operations than its "
                f"length promises (a busy machine?), a less precise figure"
            )
            return fmt(sample) + " (!)"
        return fmt(sample)


def fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def ratio(value: float | None, base: float | None) -> str:
    if value is None or base is None:
        return "-"
    return f"{value / base:.2f}x"


def report(
    suite: Suite,
    trees: list[Path],
    targets: list[str],
    unavailable: dict[str, str],
    scenarios: list[str],
    cells: dict[tuple[int, str, str], Cell],
    repeat: int,
    tiny: bool,
) -> str:
    """
    The Markdown report: one table, a row per (scenario, target).
    """
    baselines = [b for b in BASELINES[suite.name] if b in targets]
    header = ["scenario", "target"]
    for i in range(len(trees)):
        header.append(f"tree {i + 1} instr/op" if len(trees) > 1 else "instr/op")
        if i:
            header.append(f"tree {i + 1} / tree 1")
    if repeat > 1:
        header.append("spread (tree 1)")
    header += [f"vs {b}" for b in baselines]
    lines = [
        f"## {suite.title}",
        "",
        "User-space instructions per operation (valgrind "
        f"callgrind, the difference of two runs of different size), "
        f"{repeat} sample(s) each{', --tiny sizes' if tiny else ''}, Python "
        f"{platform.python_version()}. Lower is better; `vs X` is this "
        f"target's count over X's (tree 1): below 1.00x, fewer instructions.",
        "",
    ]
    for i, tree in enumerate(trees):
        seen = sorted(
            {
                run["txtornado"]
                for (j, _, _), cell in cells.items()
                if j == i
                for run in cell.runs
            }
        )
        where = ", ".join(f"`{w}`" for w in seen) or "-"
        lines.append(f"- tree {i + 1}: `{tree}` (txtornado imported from {where})")
    lines.append("")
    lines += [
        "| " + " | ".join(header) + " |",
        "|---|---|" + "---:|" * (len(header) - 2),
    ]
    for scenario in scenarios:
        sizing = SIZINGS[suite.name][scenario]
        for target in targets:
            first = cells.get((0, target, scenario), Cell())
            row = [f"{scenario} (per {sizing.unit})", target]
            for i in range(len(trees)):
                cell = cells.get((i, target, scenario), Cell())
                value = cell.median()
                flag = " FAILED" if value is None else " !" if cell.warnings else ""
                row.append(fmt(value) + flag)
                if i:
                    row.append(ratio(value, first.median()))
            if repeat > 1:
                s = first.samples
                m = first.median()
                row.append(f"{(max(s) - min(s)) / m:.1%}" if s and m else "-")
            for b in baselines:
                row.append(
                    ratio(first.median(), cells.get((0, b, scenario), Cell()).median())
                )
            lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    lines.append("How each scenario is sized (small, large):")
    lines.append("")
    for scenario in scenarios:
        sizing = SIZINGS[suite.name][scenario]
        sizes = sizing.tiny if tiny else sizing.sizes
        kind = "fixed time" if sizing.field == "ioSeconds" else "fixed work"
        lines.append(
            f"- {scenario}: {kind}, `{sizing.field}` {sizes[0]:g} and {sizes[1]:g}"
        )
    for name, reason in unavailable.items():
        lines.append(f"- not run: {name}: {reason}")
    for (i, target, scenario), cell in cells.items():
        for warning in cell.warnings:
            lines.append(f"- !: tree {i + 1} {target} {scenario}: {warning}")
        for failure in cell.failures:
            summary = " ".join(failure.strip().splitlines()[-1:])
            lines.append(f"- FAILED: tree {i + 1} {target} {scenario}: {summary}")
    return "\n".join(lines)


def runSuite(
    suite: Suite, args: argparse.Namespace, trees: list[Path]
) -> tuple[str, dict[str, Any], bool]:
    """
    Count one suite's selected targets and scenarios on every tree; return
    its Markdown report, its JSON data, and whether every run succeeded.
    """
    sizings = SIZINGS[suite.name]
    scenarios = [s for s in sizings if args.scenarios is None or s in args.scenarios]
    names = [t.name for t in suite.targets]
    targets, unavailable = [], {}
    reasons: dict[str, str | None] = {}
    for tree in trees:
        found = probe(tree)[suite.name]
        for name in names:
            reasons[name] = reasons.get(name) or found[name]
    for name in names:
        if args.targets is not None and name not in args.targets:
            continue
        if reasons[name] is None:
            targets.append(name)
        else:
            unavailable[name] = str(reasons[name])
    cells: dict[tuple[int, str, str], Cell] = {}
    for round_ in range(args.repeat):
        for i, tree in enumerate(trees):
            runs = [
                Run(target, scenario, size)
                for scenario in scenarios
                for target in targets
                for size in (
                    sizings[scenario].tiny if args.tiny else sizings[scenario].sizes
                )
            ]
            print(
                f"{suite.name}: sample {round_ + 1}, tree {i + 1}: {len(runs)} runs "
                f"under valgrind",
                file=sys.stderr,
                flush=True,
            )
            try:
                results = countAll(tree, suite.name, runs)
            except MeasureError as e:
                sys.exit(f"bench_instructions: tree {tree}: {e}")
            for small, large in zip(results[::2], results[1::2], strict=True):
                cell = cells.setdefault((i, small["target"], small["scenario"]), Cell())
                shown = cell.add(small, large)
                unit = sizings[small["scenario"]].unit
                print(
                    f"  {small['scenario']} on {small['target']}: {shown} instr/{unit}",
                    file=sys.stderr,
                    flush=True,
                )
    text = report(
        suite, trees, targets, unavailable, scenarios, cells, args.repeat, args.tiny
    )
    data = {
        "title": suite.title,
        "trees": [str(t) for t in trees],
        "baselines": [b for b in BASELINES[suite.name] if b in targets],
        "unavailable": unavailable,
        "sizes": {
            s: {
                "field": sizings[s].field,
                "sizes": list(sizings[s].tiny if args.tiny else sizings[s].sizes),
                "unit": sizings[s].unit,
            }
            for s in scenarios
        },
        "cells": [
            {
                "tree": i + 1,
                "target": target,
                "scenario": scenario,
                "instructionsPerOp": cell.median(),
                "samples": cell.samples,
                "runs": cell.runs,
                "failures": cell.failures,
                "warnings": cell.warnings,
            }
            for (i, target, scenario), cell in cells.items()
        ],
    }
    return text, data, not any(cell.failures for cell in cells.values())


def rerender(path: str) -> str:
    """
    The Markdown report of a saved C{--json} file, its samples recomputed
    from the raw counts.
    """
    saved = json.loads(Path(path).read_text())
    texts = []
    for name, data in saved["suites"].items():
        cells: dict[tuple[int, str, str], Cell] = {}
        targets: list[str] = []
        for entry in data["cells"]:
            cell = cells.setdefault(
                (entry["tree"] - 1, entry["target"], entry["scenario"]), Cell()
            )
            runs = entry["runs"]
            for small, large in zip(runs[::2], runs[1::2], strict=True):
                cell.add(small, large)
            if entry["target"] not in targets:
                targets.append(entry["target"])
        texts.append(
            report(
                SUITES[name],
                [Path(t) for t in data["trees"]],
                targets,
                data["unavailable"],
                list(data["sizes"]),
                cells,
                saved["repeat"],
                saved["tiny"],
            )
        )
    return "\n\n".join(texts)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--measure":
        measureInside(sys.argv[2], [Run(**run) for run in json.loads(sys.argv[3])])
        return
    if len(sys.argv) == 3 and sys.argv[1] == "--rerender":
        print(rerender(sys.argv[2]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--suite", choices=[*sorted(SIZINGS), "all"], default=REACTOR.name
    )
    parser.add_argument("--targets", help="comma-separated (default: every target)")
    parser.add_argument("--scenarios", help="comma-separated (default: SIZINGS)")
    parser.add_argument("--tree", action="append", type=Path, help="repeatable")
    parser.add_argument("--repeat", type=int, default=1, help="samples per cell")
    parser.add_argument("--tiny", action="store_true", help="tiny sizes: does it run?")
    parser.add_argument("--json")
    parser.add_argument("--markdown")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit(
            "bench_instructions: valgrind is not installed "
            "(apt-get install -y valgrind)"
        )
    names = list(SIZINGS) if args.suite == "all" else [args.suite]
    suites = [SUITES[name] for name in names]
    for option, known in (
        ("targets", {t.name for suite in suites for t in suite.targets}),
        ("scenarios", {s for name in names for s in SIZINGS[name]}),
    ):
        value = getattr(args, option)
        if value is None:
            continue
        setattr(args, option, value.split(","))
        for name in getattr(args, option):
            if name not in known:
                sys.exit(
                    f"unknown {option[:-1]} {name!r}; known: {', '.join(sorted(known))}"
                )
    trees = [t.resolve() for t in args.tree] if args.tree else [ROOT]
    texts, data, ok = [], {}, True
    for suite in suites:
        text, data[suite.name], succeeded = runSuite(suite, args, trees)
        texts.append(text)
        ok = ok and succeeded
    text = "\n\n".join(texts)
    print(text)
    if args.markdown:
        Path(args.markdown).write_text(text + "\n")
    if args.json:
        out = {
            "suites": data,
            "repeat": args.repeat,
            "tiny": args.tiny,
            "python": platform.python_version(),
            "valgrind": subprocess.run(
                ["valgrind", "--version"], capture_output=True, text=True, check=False
            ).stdout.strip(),
        }
        Path(args.json).write_text(json.dumps(out, indent=2) + "\n")
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
