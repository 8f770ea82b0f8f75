"""
Benchmark harness: every target side by side, as ratios.

    python benchmarks/run.py [--suite reactor|ioloop|endpoints|all] [--rounds N] [--quick]
                             [--targets A,B] [--scenarios X,Y]
                             [--json out.json] [--markdown out.md] [--list]

Each (target, scenario) measurement runs in a fresh worker process
(C{worker.py}).  A round runs every scenario once on every target, the
targets of a scenario back to back (in an order rotated each round), so
that machine noise hits all targets alike; the table shows the median over
rounds, the min-max spread, and the ratio to the suite's baseline, then
each goal with its ratio and the per-round (paired) ratios.

Speed never fails a run: the exit status is 1 only when a worker failed
(crashed, hung past its limit, printed no result).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from bench_suites import SUITES, Goal, Suite
from bench_util import Scenario, params, parseResult

HERE = Path(__file__).resolve().parent
WORKER = HERE / "worker.py"


@dataclass
class Cell:
    """
    The samples of one (suite, scenario, target), one slot per round.
    """

    samples: list[float | None] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)

    def values(self) -> list[float]:
        return [s for s in self.samples if s is not None]

    def median(self) -> float | None:
        values = self.values()
        return statistics.median(values) if values else None

    def summary(self) -> dict[str, Any]:
        values = self.values()
        out: dict[str, Any] = {
            "samples": self.samples,
            "median": self.median(),
            "min": min(values) if values else None,
            "max": max(values) if values else None,
            "q1": None,
            "q3": None,
            "failures": self.failures,
            "warnings": self.warnings,
        }
        if len(values) >= 4:
            out["q1"], _, out["q3"] = statistics.quantiles(values, n=4)
        return out


@dataclass
class PlannedSuite:
    """
    A suite as this run executes it: which targets and scenarios run, and
    why the others do not.
    """

    suite: Suite
    targets: list[str]
    unavailable: dict[str, str]
    scenarios: list[Scenario]
    excluded: dict[str, str]
    #: Scenarios that run a smaller workload here than asked, and why.
    resized: dict[str, str] = field(default_factory=dict)
    cells: dict[tuple[str, str], Cell] = field(default_factory=dict)

    def cell(self, scenario: str, target: str) -> Cell:
        return self.cells.setdefault((scenario, target), Cell())


# --- Running workers -----------------------------------------------------


def _workerCommand(*args: str) -> list[str]:
    return [sys.executable, str(WORKER), *args]


def probe() -> dict[str, Any]:
    """
    Ask a worker which targets can run here, and where wrk is.
    """
    done = subprocess.run(
        _workerCommand("--probe"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report = parseResult(done.stdout)
    if done.returncode != 0 or report is None:
        sys.exit(f"worker --probe failed ({done.returncode}):\n{done.stderr}")
    return report


def measureOnce(
    suite: str, target: str, scenario: str, quick: bool
) -> tuple[float | None, str, float]:
    """
    Run one worker; return its value (L{None} if it failed), its stderr,
    and its wall-clock seconds.
    """
    limit = params(quick).workerLimit + 30
    args = [suite, target, scenario] + (["--quick"] if quick else [])
    started = time.perf_counter()
    try:
        done = subprocess.run(
            _workerCommand(*args),
            capture_output=True,
            text=True,
            timeout=limit,
            check=False,
            cwd=HERE.parent,
        )
    except subprocess.TimeoutExpired as e:
        stderr = e.stderr or ""
        if isinstance(stderr, bytes):
            stderr = stderr.decode(errors="replace")
        return None, f"killed after {limit} s\n{stderr}", time.perf_counter() - started
    elapsed = time.perf_counter() - started
    result = parseResult(done.stdout)
    if done.returncode != 0 or result is None:
        return (
            None,
            f"exit status {done.returncode}, no result\n{done.stdout}{done.stderr}",
            elapsed,
        )
    return float(result["value"]), done.stderr, elapsed


# --- Planning ------------------------------------------------------------


def plan(args: argparse.Namespace, report: dict[str, Any]) -> list[PlannedSuite]:
    """
    Decide which targets and scenarios of which suites run.
    """
    names = list(SUITES) if args.suite == "all" else [args.suite]
    wantTargets = set(args.targets.split(",")) if args.targets else None
    wantScenarios = set(args.scenarios.split(",")) if args.scenarios else None
    known = {
        (kind, name)
        for suite in SUITES.values()
        for kind, items in (("target", suite.targets), ("scenario", suite.scenarios))
        for name in (item.name for item in items)
    }
    for kind, wanted in (("target", wantTargets), ("scenario", wantScenarios)):
        for name in sorted(wanted or ()):
            if (kind, name) not in known:
                sys.exit(f"unknown {kind} {name!r}; see --list")
    planned = []
    for name in names:
        suite = SUITES[name]
        targets, unavailable = [], {}
        for target in suite.targets:
            reason = report[name][target.name]
            if wantTargets is not None and target.name not in wantTargets:
                reason = "not selected (--targets)"
            if reason is None:
                targets.append(target.name)
            else:
                unavailable[target.name] = reason
        scenarios, excluded = [], {}
        for scenario in suite.scenarios:
            if wantScenarios is not None and scenario.name not in wantScenarios:
                continue
            if scenario.needsWrk and args.quick:
                excluded[scenario.name] = "uses wrk: excluded in --quick mode"
            elif scenario.needsWrk and report["wrk"] is None:
                excluded[scenario.name] = (
                    "wrk is not installed (apt-get install -y wrk)"
                )
            else:
                scenarios.append(scenario)
        resized = {
            s.name: note
            for s in scenarios
            if s.sizing is not None
            and (note := s.sizing(params(args.quick))) is not None
        }
        planned.append(
            PlannedSuite(suite, targets, unavailable, scenarios, excluded, resized)
        )
    return planned


def runAll(planned: list[PlannedSuite], rounds: int, quick: bool) -> bool:
    """
    Run every round; return whether every worker succeeded.
    """
    ok = True
    total = rounds * sum(len(p.targets) * len(p.scenarios) for p in planned)
    n = 0
    for round_ in range(rounds):
        for p in planned:
            if not p.targets:
                continue
            shift = round_ % len(p.targets)
            order = p.targets[shift:] + p.targets[:shift]
            for scenario in p.scenarios:
                for target in order:
                    n += 1
                    value, stderr, elapsed = measureOnce(
                        p.suite.name, target, scenario.name, quick
                    )
                    cell = p.cell(scenario.name, target)
                    cell.samples.append(value)
                    if value is None:
                        ok = False
                        cell.failures.append({"round": round_ + 1, "error": stderr})
                        shown = "FAILED"
                    else:
                        if stderr.strip():
                            cell.warnings.append(
                                {"round": round_ + 1, "stderr": stderr}
                            )
                        shown = f"{fmt(value)} {scenario.unit}"
                    print(
                        f"[{n}/{total}] round {round_ + 1}: {p.suite.name} "
                        f"{scenario.name} on {target}: {shown} ({elapsed:.1f} s)",
                        file=sys.stderr,
                        flush=True,
                    )
                    if value is None:
                        print(_indent(stderr), file=sys.stderr, flush=True)
    return ok


# --- Reporting -----------------------------------------------------------


def fmt(value: float | None) -> str:
    """
    A rate, to 3 significant digits with k/M suffixes.
    """
    if value is None:
        return "-"
    suffix = ""
    for scale, name in ((1e6, "M"), (1e3, "k")):
        if value >= scale:
            value /= scale
            suffix = name
            break
    digits = 2 if value < 10 else 1 if value < 100 else 0
    return f"{value:.{digits}f}{suffix}"


def fmtRatio(ratio: float | None) -> str:
    return "-" if ratio is None else f"{ratio:.2f}x"


def _indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line for line in text.rstrip().splitlines())


def ratio(p: PlannedSuite, scenario: str, target: str, baseline: str) -> float | None:
    """
    The ratio of medians of C{target} and C{baseline} on C{scenario}.
    """
    top = p.cells.get((scenario, target))
    bottom = p.cells.get((scenario, baseline))
    if top is None or bottom is None:
        return None
    a, b = top.median(), bottom.median()
    if a is None or not b:
        return None
    return a / b


def roundRatios(
    p: PlannedSuite, scenario: str, target: str, baseline: str
) -> list[float]:
    """
    C{target}/C{baseline} for each round where both succeeded: each pair
    ran back to back, so these see the same machine noise.
    """
    top = p.cells.get((scenario, target))
    bottom = p.cells.get((scenario, baseline))
    if top is None or bottom is None:
        return []
    return [
        a / b
        for a, b in zip(top.samples, bottom.samples, strict=True)
        if a is not None and b
    ]


def judge(p: PlannedSuite, goal: Goal) -> dict[str, Any]:
    """
    A goal's ratio and status: MET, NOT MET, or n/a with the reason.
    """
    out: dict[str, Any] = {
        "scenario": goal.scenario,
        "target": goal.target,
        "baseline": goal.baseline,
        "minimum": goal.minimum,
        "ratio": None,
        "roundRatios": [],
        "status": "n/a",
        "reason": None,
        "noisy": False,
    }
    for name in (goal.target, goal.baseline):
        if name in p.unavailable:
            out["reason"] = f"{name}: {p.unavailable[name]}"
            return out
    if goal.scenario in p.excluded:
        out["reason"] = f"{goal.scenario}: {p.excluded[goal.scenario]}"
        return out
    if all(s.name != goal.scenario for s in p.scenarios):
        out["reason"] = f"{goal.scenario}: not selected (--scenarios)"
        return out
    value = ratio(p, goal.scenario, goal.target, goal.baseline)
    out["ratio"] = value
    out["roundRatios"] = roundRatios(p, goal.scenario, goal.target, goal.baseline)
    if value is None:
        out["reason"] = "no successful measurement"
    else:
        out["status"] = "MET" if value >= goal.minimum else "NOT MET"
        pairs = out["roundRatios"]
        out["noisy"] = bool(pairs) and min(pairs) < goal.minimum <= max(pairs)
    return out


def statusText(goal: dict[str, Any]) -> str:
    """
    A goal's status, with its reason or a warning that its per-round
    ratios fall on both sides of the threshold.
    """
    text: str = goal["status"]
    if goal["reason"]:
        text += f" ({goal['reason']})"
    elif goal.get("noisy"):
        text += " (within noise: per-round ratios straddle the goal)"
    return text


def goalName(goal: dict[str, Any]) -> str:
    return f"{goal['scenario']}: {goal['target']} / {goal['baseline']}"


def spread(cell: Cell) -> str:
    values = cell.values()
    median = cell.median()
    if not values or not median:
        return "-"
    return f"{(max(values) - min(values)) / median * 100:.0f}%"


def rangeText(values: list[float], formatter: Any = fmt) -> str:
    if not values:
        return "-"
    return f"{formatter(min(values))}-{formatter(max(values))}"


def cellMark(cell: Cell) -> str:
    """
    C{!} after a value whose worker wrote to stderr, C{F} if one failed.
    """
    return ("F" if cell.failures else "") + ("!" if cell.warnings else "")


def textReport(planned: list[PlannedSuite], rounds: int, quick: bool) -> str:
    """
    The tables, as plain text for a terminal.
    """
    lines: list[str] = []
    for p in planned:
        suite = p.suite
        lines += [
            f"== {suite.title} ({suite.name}) ==",
            (
                f"median of {rounds} round(s); min-max over rounds; spread = "
                f"(max-min)/median; ratio = median / median of {suite.baseline}"
            ),
        ]
        if quick:
            lines.append("--quick: sizes too small to mean anything; checks only")
        lines += ["", "targets:"]
        for described in suite.targets:
            status = p.unavailable.get(described.name)
            state = "ran" if status is None else f"NOT RUN: {status}"
            lines.append(f"  {described.name:40} {state}")
            lines.append(f"  {'':40} ({described.description})")
        for name, reason in p.excluded.items():
            lines.append(f"excluded scenario {name}: {reason}")
        for name, note in p.resized.items():
            lines.append(f"resized scenario {name}: {note}")
        lines.append("")
        width = max([28] + [len(f"{s.name} ({s.unit})") for s in p.scenarios])
        header = (
            f"{'scenario':{width}} {'target':40} {'median':>9} {'min-max':>17} "
            f"{'spread':>6} {'ratio':>7}"
        )
        lines += [header, "-" * len(header)]
        for scenario in p.scenarios:
            first = True
            for target in p.targets:
                cell = p.cell(scenario.name, target)
                label = f"{scenario.name} ({scenario.unit})" if first else ""
                first = False
                lines.append(
                    f"{label:{width}} {target:40} "
                    f"{fmt(cell.median()) + cellMark(cell):>9} "
                    f"{rangeText(cell.values()):>17} {spread(cell):>6} "
                    f"{fmtRatio(ratio(p, scenario.name, target, suite.baseline)):>7}"
                )
        lines += ["", "goals (reported, never enforced):"]
        header = f"  {'goal':72} {'needed':>7} {'ratio':>7} {'per round':>13}  status"
        lines.append(header)
        for goal in (judge(p, g) for g in suite.goals):
            status = statusText(goal)
            lines.append(
                f"  {goalName(goal):72} {'>=' + fmtRatio(goal['minimum']):>7} "
                f"{fmtRatio(goal['ratio']):>7} "
                f"{rangeText(goal['roundRatios'], fmtRatio):>13}  {status}"
            )
        notes = _notes(p)
        if notes:
            lines += ["", "notes:", *notes]
        lines.append("")
    return "\n".join(lines)


def _notes(p: PlannedSuite) -> list[str]:
    notes = []
    for (scenario, target), cell in sorted(p.cells.items()):
        for failure in cell.failures:
            notes.append(
                f"  FAILED {scenario} on {target}, round {failure['round']}:\n"
                + _indent(failure["error"], "      ")
            )
        for warning in cell.warnings[:1]:
            notes.append(
                f"  stderr of {scenario} on {target}, round {warning['round']}:\n"
                + _indent(warning["stderr"], "      ")
            )
    return notes


def markdownReport(
    planned: list[PlannedSuite], rounds: int, meta: dict[str, Any]
) -> str:
    """
    The tables as Markdown, for the README.
    """
    versions = meta["versions"]
    lines = [
        (
            f"Measured {meta['date']} on {meta['cpus']} CPUs, Python "
            f"{meta['python']}, Twisted {versions.get('twisted')}, Tornado "
            f"{versions.get('tornado')}, uvloop {versions.get('uvloop')}; "
            f"median of {rounds} round(s)."
        ),
        "",
    ]
    for p in planned:
        suite = p.suite
        lines += [f"### {suite.title}", ""]
        for name, reason in p.unavailable.items():
            lines.append(f"- not run: **{name}**: {reason}")
        for name, reason in p.excluded.items():
            lines.append(f"- excluded scenario **{name}**: {reason}")
        for name, note in p.resized.items():
            lines.append(f"- resized scenario **{name}**: {note}")
        lines += [
            "",
            f"| scenario | target | median | min-max | spread | vs {suite.baseline} |",
            "|---|---|---:|---:|---:|---:|",
        ]
        for scenario in p.scenarios:
            for target in p.targets:
                cell = p.cell(scenario.name, target)
                lines.append(
                    f"| {scenario.name} ({scenario.unit}) | {target} | "
                    f"{fmt(cell.median())}{cellMark(cell)} | "
                    f"{rangeText(cell.values())} | {spread(cell)} | "
                    f"{fmtRatio(ratio(p, scenario.name, target, suite.baseline))} |"
                )
        lines += [
            "",
            "| goal | needed | ratio | per round | status |",
            "|---|---:|---:|---:|---|",
        ]
        for goal in (judge(p, g) for g in suite.goals):
            status = statusText(goal)
            lines.append(
                f"| {goalName(goal)} | >={fmtRatio(goal['minimum'])} | "
                f"{fmtRatio(goal['ratio'])} | "
                f"{rangeText(goal['roundRatios'], fmtRatio)} | {status} |"
            )
        lines.append("")
    return "\n".join(lines)


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def gitState(directory: str | None) -> dict[str, Any] | None:
    """
    The commit of the checkout C{directory} is in, and whether its
    tracked files differ from it; L{None} outside a git checkout.
    """
    if directory is None or not Path(directory).is_dir():
        return None

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", directory, *args],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout.strip()

    try:
        top = git("rev-parse", "--show-toplevel")
        return {
            "commit": git("rev-parse", "HEAD"),
            "dirty": bool(git("-C", top, "status", "--porcelain", "-uno")),
        }
    except (OSError, subprocess.SubprocessError):
        return None


def metaData(args: argparse.Namespace, report: dict[str, Any]) -> dict[str, Any]:
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "versions": {
            name: _version(name)
            for name in ("twisted", "tornado", "uvloop", "txtornado")
        },
        "wrk": report["wrk"],
        "txtornado": report["txtornado"],
        "git": gitState(report["txtornado"]),
        "rounds": args.rounds,
        "quick": args.quick,
        "params": params(args.quick).__dict__,
        "command": ["benchmarks/run.py", *sys.argv[1:]],
    }


def jsonReport(planned: list[PlannedSuite], meta: dict[str, Any]) -> dict[str, Any]:
    """
    Everything measured, for charts: samples, summaries, ratios and goals.
    """
    suites: dict[str, Any] = {}
    for p in planned:
        suite = p.suite
        results: dict[str, Any] = {}
        for scenario in p.scenarios:
            results[scenario.name] = {}
            for target in p.targets:
                summary = p.cell(scenario.name, target).summary()
                summary["ratio"] = ratio(p, scenario.name, target, suite.baseline)
                results[scenario.name][target] = summary
        suites[suite.name] = {
            "title": suite.title,
            "baseline": suite.baseline,
            "targets": [
                {
                    "name": t.name,
                    "description": t.description,
                    "ran": t.name not in p.unavailable,
                    "reason": p.unavailable.get(t.name),
                }
                for t in suite.targets
            ],
            "scenarios": [
                {
                    "name": s.name,
                    "unit": s.unit,
                    "description": s.description,
                    "excluded": p.excluded.get(s.name),
                    "resized": p.resized.get(s.name),
                }
                for s in suite.scenarios
            ],
            "results": results,
            "goals": [judge(p, g) for g in suite.goals],
        }
    return {"meta": meta, "suites": suites}


def _writeAtomically(path: str, text: str) -> None:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(target.name + ".tmp")
    temporary.write_text(text)
    temporary.replace(target)


def listAll() -> None:
    for suite in SUITES.values():
        print(f"{suite.name}: {suite.title}; baseline {suite.baseline}")
        for target in suite.targets:
            print(f"  target   {target.name:32} {target.description}")
        for scenario in suite.scenarios:
            print(f"  scenario {scenario.name:32} {scenario.description}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description="Run the txtornado benchmarks side by side, as ratios."
    )
    parser.add_argument("--suite", choices=[*SUITES, "all"], default="all")
    parser.add_argument(
        "--rounds", type=int, default=None, help="rounds (default 3; 1 with --quick)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="tiny sizes, 1 round, no wrk scenarios: checks that everything runs",
    )
    parser.add_argument("--targets", help="comma-separated target names")
    parser.add_argument("--scenarios", help="comma-separated scenario names")
    parser.add_argument("--json", help="write every sample and summary here")
    parser.add_argument("--markdown", help="write the tables as Markdown here")
    parser.add_argument("--list", action="store_true", help="list targets, scenarios")
    args = parser.parse_args(argv)
    if args.list:
        listAll()
        return 0
    if args.rounds is None:
        args.rounds = 1 if args.quick else 3
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    report = probe()
    planned = plan(args, report)
    started = time.perf_counter()
    ok = runAll(planned, args.rounds, args.quick)
    print(
        f"ran in {time.perf_counter() - started:.0f} s\n", file=sys.stderr, flush=True
    )
    print(textReport(planned, args.rounds, args.quick))
    meta = metaData(args, report)
    if args.json:
        _writeAtomically(
            args.json, json.dumps(jsonReport(planned, meta), indent=2) + "\n"
        )
    if args.markdown:
        _writeAtomically(args.markdown, markdownReport(planned, args.rounds, meta))
    if not ok:
        print("some workers FAILED: see the notes above", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
