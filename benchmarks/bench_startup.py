"""
Start-up benchmark: the time from starting a server process to its first
200 response, for C{twistd -n web} on Twisted's EPollReactor (the baseline),
C{twistd tornado} on TornadoReactor and on EPollReactor, and a plain
Tornado program.

    .venv/bin/python benchmarks/bench_startup.py [--rounds 5] [--warmup 1]
        [--json benchmarks/results/startup.json]
        [--markdown benchmarks/results/startup.md]

Python may write bytecode caches (C{PYTHONDONTWRITEBYTECODE} is removed
from the servers' environment): an installed package has them.  Every
measurement picks a free loopback port (bind port 0, close, pass the
number on), starts the server with C{subprocess.Popen}, and from then on
connects to the port every few milliseconds until a connection is
accepted; it sends C{GET /} and the clock stops when the response's
status line says 200.  The server is then stopped (SIGTERM, its whole
session).  Each target first runs C{--warmup} times uncounted (bytecode
caches, Twisted's plugin cache, the page cache); then rounds interleave
the targets, in an order rotated each round.  The figures are
milliseconds (median over rounds, lower is better) and ratios against
the baseline's median.

Then C{twistd --reactor=tornado -n tornado} runs once more under
C{python -X importtime}: the report lists the 15 imports with the largest
cumulative time and, for a few heavy packages, which import chain
pulled them in.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench_util import HELLO, HOST

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

#: Seconds a server may take to answer 200 before the measurement fails.
LIMIT = 60.0

#: Seconds between connection attempts while the server is not listening.
POLL = 0.002

#: The one request sent once the port accepts.
REQUEST = b"GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n"

#: The target C{twistd tornado} is judged by, and the baseline.
TORNADO_REACTOR = "twistd --reactor=tornado tornado"
BASELINE = "twistd web (EPollReactor)"

#: The start-up goal of issue 16: at most this many times the baseline.
GOAL = 1.1

#: Packages whose import chain the report shows, when they are imported.
WATCHED = (
    "OpenSSL",
    "cryptography",
    "service_identity",
    "idna",
    "twisted.internet.ssl",
    "tornado.websocket",
    "tornado.httpclient",
    "http.cookiejar",
    "tornado.web",
    "twisted.web",
    "txtornado",
    "asyncio",
)


def _twistd() -> str:
    return str(Path(sys.executable).with_name("twistd"))


def _twistdTornado(reactor: str) -> Callable[[int, Path], list[str]]:
    def command(port: int, docroot: Path) -> list[str]:
        return [
            _twistd(),
            "-n",
            "--pidfile=",
            f"--reactor={reactor}",
            "tornado",
            "--app",
            "startup_app:make_app",
            "--app-dir",
            str(HERE),
            "--listen",
            f"tcp:{port}:interface={HOST}",
        ]

    return command


def _twistdWeb(port: int, docroot: Path) -> list[str]:
    return [
        _twistd(),
        "-n",
        "--pidfile=",
        "--reactor=epoll",
        "web",
        "--path",
        str(docroot),
        "--listen",
        f"tcp:{port}:interface={HOST}",
    ]


def _plainTornado(port: int, docroot: Path) -> list[str]:
    return [sys.executable, str(HERE / "startup_app.py"), str(port)]


@dataclass(frozen=True)
class Target:
    """
    One way of starting a hello-world server.

    @ivar command: The argv for a port and the static directory (which
        only C{twistd web} serves: its C{index.html} is the hello body).
    """

    name: str
    description: str
    command: Callable[[int, Path], list[str]]


TARGETS = (
    Target(
        BASELINE,
        "twistd -n --reactor=epoll web --path DIR (static index.html), "
        "Twisted's native reactor",
        _twistdWeb,
    ),
    Target(
        TORNADO_REACTOR,
        "twistd -n --reactor=tornado tornado --app startup_app:make_app "
        "(TornadoReactor on stdlib asyncio)",
        _twistdTornado("tornado"),
    ),
    Target(
        "twistd tornado (EPollReactor)",
        "twistd -n --reactor=epoll tornado --app startup_app:make_app "
        "(TwistedIOLoop on Twisted's default reactor on Linux)",
        _twistdTornado("epoll"),
    ),
    Target(
        "python startup_app.py",
        "a plain Tornado program: app.listen(port) under asyncio.run",
        _plainTornado,
    ),
)


def freePort() -> int:
    """
    A loopback port nothing listens on now (the kernel's pick for port 0).
    """
    with socket.socket() as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    # Installed packages come with their bytecode compiled (pip does it);
    # the checkout's get theirs written by the warm-up runs.  Without this
    # every txtornado module would be compiled again on every start.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    # The checkout first: its twisted/plugins dropins and benchmarks/.
    env["PYTHONPATH"] = os.pathsep.join(
        [str(HERE), str(ROOT), env.get("PYTHONPATH", "")]
    )
    return env


def _get(port: int) -> bytes | None:
    """
    Send L{REQUEST} to C{port} and return the whole response, or L{None}
    if nothing listens there yet.
    """
    try:
        with socket.create_connection((HOST, port), timeout=LIMIT) as s:
            s.sendall(REQUEST)
            chunks = []
            while True:
                data = s.recv(65536)
                if not data:
                    return b"".join(chunks)
                chunks.append(data)
    except ConnectionRefusedError:
        return None


def _stop(process: subprocess.Popen[bytes]) -> None:
    """
    End the server's whole session (SIGTERM, then SIGKILL after 30 s).
    """
    for signum in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, signum)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=30)
            return
        except subprocess.TimeoutExpired:
            continue


def measure(
    target: Target, docroot: Path, prefix: tuple[str, ...] = ()
) -> tuple[float, str]:
    """
    Start C{target} (its argv after C{prefix}) and wait for its first 200
    response.

    @return: the seconds from C{Popen} to the 200, and the server's output
        (stdout and stderr).
    @raise RuntimeError: if the server exits, answers anything but 200,
        or takes longer than L{LIMIT}.
    """
    port = freePort()
    with tempfile.TemporaryFile() as output:
        started = time.perf_counter()
        process = subprocess.Popen(
            [*prefix, *target.command(port, docroot)],
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=output,
            cwd=docroot,
            env=_environment(),
            start_new_session=True,
        )
        failure: Exception | None = None
        try:
            while True:
                response = _get(port)
                if response is not None:
                    elapsed = time.perf_counter() - started
                    break
                if process.poll() is not None:
                    raise RuntimeError(f"exited {process.returncode} before serving")
                if time.perf_counter() - started > LIMIT:
                    raise RuntimeError(f"not serving after {LIMIT} s")
                time.sleep(POLL)
        except (RuntimeError, OSError) as e:
            failure = e
        finally:
            _stop(process)
        output.seek(0)
        log = output.read().decode(errors="replace")
    if failure is not None:
        raise RuntimeError(f"{target.name}: {failure}:\n{log}") from failure
    status = response.split(b"\r\n", 1)[0]
    if not (status.startswith(b"HTTP/1.") and status.split()[1:2] == [b"200"]):
        raise RuntimeError(f"{target.name}: answered {status!r}:\n{log}")
    if not response.endswith(HELLO):
        raise RuntimeError(f"{target.name}: unexpected body in {response!r}")
    return elapsed, log


# --- python -X importtime ------------------------------------------------


@dataclass(frozen=True)
class Import:
    """
    One line of C{python -X importtime}: a module imported for the first
    time, the microseconds it took by itself and with what it imported,
    and its nesting depth (0: imported by the program itself).
    """

    name: str
    selfUs: int
    cumulativeUs: int
    depth: int


def parseImportTime(stderr: str) -> list[Import]:
    """
    The imports of a C{-X importtime} run, in the order Python printed
    them (a module after everything it imported).
    """
    imports = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "imported package" in line:
            continue
        fields = line[len("import time:") :].split("|")
        if len(fields) != 3:
            continue
        selfUs, cumulativeUs, name = fields
        module = name[1:] if name.startswith(" ") else name
        depth = (len(module) - len(module.lstrip(" "))) // 2
        imports.append(Import(module.strip(), int(selfUs), int(cumulativeUs), depth))
    return imports


def importChain(imports: list[Import], index: int) -> list[str]:
    """
    The modules whose import pulled in C{imports[index]}, outermost first:
    each module's importer is the next line printed at a smaller depth.
    """
    chain = []
    depth = imports[index].depth
    for later in imports[index + 1 :]:
        if later.depth < depth:
            chain.append(later.name)
            depth = later.depth
            if depth == 0:
                break
    return chain[::-1]


def importReport(imports: list[Import]) -> dict[str, Any]:
    """
    The 15 imports with the largest cumulative time, and each L{WATCHED}
    package that was imported, each with the chain that caused it.
    """
    ranked = sorted(
        range(len(imports)), key=lambda i: imports[i].cumulativeUs, reverse=True
    )
    watched = []
    for package in WATCHED:
        for index, found in enumerate(imports):
            if found.name == package:
                watched.append(dict(found.__dict__, chain=importChain(imports, index)))
                break
    return {
        "modules": len(imports),
        "totalUs": sum(i.cumulativeUs for i in imports if i.depth == 0),
        "top": [
            dict(imports[i].__dict__, chain=importChain(imports, i))
            for i in ranked[:15]
        ],
        "watched": watched,
    }


def _target(name: str) -> Target:
    return next(t for t in TARGETS if t.name == name)


def _importTime(target: Target, docroot: Path) -> list[Import]:
    _, log = measure(target, docroot, prefix=(sys.executable, "-X", "importtime"))
    return parseImportTime(log)


def extraPackages(
    imports: list[Import], baseline: list[Import]
) -> list[dict[str, Any]]:
    """
    What C{imports} has that C{baseline} has not, by top-level package:
    the modules and the sum of their own (self) import times, largest
    first.
    """
    seen = {i.name for i in baseline}
    packages: dict[str, dict[str, Any]] = {}
    for i in imports:
        if i.name in seen:
            continue
        entry = packages.setdefault(
            i.name.split(".")[0], {"package": i.name.split(".")[0], "modules": 0}
        )
        entry["modules"] += 1
        entry["selfUs"] = entry.get("selfUs", 0) + i.selfUs
    return sorted(packages.values(), key=lambda e: e["selfUs"], reverse=True)


def profileImports(docroot: Path) -> dict[str, Any]:
    """
    Run C{twistd --reactor=tornado -n tornado}, and the baseline, once
    each under C{-X importtime}, up to the first 200; report the former's
    imports and what it imports that the baseline does not.
    """
    imports = _importTime(_target(TORNADO_REACTOR), docroot)
    baseline = _importTime(_target(BASELINE), docroot)
    report = importReport(imports)
    report["baselineModules"] = len(baseline)
    report["extra"] = extraPackages(imports, baseline)
    seen = {i.name for i in baseline}
    extraModules = [i for i in imports if i.name not in seen]
    extraModules.sort(key=lambda i: i.selfUs, reverse=True)
    report["extraModules"] = [i.__dict__ for i in extraModules[:15]]
    return report


# --- Report --------------------------------------------------------------


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


def _importRow(entry: dict[str, Any], withSelf: bool = False) -> str:
    chain = " > ".join(entry["chain"]) or "(imported directly)"
    selfMs = f" {entry['selfUs'] / 1000:.1f} |" if withSelf else ""
    return f"| {entry['name']} | {entry['cumulativeUs'] / 1000:.1f} |{selfMs} {chain} |"


def markdown(result: dict[str, Any]) -> str:
    """
    The report as Markdown: the start-up table, the goal, the imports.
    """
    base = result["medians"].get(BASELINE)
    lines = [
        f"Time from exec to the first 200 response, {result['rounds']} rounds "
        f"(after {result['warmup']} uncounted warm-up run(s) per target), "
        f"{result['cpus']} cores, Python {result['python']}; load average "
        f"{result['loadAverage'][0]:.1f} at the start, "
        f"{result['loadAverage'][1]:.1f} at the end. Lower is better.",
        "",
        f"| server | ms (median) | min-max | vs {BASELINE} |",
        "|---|---:|---:|---:|",
    ]
    for target in TARGETS:
        samples = result["samples"][target.name]
        if not samples:
            lines.append(f"| {target.name} | failed | - | - |")
            continue
        median = result["medians"][target.name]
        ratio = f"{median / base:.2f}x" if base else "-"
        lines.append(
            f"| {target.name} | {_ms(median)} | {_ms(min(samples))}-"
            f"{_ms(max(samples))} | {ratio} |"
        )
    lines += ["", "What each runs:", ""]
    lines += [f"- **{t.name}**: {t.description}" for t in TARGETS]
    goal = result["goal"]
    lines += [
        "",
        f"Goal: {TORNADO_REACTOR} <= {GOAL:.2f}x {BASELINE}: "
        + (
            "n/a (a measurement failed)"
            if goal["ratio"] is None
            else f"{goal['ratio']:.2f}x, {goal['status']}"
        ),
    ]
    lines += [f"- failed, left out: {failure}" for failure in result["failures"]]
    imports = result.get("imports")
    if imports:
        lines += [
            "",
            f"### Imports of `{TORNADO_REACTOR}` (python -X importtime, one run)",
            "",
            f"{imports['modules']} modules, {imports['totalUs'] / 1000:.0f} ms of "
            "imports in all (importtime's own overhead included). A module's "
            "cumulative time includes what it imported; the chain runs from "
            "the import the program made (at start-up, or later inside a "
            "function) to the module's importer.",
            "",
            "The 15 largest cumulative import times:",
            "",
            "| module | cumulative ms | self ms | imported through |",
            "|---|---:|---:|---|",
        ]
        lines += [_importRow(i, withSelf=True) for i in imports["top"]]
        lines += [
            "",
            "Heavy or telling packages, where imported:",
            "",
            "| package | cumulative ms | imported through |",
            "|---|---:|---|",
        ]
        lines += [_importRow(i) for i in imports["watched"]]
        lines += [
            "",
            f"Imported by `{TORNADO_REACTOR}` and not by `{BASELINE}` "
            f"({imports['baselineModules']} modules), by top-level package, "
            "the sum of the modules' own import times (the 15 largest):",
            "",
            "| package | modules | self ms |",
            "|---|---:|---:|",
        ]
        lines += [
            f"| {e['package']} | {e['modules']} | {e['selfUs'] / 1000:.1f} |"
            for e in imports["extra"][:15]
        ]
        lines += [
            "",
            "Of those, the 15 modules with the largest own (self) import time:",
            "",
            "| module | self ms | cumulative ms |",
            "|---|---:|---:|",
        ]
        lines += [
            f"| {i['name']} | {i['selfUs'] / 1000:.1f} | "
            f"{i['cumulativeUs'] / 1000:.1f} |"
            for i in imports["extraModules"]
        ]
        absent = set(WATCHED) - {w["name"] for w in imports["watched"]}
        if absent:
            lines += ["", f"Not imported: {', '.join(sorted(absent))}."]
    return "\n".join(lines) + "\n"


def run(rounds: int, warmup: int, withImports: bool) -> dict[str, Any]:
    """
    Warm up, run the interleaved rounds, profile the imports.
    """
    loadBefore = os.getloadavg()[0]
    samples: dict[str, list[float]] = {t.name: [] for t in TARGETS}
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as directory:
        docroot = Path(directory)
        (docroot / "index.html").write_bytes(HELLO)
        for target in TARGETS:
            for _ in range(warmup):
                try:
                    measure(target, docroot)
                except RuntimeError as e:
                    failures.append(f"warm-up: {e}")
                    print(failures[-1], file=sys.stderr)
        for round_ in range(rounds):
            shift = round_ % len(TARGETS)
            for target in TARGETS[shift:] + TARGETS[:shift]:
                try:
                    seconds, _ = measure(target, docroot)
                except RuntimeError as e:
                    failures.append(f"round {round_ + 1}: {e}")
                    print(failures[-1], file=sys.stderr)
                    continue
                samples[target.name].append(seconds)
                print(
                    f"round {round_ + 1}: {target.name}: {_ms(seconds)} ms",
                    file=sys.stderr,
                )
        imports = profileImports(docroot) if withImports else None
    medians = {name: statistics.median(v) for name, v in samples.items() if v}
    ratio = None
    if BASELINE in medians and TORNADO_REACTOR in medians:
        ratio = medians[TORNADO_REACTOR] / medians[BASELINE]
    return {
        "samples": samples,
        "failures": failures,
        "medians": medians,
        "baseline": BASELINE,
        "ratios": {n: m / medians[BASELINE] for n, m in medians.items()}
        if BASELINE in medians
        else {},
        "goal": {
            "target": TORNADO_REACTOR,
            "baseline": BASELINE,
            "maximum": GOAL,
            "ratio": ratio,
            "status": None
            if ratio is None
            else ("MET" if ratio <= GOAL else "NOT MET"),
        },
        "targets": {t.name: t.description for t in TARGETS},
        "imports": imports,
        "rounds": rounds,
        "warmup": warmup,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "loadAverage": [loadBefore, os.getloadavg()[0]],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument(
        "--no-imports", action="store_true", help="skip the -X importtime run"
    )
    parser.add_argument("--json")
    parser.add_argument("--markdown")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    result = run(args.rounds, args.warmup, not args.no_imports)
    report = markdown(result)
    print(report)
    if args.markdown:
        Path(args.markdown).write_text(report)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    if result["failures"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
