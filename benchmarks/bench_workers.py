"""
Workers benchmark: a Tornado hello-world under C{wrk}, served by
C{twistd tornado --workers 2} against one twistd process, side by side with
Tornado's own server in one process and in two (C{fork_processes(2)}).

    .venv/bin/python benchmarks/bench_workers.py [--rounds 3] [--seconds 5]
        [--json benchmarks/results/workers.json]
        [--markdown benchmarks/results/workers.md]

Every measurement starts fresh server processes, waits until each process
logs that it serves, runs C{wrk -t1 -c50} for the given seconds, and stops
the servers (SIGTERM).  Rounds interleave the targets, in an order rotated
each round.  The figures are requests/s (medians over rounds) and ratios
against one twistd process; the machine's cores are shared with wrk.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from bench_util import HELLO, HOST, parseWrk, wrkPath

ROOT = Path(__file__).resolve().parents[1]

#: Tornado's own server: C{--serve-tornado PROCESSES} runs it (with
#: C{fork_processes} for more than one) on a port the kernel picks.
TARGETS = {
    "twistd tornado (1 process)": ("twistd", 1),
    "twistd tornado --workers 2": ("twistd", 2),
    "Tornado HTTPServer (1 process)": ("tornado", 1),
    "Tornado fork_processes(2)": ("tornado", 2),
}

BASELINE = "twistd tornado (1 process)"


def make_app() -> Any:
    """
    The hello-world application (C{twistd tornado --app bench_workers:make_app}).
    """
    import tornado.web

    class Hello(tornado.web.RequestHandler):
        def get(self) -> None:
            self.write(HELLO)

    return tornado.web.Application([(r"/", Hello)])


def serveTornado(processes: int) -> None:
    """
    Tornado's own multi-process recipe: bind, fork, serve.
    """
    import tornado.ioloop
    import tornado.netutil
    import tornado.process
    from tornado.httpserver import HTTPServer

    sockets = tornado.netutil.bind_sockets(0, HOST)
    port = sockets[0].getsockname()[1]
    if processes > 1:
        tornado.process.fork_processes(processes, max_restarts=0)
    server = HTTPServer(make_app())
    server.add_sockets(sockets)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    print(f"serving on http://{HOST}:{port}/", flush=True)
    tornado.ioloop.IOLoop.current().start()


def _command(kind: str, processes: int) -> list[str]:
    if kind == "tornado":
        return [sys.executable, __file__, "--serve-tornado", str(processes)]
    twistd = str(Path(sys.executable).with_name("twistd"))
    command = [twistd, "-n", "--pidfile=", "tornado", "--app", "bench_workers:make_app"]
    command += ["--listen", f"tcp:0:interface={HOST}", "--no-access-log"]
    if processes > 1:
        command += ["--workers", str(processes)]
    return command


def measure(kind: str, processes: int, seconds: int) -> float:
    """
    Start the servers, run wrk against them, stop them.

    @return: requests per second.
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT / "benchmarks"), str(ROOT), env.get("PYTHONPATH", "")]
    )
    proc = subprocess.Popen(
        _command(kind, processes),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
        cwd=ROOT / "benchmarks",
        start_new_session=True,
    )
    killer = threading.Timer(seconds + 120, _killGroup, [proc.pid, signal.SIGKILL])
    killer.start()
    try:
        assert proc.stdout is not None
        urls = []
        for line in proc.stdout:
            if "serving on http" in line:
                urls.append(line.rsplit(" ", 1)[-1].strip())
                if len(urls) == processes:
                    break
        if len(urls) != processes:
            raise RuntimeError(f"{kind} x{processes} never served")
        wrk = wrkPath()
        assert wrk is not None
        done = subprocess.run(
            [wrk, "-t1", "-c50", f"-d{seconds}s", urls[0]],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            check=True,
        )
        rate: float = parseWrk(done.stdout)["requestsPerSecond"]
        return rate
    finally:
        # The whole session: Tornado's forked children too.
        _killGroup(proc.pid, signal.SIGTERM)
        try:
            proc.communicate(timeout=60)
        finally:
            killer.cancel()
            _killGroup(proc.pid, signal.SIGKILL)


def _killGroup(pgid: int, signum: int) -> None:
    """
    Signal every process of the server's session (its own process group).
    """
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--json")
    parser.add_argument("--markdown")
    parser.add_argument("--serve-tornado", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_tornado:
        serveTornado(args.serve_tornado)
        return
    if wrkPath() is None:
        sys.exit("bench_workers: wrk is not installed (apt-get install -y wrk)")
    loadBefore = os.getloadavg()[0]
    samples: dict[str, list[float]] = {name: [] for name in TARGETS}
    failures: list[str] = []
    names = list(TARGETS)
    for round in range(args.rounds):
        order = names[round % len(names) :] + names[: round % len(names)]
        for name in order:
            try:
                rate = measure(*TARGETS[name], args.seconds)
            except Exception as e:  # reported, and left out of the median
                failures.append(f"round {round + 1}: {name}: {e}")
                print(failures[-1], file=sys.stderr)
                continue
            samples[name].append(rate)
            print(f"round {round + 1}: {name}: {rate:.0f} requests/s", file=sys.stderr)
    loadAfter = os.getloadavg()[0]
    medians = {n: statistics.median(v) for n, v in samples.items() if v}
    if BASELINE not in medians:
        sys.exit(
            "bench_workers: every baseline measurement failed:\n" + "\n".join(failures)
        )
    base = medians[BASELINE]
    rows = [
        (
            name,
            medians[name],
            min(samples[name]),
            max(samples[name]),
            medians[name] / base,
        )
        for name in names
        if name in medians
    ]
    lines = [
        f"Tornado hello-world under wrk -t1 -c50 -d{args.seconds}s, "
        f"{args.rounds} rounds, {os.cpu_count()} cores (shared with wrk), "
        f"Python {platform.python_version()}; load average {loadBefore:.1f} at "
        f"the start, {loadAfter:.1f} at the end",
        "",
        "| server | requests/s (median) | min-max | vs 1 twistd process |",
        "|---|---:|---:|---:|",
    ]
    lines += [
        f"| {n} | {m:.0f} | {lo:.0f}-{hi:.0f} | {r:.2f}x |" for n, m, lo, hi, r in rows
    ]
    lines += [f"- failed, left out: {failure}" for failure in failures]
    report = "\n".join(lines)
    print(report)
    if args.markdown:
        Path(args.markdown).write_text(report + "\n")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "samples": samples,
                    "failures": failures,
                    "medians": medians,
                    "baseline": BASELINE,
                    "ratios": {n: r for n, _, _, _, r in rows},
                    "seconds": args.seconds,
                    "rounds": args.rounds,
                    "cpus": os.cpu_count(),
                    "python": platform.python_version(),
                    "loadAverage": [loadBefore, loadAfter],
                },
                indent=2,
            )
            + "\n"
        )


if __name__ == "__main__":
    main()
