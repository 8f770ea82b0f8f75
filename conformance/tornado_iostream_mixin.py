"""
Run Tornado's own C{TestReadWriteMixin} ("These should work for
BaseIOStream implementations", in C{tornado.test.iostream_test}) against
L{txtornado.iostream.TwistedIOStream}, and Tornado's own C{IOStream} as the
baseline, and compare.

Usage::

    python conformance/tornado_iostream_mixin.py [--config tornado ...]
        [--json FILE] [-- test names...]

Configurations, each run in its own subprocess (this file with
C{TXTORNADO_MIXIN_WORKER} set):

  - C{tornado}: the baseline, Tornado's C{TestIOStream} (socket IOStreams
    on stdlib asyncio), restricted to the mixin's tests.
  - C{tornadoreactor}: TwistedIOStream pairs over Twisted TCP connections
    (127.0.0.1) on a L{txtornado.TornadoReactor} built on each test's
    IOLoop (Tornado's C{AsyncIOLoop} on stdlib asyncio).
  - C{twistedioloop-epoll}: the same on a L{txtornado.TwistedIOLoop} on a
    new C{EPollReactor} per test.

The worker prints one C{MIXIN-RESULT {json}} line: counts and, per failed
or erroring test, its traceback.  The parent prints a table and exits 1 if
any configuration has a failure or error, or did not finish.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import unittest
from typing import Any

WORKER_ENV = "TXTORNADO_MIXIN_WORKER"
CONFIGS = ("tornado", "tornadoreactor", "twistedioloop-epoll")
BASELINE = "tornado"


def _mixin_test_names() -> list[str]:
    from tornado.test.iostream_test import TestReadWriteMixin

    return sorted(n for n in dir(TestReadWriteMixin) if n.startswith("test_"))


def make_test_case(config: str) -> type[unittest.TestCase]:
    """
    The C{TestReadWriteMixin} subclass for C{config}.
    """
    from tornado.test.iostream_test import TestIOStream, TestReadWriteMixin
    from tornado.testing import AsyncTestCase

    if config == BASELINE:
        return TestIOStream

    from txtornado.iostream import TwistedIOStream
    from txtornado.testing import stream_pair

    # Tornado 6.5 made the mixin an AsyncTestCase; before, it was a plain
    # mixin: name AsyncTestCase explicitly for both.
    class TwistedStreamMixinTest(TestReadWriteMixin, AsyncTestCase):
        def get_new_ioloop(self) -> Any:
            if config == "twistedioloop-epoll":
                from twisted.internet.epollreactor import EPollReactor

                from txtornado import TwistedIOLoop

                return TwistedIOLoop(reactor_factory=EPollReactor)
            return super().get_new_ioloop()

        def setUp(self) -> None:
            super().setUp()
            if config == "twistedioloop-epoll":
                self.reactor = self.io_loop.reactor
            else:
                from txtornado import TornadoReactor

                self.reactor = TornadoReactor(self.io_loop)

        async def make_iostream_pair(
            self, **kwargs: Any
        ) -> tuple[TwistedIOStream, TwistedIOStream]:
            # the same pair as txtornado's own tests use
            return await stream_pair(self.reactor, kwargs, kwargs)

    TwistedStreamMixinTest.__name__ = f"TwistedStreamMixinTest_{config}"
    return TwistedStreamMixinTest


def run_worker(config: str, names: list[str]) -> dict[str, Any]:
    """
    Run the mixin's tests (or C{names}) for C{config} in this process.
    """
    import logging

    logging.basicConfig(level=logging.CRITICAL)
    case = make_test_case(config)
    suite = unittest.TestSuite(case(n) for n in names or _mixin_test_names())
    result = unittest.TestResult()
    suite.run(result)
    return {
        "config": config,
        "run": result.testsRun,
        "passed": result.testsRun
        - len(result.failures)
        - len(result.errors)
        - len(result.skipped),
        "failed": [(t.id(), tb[-3000:]) for t, tb in result.failures],
        "errors": [(t.id(), tb[-3000:]) for t, tb in result.errors],
        "skipped": [(t.id(), why) for t, why in result.skipped],
    }


def run(
    configs: list[str], names: list[str], timeout: float = 300
) -> list[dict[str, Any]]:
    """
    Run each configuration in a subprocess; one summary per configuration
    (C{"finished": False} if its worker crashed or timed out).
    """
    summaries = []
    for config in configs:
        env = dict(os.environ, **{WORKER_ENV: config})
        try:
            proc = subprocess.run(
                [sys.executable, os.path.abspath(__file__), "--", *names],
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
            output, stderr = proc.stdout, proc.stderr
        except subprocess.TimeoutExpired as e:
            output = e.stdout if isinstance(e.stdout, str) else ""
            stderr = f"timed out after {timeout}s"
        for line in output.splitlines():
            if line.startswith("MIXIN-RESULT "):
                summary = json.loads(line[len("MIXIN-RESULT ") :])
                summary["finished"] = True
                break
        else:
            summary = {"config": config, "finished": False, "stderr": stderr[-3000:]}
        summaries.append(summary)
    return summaries


def format_table(summaries: list[dict[str, Any]]) -> str:
    lines = [
        f"{'configuration':24} {'run':>4} {'passed':>6} {'failed':>6} {'errors':>6} {'skipped':>7}"
    ]
    for s in summaries:
        if not s["finished"]:
            lines.append(f"{s['config']:24} did not finish: {s['stderr'][-200:]}")
            continue
        lines.append(
            f"{s['config']:24} {s['run']:>4} {s['passed']:>6} {len(s['failed']):>6}"
            f" {len(s['errors']):>6} {len(s['skipped']):>7}"
        )
    for s in summaries:
        for kind in ("failed", "errors"):
            for test, tb in s.get(kind, []):
                lines.append(f"\n{s['config']} {kind}: {test}\n{tb}")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if WORKER_ENV in os.environ:
        names = argv[argv.index("--") + 1 :] if "--" in argv else []
        summary = run_worker(os.environ[WORKER_ENV], names)
        print("MIXIN-RESULT " + json.dumps(summary), flush=True)
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", nargs="+", choices=CONFIGS, default=list(CONFIGS))
    parser.add_argument("--json")
    parser.add_argument("names", nargs="*")
    args = parser.parse_args(argv)
    summaries = run(args.config, args.names)
    print(format_table(summaries))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(summaries, f, indent=1)
    bad = [s for s in summaries if not s["finished"] or s["failed"] or s["errors"]]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
