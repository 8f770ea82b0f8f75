"""
Sphinx extension: turn C{benchmarks/results/latest.json} (written by
C{benchmarks/run.py}) into the tables and charts of the benchmarks page.

At C{builder-inited} it writes, under C{docs/_generated/} (not committed):
one C{<suite>.rst} table per suite and one C{<suite>.svg} bar chart of the
ratios against the suite's baseline, which C{benchmarks.rst} includes.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import Any

_COLOURS = ["#2b6cb0", "#38a169", "#d69e2e", "#c53030", "#805ad5", "#718096"]


def _fmt(value: float) -> str:
    for limit, suffix in ((1e6, "M"), (1e3, "k")):
        if value >= limit:
            return f"{value / limit:.3g}{suffix}"
    return f"{value:.3g}"


def table(suite: dict[str, Any]) -> str:
    """
    A reST list-table: one row per scenario, one column per target (median
    and ratio to the baseline).
    """
    targets = [t["name"] for t in suite["targets"] if t["ran"]]
    lines = [
        f".. list-table:: {suite['title']} (median; ratio to {suite['baseline']})",
        "   :header-rows: 1",
        "",
        "   * - scenario",
    ]
    lines += [f"     - {t}" for t in targets]
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
    return "\n".join(lines) + "\n"


def goals(suite: dict[str, Any]) -> str:
    """
    A reST list-table of the suite's goals and whether they were met.
    """
    lines = [
        f".. list-table:: Goals of the {suite['title'].split(':')[0].lower()}",
        "   :header-rows: 1",
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


def generate(results: Path, out: Path) -> list[str]:
    """
    Write the tables and charts for every suite in C{results} into C{out};
    return the suite names.
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
        (out / f"{name}.rst").write_text(table(suite) + "\n" + goals(suite))
        (out / f"{name}.svg").write_text(chart(suite))
    return list(data["suites"])


def _builderInited(app: Any) -> None:
    src = Path(app.srcdir)
    generate(src.parent / "benchmarks" / "results" / "latest.json", src / "_generated")


def setup(app: Any) -> dict[str, Any]:
    app.connect("builder-inited", _builderInited)
    return {"parallel_read_safe": True, "version": "1"}
