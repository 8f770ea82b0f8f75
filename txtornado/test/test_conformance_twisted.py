"""
The judge for TornadoReactor: Twisted's own reactor test suite (every
C{ReactorBuilder} module of C{twisted.internet.test}), run by
C{conformance/twisted_reactor_suite.py} on TornadoReactor (over stdlib
asyncio and over uvloop) and on Twisted's built-in reactors in the same run.

TornadoReactor may show no failure or error that a built-in reactor does
not also show here, and must pass at least as many tests as Twisted's own
AsyncioSelectorReactor on the same asyncio implementation.  The differences that remain are listed below with
their reasons, and asserted to be exactly those: a new failure fails this
test, and so does a listed one that starts passing (so the list stays true).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from twisted.trial.unittest import SynchronousTestCase

from txtornado.test._subprocess import ROOT, run

RUNNER = ROOT / "conformance" / "twisted_reactor_suite.py"

#: Failures TornadoReactor shows that no built-in reactor shows, with why.
KNOWN: dict[str, dict[str, str]] = {
    "TornadoReactor/asyncio": {},
    "TornadoReactor/uvloop": {
        "test_core.SystemEventTestsBuilder.test_signalHandlersInstalledDuringStartup": (
            "The test watches for handlers by patching Python's signal.signal; "
            "uvloop's add_signal_handler installs them from C, so the patch "
            "never sees the call.  The handlers are installed, in the 'during "
            "startup' phase, and work (test_install.SignalTests)."
        ),
    },
}


class TwistedReactorSuiteTests(SynchronousTestCase):
    """
    Run the suite once for all reactors, then judge each TornadoReactor.
    """

    results: dict[str, Any] | None = None

    def setUp(self) -> None:
        if TwistedReactorSuiteTests.results is None:
            out = Path(self.mktemp() + ".json")
            result = run(
                [sys.executable, str(RUNNER), "--json", str(out)], timeout=3000
            )
            # The table goes to the test log (pytest -s, or trial's log).
            print(result.stdout)
            self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
            TwistedReactorSuiteTests.results = json.loads(out.read_text())

    def _judge(self, name: str, peer: str) -> None:
        sys.path.insert(0, str(RUNNER.parent))
        try:
            import twisted_reactor_suite as suite
        finally:
            sys.path.remove(str(RUNNER.parent))
        results = self.results
        assert results is not None
        judged = [n for n in results if n.startswith("TornadoReactor")]
        baseline = suite.baselineBad(results, judged)
        extra = set(suite.bad(results[name])) - baseline
        self.assertEqual(
            extra,
            set(KNOWN[name]),
            suite.summarise({name: results[name]}, [name])
            + "\n"
            + "\n".join(
                f"{t}: {results[name]['failures'].get(t) or ''}" for t in extra
            ),
        )
        self.assertGreaterEqual(results[name]["passed"], results[peer]["passed"])

    def test_asyncio(self) -> None:
        """
        TornadoReactor over stdlib asyncio.
        """
        self._judge("TornadoReactor/asyncio", peer="AsyncioSelectorReactor")

    def test_uvloop(self) -> None:
        """
        TornadoReactor over uvloop, judged against the built-in reactors
        and Twisted's AsyncioSelectorReactor on uvloop.
        """
        self._judge("TornadoReactor/uvloop", peer="AsyncioSelectorReactor/uvloop")
