"""
Sphinx extension: turn C{benchmarks/results/latest.json} (written by
C{benchmarks/run.py}) into the tables and charts of the benchmarks page.

At C{builder-inited} it writes, under C{docs/_generated/} (not committed),
for each suite a C{<suite>.svg} bar chart of the ratios against the
suite's baseline and a C{<suite>.rst} (the chart, the table, the goals),
which C{benchmarks.rst} includes; a suite of L{SUITES} missing from the
results gets a C{<suite>.rst} saying so, so that the page always builds.

The tables must fit a 1280 px window: target names get a break
opportunity after each C{/} and C{+} (a zero-width space), so that a
column is as wide as the longest part of its name, not the whole name.

Each goal that is NOT MET is explained in its table's status cell, from
C{docs/benchmark_notes.json} (C{"suite/scenario/target"}: text); a NOT MET
goal without a note, or a note for a goal that is met, is a build warning
(an error under C{-W}), so the explanations follow the results.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import Any

#: The suites C{benchmarks.rst} includes, present in the results or not.
SUITES = ("reactor", "ioloop", "endpoints")

_COLOURS = ["#2b6cb0", "#38a169", "#d69e2e", "#c53030", "#805ad5", "#718096"]


def _fmt(value: float) -> str:
    for limit, suffix in ((1e6, "M"), (1e3, "k")):
        if value >= limit:
            return f"{value / limit:.3g}{suffix}"
    return f"{value:.3g}"


def _breakable(name: str) -> str:
    """
    C{name} with a zero-width space after each C{/} and C{+}: where a
    narrow column may wrap it.
    """
    return name.replace("/", "/\u200b").replace("+", "+\u200b")


def table(suite: dict[str, Any]) -> str:
    """
    A reST list-table: one row per scenario, one column per target (median
    and ratio to the baseline).
    """
    targets = [t["name"] for t in suite["targets"] if t["ran"]]
    # The scenario column a fifth, the targets sharing the rest equally.
    share = 80 // max(1, len(targets))
    lines = [
        f".. list-table:: {suite['title']} (median; ratio to {suite['baseline']})",
        "   :header-rows: 1",
        f"   :widths: 20 {' '.join([str(share)] * len(targets))}",
        "",
        "   * - scenario",
    ]
    lines += [f"     - {_breakable(t)}" for t in targets]
    for scenario in suite["scenarios"]:
        name = scenario["name"]
        results = suite["results"].get(name, {})
        if not results:
            continue
        lines.append(f"   * - {name} ({scenario['unit']})")
        for t in targets:
            r = results.get(t)
            if not r or r.get("median") is None:
                lines.append("     - n/a")
                continue
            ratio = r.get("ratio")
            extra = f" ({ratio:.2f}x)" if ratio is not None else ""
            lines.append(f"     - {_fmt(r['median'])}{extra}")
    resized = [
        f"- {s['name']}: {s['resized']}" for s in suite["scenarios"] if s.get("resized")
    ]
    if resized:
        lines += ["", "Scenarios run smaller than asked on that machine:", ""]
        lines += resized
    return "\n".join(lines) + "\n"


def goal_key(suiteName: str, goal: dict[str, Any]) -> str:
    """
    The key of C{goal}'s note in C{benchmark_notes.json}.
    """
    return f"{suiteName}/{goal['scenario']}/{goal['target']}"


def goals(suite: dict[str, Any], notes: dict[str, str] | None = None) -> str:
    """
    A reST list-table of the suite's goals and whether they were met; a
    goal with a note in C{notes} (keyed by L{goal_key}, with the suite's
    name under C{"name"}) has it after its status.
    """
    notes = notes or {}
    lines = [
        f".. list-table:: Goals of the {suite['title'].split(':')[0].lower()}",
        "   :header-rows: 1",
        "   :widths: 14 26 9 10 41",
        "",
        "   * - scenario",
        "     - target / baseline",
        "     - needed",
        "     - measured",
        "     - status",
    ]
    for g in suite.get("goals", []):
        ratio = "n/a" if g["ratio"] is None else f"{g['ratio']:.2f}x"
        lines += [
            f"   * - {g['scenario']}",
            f"     - {g['target']} / {g['baseline']}",
            f"     - {g['minimum']:.2f}x",
            f"     - {ratio}",
            f"     - {g['status']}",
        ]
        note = notes.get(goal_key(suite.get("name", ""), g))
        if note:
            lines[-1] += f": {note}"
    return "\n".join(lines) + "\n"


def chart(suite: dict[str, Any]) -> str:
    """
    An SVG bar chart: for each scenario, one bar per target, its ratio to
    the baseline (the baseline is the 1.0 line).
    """
    targets = [t["name"] for t in suite["targets"] if t["ran"]]
    scenarios = [
        s["name"] for s in suite["scenarios"] if suite["results"].get(s["name"])
    ]
    ratios = [
        [suite["results"][s].get(t, {}).get("ratio") or 0.0 for t in targets]
        for s in scenarios
    ]
    top = max([1.0] + [r for row in ratios for r in row]) * 1.1
    left, barH, gap, width = 150, 12, 10, 460
    rowH = barH * len(targets) + gap
    height = 40 + rowH * len(scenarios) + 20 * len(targets)
    x1 = left + width / top
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 60}" '
        f'height="{height}" font-family="sans-serif" font-size="11">',
        f'<text x="4" y="14" font-weight="bold">{escape(suite["title"])}: '
        f"ratio to {escape(suite['baseline'])} (higher is better)</text>",
    ]
    for i, (scenario, row) in enumerate(zip(scenarios, ratios, strict=True)):
        y0 = 30 + i * rowH
        out.append(f'<text x="4" y="{y0 + rowH / 2}">{escape(scenario)}</text>')
        for j, ratio in enumerate(row):
            y = y0 + j * barH
            w = width * ratio / top
            out.append(
                f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{barH - 2}" '
                f'fill="{_COLOURS[j % len(_COLOURS)]}"/>'
                f'<text x="{left + w + 3:.1f}" y="{y + barH - 3}">{ratio:.2f}x</text>'
            )
    bottom = 30 + rowH * len(scenarios)
    out.append(
        f'<line x1="{x1:.1f}" y1="26" x2="{x1:.1f}" y2="{bottom}" '
        'stroke="black" stroke-dasharray="3,3"/>'
    )
    for j, t in enumerate(targets):
        y = bottom + 8 + j * 20
        out.append(
            f'<rect x="{left}" y="{y}" width="12" height="12" '
            f'fill="{_COLOURS[j % len(_COLOURS)]}"/>'
            f'<text x="{left + 18}" y="{y + 10}">{escape(t)}</text>'
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"


def unexplained(data: dict[str, Any], notes: dict[str, str]) -> list[str]:
    """
    What is wrong with C{notes} for the results C{data}: each NOT MET goal
    without a note, and each note whose goal is not NOT MET.
    """
    problems = []
    notMet = set()
    for name, suite in data["suites"].items():
        for g in suite.get("goals", []):
            if g["status"] == "NOT MET":
                notMet.add(goal_key(name, g))
    for key in sorted(notMet - set(notes)):
        problems.append(f"goal {key} is NOT MET and has no note")
    for key in sorted(set(notes) - notMet):
        problems.append(f"note for {key}, which is not a NOT MET goal")
    return problems


def generate(
    results: Path, out: Path, notes: dict[str, str] | None = None
) -> list[str]:
    """
    Write the tables and charts for every suite in C{results} into C{out},
    with C{notes} beside the goals they explain; return the suite names.
    """
    data = json.loads(results.read_text())
    out.mkdir(parents=True, exist_ok=True)
    meta = data["meta"]
    versions = ", ".join(f"{k} {v}" for k, v in meta.get("versions", {}).items())
    (out / "meta.rst").write_text(
        f"Measured {meta.get('date', '?')} on {meta.get('cpus', '?')} CPUs, "
        f"Python {meta.get('python', '?')}, {versions}.\n"
    )
    for name, suite in data["suites"].items():
        suite = dict(suite, name=name)
        image = (
            f".. image:: /_generated/{name}.svg\n"
            f"   :alt: {suite['title'].split(':')[0]} ratios\n"
        )
        (out / f"{name}.rst").write_text(
            image + "\n" + table(suite) + "\n" + goals(suite, notes)
        )
        (out / f"{name}.svg").write_text(chart(suite))
    for name in SUITES:
        if name not in data["suites"]:
            (out / f"{name}.rst").write_text(
                f"The last run (``latest.json``) did not include the {name} suite.\n"
            )
    return list(data["suites"])


def _builderInited(app: Any) -> None:
    from sphinx.util import logging

    src = Path(app.srcdir)
    results = src.parent / "benchmarks" / "results" / "latest.json"
    notes = json.loads((src / "benchmark_notes.json").read_text())
    for problem in unexplained(json.loads(results.read_text()), notes):
        logging.getLogger(__name__).warning("benchmark_notes.json: %s", problem)
    generate(results, src / "_generated", notes)


def setup(app: Any) -> dict[str, Any]:
    app.connect("builder-inited", _builderInited)
    return {"parallel_read_safe": True, "version": "1"}
