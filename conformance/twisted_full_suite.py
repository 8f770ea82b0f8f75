"""
Run Twisted's whole test suite (C{trial twisted}) with TornadoReactor as
the global reactor and, as the baseline, with Twisted's epoll reactor, in
the same environment; print the counts side by side and every test whose
outcome differs.

    python conformance/twisted_full_suite.py [--reactor NAME]... [--jobs N]
        [--json FILE] [--tests NAME]...

Each reactor's run is C{python -m twisted.trial -jN --reactor=NAME
--reporter=bwverbose twisted} in a child, in a fresh directory, with this
checkout first on C{PYTHONPATH} (for the C{tornado} reactor plugin in
C{twisted/plugins/}).  The ReactorBuilder tests inside the suite run on
Twisted's built-in reactors in both runs (the per-reactor suite for
TornadoReactor is C{twisted_reactor_suite.py}); everything else runs on the
global reactor, which is what this judges.

Tests that fail on a judged reactor but not on the baseline are run once
more, alone (one C{trial} per reactor naming them all), on both reactors: a
test that passes then is reported as flaky (it failed in the full run only),
one that fails again as failing.  The optional test dependencies of Twisted
(its C{test} and C{all-non-platform} extras) must be installed, or whole
modules are skipped on both reactors alike and hide what they test.

Both runs have an X display: C{$DISPLAY} if set, else an Xvfb server of the
runner's own (Debian's C{xvfb}, which C{.ci/system-deps} installs).  With
PyGObject installed (the C{gui} extra), Twisted's GTK tests need one: without
a display, GTK ends the trial worker that runs them (C{cannot open display}),
and every later test of that worker errors.  Without Xvfb the suite runs
without a display only if PyGObject is absent (nothing else in it needs one).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

#: Short name -> trial's --reactor name.  The judged reactors' names start
#: with "TornadoReactor".
REACTORS = {
    "TornadoReactor": "tornado",
    "EPollReactor": "epoll",
}

#: Reactors run only when named with --reactor.
OPTIONAL_REACTORS = {
    "AsyncioSelectorReactor": "asyncio",
}

#: The outcome words of trial's bwverbose reporter, worst first.
_OUTCOMES = ["ERROR", "FAILURE", "SUCCESS!?!", "TODO", "SKIPPED", "OK"]

#: A test's line: its id, then (after any output the test printed) its
#: outcomes, up to the next test's line or the final report.
_TEST = re.compile(
    r"^(?P<id>[\w.]+) \.\.\. (?P<body>.*?)(?=^[\w.]+ \.\.\. |^={20,}$|\Z)", re.M | re.S
)
_OUTCOME = re.compile(r"\[(" + "|".join(re.escape(o) for o in _OUTCOMES) + r")\]")
_SUMMARY = re.compile(r"^(PASSED|FAILED) \((?P<counts>[^)]*)\)$", re.M)
_RAN = re.compile(r"^Ran (\d+) tests? in ([\d.]+)s$", re.M)


def childEnv() -> dict[str, str]:
    """
    This process's environment with the checkout first on C{PYTHONPATH}.
    """
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    path = env.get("PYTHONPATH")
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + path if path else "")
    return env


def runTrial(
    reactor: str, tests: list[str], jobs: int, timeout: float
) -> tuple[str, float]:
    """
    Run trial on C{reactor} (trial's name for it) over C{tests}; return its
    output and wall time.

    @raise RuntimeError: if trial printed no summary (it crashed or hung).
    """
    args = [sys.executable, "-m", "twisted.trial", f"--reactor={reactor}"]
    if jobs > 1:
        args.append(f"-j{jobs}")
    args += ["--reporter=bwverbose", *tests]
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="txtornado-twisted-full-") as cwd:
        proc = subprocess.run(
            args,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=childEnv(),
            stdin=subprocess.DEVNULL,
            cwd=cwd,
        )
    elapsed = time.monotonic() - started
    if not _SUMMARY.search(proc.stdout):
        raise RuntimeError(
            f"trial --reactor={reactor} printed no summary (exit "
            f"{proc.returncode}):\n{proc.stdout[-5000:]}\n{proc.stderr[-5000:]}"
        )
    return proc.stdout, elapsed


def parseOutcomes(output: str) -> dict[str, str]:
    """
    Each test's outcome from bwverbose output: the worst one if it reported
    several (a test error and a cleanup error, say).
    """
    outcomes: dict[str, str] = {}
    for match in _TEST.finditer(output):
        words = _OUTCOME.findall(match.group("body"))
        previous = outcomes.get(match.group("id"))
        if previous is not None:
            words.append(previous)
        if words:
            outcomes[match.group("id")] = min(words, key=_OUTCOMES.index)
    return outcomes


def parseDetails(output: str) -> dict[str, str]:
    """
    The traceback trial printed at the end for each failing or erroring
    test (its last 2000 characters).
    """
    details: dict[str, str] = {}
    blocks = re.split(r"^={20,}$", output, flags=re.M)
    for block in blocks:
        block = block.strip("\n").split("\n" + "-" * 79, 1)[0]
        flavor, _, rest = block.partition("\n")
        if flavor not in ("[FAIL]", "[ERROR]"):
            continue
        reason, _, ids = rest.rstrip("\n").rpartition("\n\n")
        for testId in ids.split("\n"):
            if re.fullmatch(r"[\w.]+", testId):
                details[testId] = (details.get(testId, "") + reason)[-2000:]
    return details


def parseSummary(output: str) -> dict[str, Any]:
    """
    trial's own counts (its last summary line) and the run's test count.
    """
    counts: dict[str, Any] = {}
    summary = list(_SUMMARY.finditer(output))[-1]
    for item in summary.group("counts").split(", "):
        key, _, value = item.partition("=")
        if value:
            counts[key] = int(value)
    ran = list(_RAN.finditer(output))
    counts["run"] = int(ran[-1].group(1)) if ran else 0
    return counts


def resultOf(
    name: str, reactor: str, tests: list[str], jobs: int, timeout: float
) -> dict[str, Any]:
    """
    Run the suite on one reactor; its counts and per-test outcomes.
    """
    output, elapsed = runTrial(reactor, tests, jobs, timeout)
    outcomes = parseOutcomes(output)
    details = parseDetails(output)
    return {
        "reactor": reactor,
        "seconds": round(elapsed, 1),
        "trial": parseSummary(output),
        "outcomes": outcomes,
        "details": {t: d for t, d in details.items() if isBad(outcomes.get(t))},
    }


def isBad(outcome: str | None) -> bool:
    return outcome in ("ERROR", "FAILURE")


def bad(result: dict[str, Any]) -> set[str]:
    """
    The tests that failed or errored in a result.
    """
    return {t for t, o in result["outcomes"].items() if isBad(o)}


def count(result: dict[str, Any], outcome: str) -> int:
    return sum(1 for o in result["outcomes"].values() if o == outcome)


def differences(judged: dict[str, Any], baseline: dict[str, Any]) -> dict[str, str]:
    """
    Tests whose outcome differs between two results: id -> "judged/baseline"
    (C{missing} where a result does not have the test).
    """
    found: dict[str, str] = {}
    j, b = judged["outcomes"], baseline["outcomes"]
    for test in sorted(set(j) | set(b)):
        mine, theirs = j.get(test, "missing"), b.get(test, "missing")
        if mine != theirs:
            found[test] = f"{mine}/{theirs}"
    return found


def rerun(
    results: dict[str, dict[str, Any]],
    judged: list[str],
    timeout: float,
) -> None:
    """
    Run the tests that failed on a judged reactor but not on the baseline
    once more, alone, on every reactor; record the outcomes as each result's
    C{"rerun"}.
    """
    baseline = set().union(*(bad(r) for n, r in results.items() if n not in judged))
    suspects = sorted(set().union(*(bad(results[n]) for n in judged)) - baseline)
    for result in results.values():
        result["rerun"] = {}
        if suspects:
            output, _ = runTrial(result["reactor"], suspects, 1, timeout)
            outcomes = parseOutcomes(output)
            result["rerun"] = {t: outcomes.get(t, "missing") for t in suspects}


def judge(
    results: dict[str, dict[str, Any]], name: str, baselineName: str
) -> dict[str, Any]:
    """
    Compare judged reactor C{name} with the baseline: the tests that fail
    only on it (split into those that failed again when run alone, and
    flaky ones that passed then), the tests that fail only on the baseline,
    and every other difference in outcome.
    """
    mine, theirs = results[name], results[baselineName]
    only = sorted(bad(mine) - bad(theirs))
    rerunOutcomes = mine.get("rerun", {})
    flaky = [t for t in only if rerunOutcomes.get(t) == "OK"]
    return {
        "failing": [t for t in only if t not in flaky],
        "flaky": flaky,
        "fixed": sorted(bad(theirs) - bad(mine)),
        "differences": differences(mine, theirs),
    }


def summarise(results: dict[str, dict[str, Any]], judged: list[str]) -> str:
    """
    A table of counts per reactor, then, per judged reactor, what differs
    from the baseline.
    """
    lines = [
        f"{'reactor':<24}{'run':>7}{'passed':>8}{'failed':>8}{'errors':>8}"
        f"{'skipped':>9}{'xfail':>7}{'seconds':>9}"
    ]
    for name, r in results.items():
        lines.append(
            f"{name:<24}{len(r['outcomes']):>7}{count(r, 'OK'):>8}"
            f"{count(r, 'FAILURE'):>8}{count(r, 'ERROR'):>8}"
            f"{count(r, 'SKIPPED'):>9}{count(r, 'TODO'):>7}{r['seconds']:>9}"
        )
    lines.append("(trial's own summaries: ")
    for name, r in results.items():
        lines.append(f"  {name}: {r['trial']}")
    lines.append(")")
    baselines = [n for n in results if n not in judged]
    for name in judged:
        for baselineName in baselines:
            verdict = judge(results, name, baselineName)
            lines.append("")
            lines.append(f"{name} against {baselineName}:")
            for key, what in (
                ("failing", "fail or error only on"),
                ("flaky", "failed only on, then passed alone, on"),
                ("fixed", "fail or error only on the baseline, not on"),
            ):
                lines.append(f"  {len(verdict[key])} tests {what} {name}")
                for test in verdict[key]:
                    lines.append(f"    {test}")
            others = {
                t: d
                for t, d in verdict["differences"].items()
                if not any(t in verdict[k] for k in ("failing", "flaky", "fixed"))
            }
            lines.append(f"  {len(others)} other differences ({name}/{baselineName})")
            for test, what in others.items():
                lines.append(f"    {test}: {what}")
            for test in verdict["failing"]:
                lines.append(f"--- {test}\n{results[name]['details'].get(test, '')}")
    return "\n".join(lines)


@contextmanager
def display() -> Iterator[None]:
    """
    Give the trial children an X display for the block: C{$DISPLAY} if
    set, else an Xvfb server of the runner's own (on C{$DISPLAY} for the
    block).

    @raise SystemExit: if there is neither, and PyGObject is installed.
    """
    if os.environ.get("DISPLAY"):
        yield
        return
    if shutil.which("Xvfb") is None:
        if importlib.util.find_spec("gi") is not None:
            raise SystemExit(
                "PyGObject is installed, so Twisted's GTK tests need an X "
                "display (without one GTK ends trial's workers): set DISPLAY "
                "or install Xvfb (bash .ci/system-deps)"
            )
        yield
        return
    # From the checkout, as the children import txtornado (childEnv): an
    # installed wheel has no txtornado.test.
    sys.path.insert(0, str(ROOT))
    from txtornado.test._gui import xvfb

    with xvfb() as number:
        os.environ["DISPLAY"] = number
        try:
            yield
        finally:
            del os.environ["DISPLAY"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--reactor",
        action="append",
        choices=[*REACTORS, *OPTIONAL_REACTORS],
        help=f"default: {', '.join(REACTORS)}",
    )
    parser.add_argument("--jobs", type=int, default=2, help="trial -j (default 2)")
    parser.add_argument(
        "--tests",
        action="append",
        help="what trial runs (default: twisted, the whole suite)",
    )
    parser.add_argument("--json", help="write all results to this file")
    parser.add_argument("--timeout", type=float, default=3600.0)
    args = parser.parse_args()
    names = args.reactor or list(REACTORS)
    tests = args.tests or ["twisted"]
    every = {**REACTORS, **OPTIONAL_REACTORS}
    judged = [n for n in names if n.startswith("TornadoReactor")]
    with display():
        results = {
            name: resultOf(name, every[name], tests, args.jobs, args.timeout)
            for name in names
        }
        rerun(results, judged, args.timeout)
    print(summarise(results, judged))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
