"""
Every example in C{docs/examples/} runs, in a child process, and prints
exactly what its C{.out} file says: the documentation's code is tested.
"""

from __future__ import annotations

import sys

from twisted.trial.unittest import SynchronousTestCase

from txtornado.test._subprocess import ROOT, run

EXAMPLES = ROOT / "docs" / "examples"


class DocsExamplesTests(SynchronousTestCase):
    """
    One test per example, generated below.
    """

    def test_everyExampleHasExpectedOutput(self) -> None:
        """
        Each example has its C{.out} file, and the other way round.
        """
        scripts = {p.stem for p in EXAMPLES.glob("*.py")}
        outputs = {p.stem for p in EXAMPLES.glob("*.out")}
        self.assertTrue(scripts)
        self.assertEqual(scripts, outputs)


def _makeTest(name: str) -> object:
    def test(self: SynchronousTestCase) -> None:
        script = EXAMPLES / f"{name}.py"
        result = run([sys.executable, str(script)], timeout=60, cwd=EXAMPLES)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout, (EXAMPLES / f"{name}.out").read_text())

    test.__doc__ = f"docs/examples/{name}.py prints its .out file."
    return test


for _script in sorted(EXAMPLES.glob("*.py")):
    setattr(DocsExamplesTests, f"test_{_script.stem}", _makeTest(_script.stem))
