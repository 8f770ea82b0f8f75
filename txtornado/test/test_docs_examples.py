"""
Every example in C{docs/examples/} runs, in a child process, and prints
exactly what its C{.out} file says: the documentation's code is tested.
"""

from __future__ import annotations

import os
import signal
import sys
import urllib.request

from twisted.trial.unittest import SynchronousTestCase

from txtornado.test._subprocess import ROOT, Child, binPath, run

EXAMPLES = ROOT / "docs" / "examples"


class DocsExamplesTests(SynchronousTestCase):
    """
    One test per example, generated below.
    """

    def test_everyExampleHasExpectedOutput(self) -> None:
        """
        Each example has its C{.out} file, and the other way round.
        """
        scripts = {
            p.stem for p in EXAMPLES.glob("*.py") if not p.stem.startswith("test_")
        }
        outputs = {p.stem for p in EXAMPLES.glob("*.out")}
        self.assertTrue(scripts)
        self.assertEqual(scripts, outputs)


def _makeTest(name: str) -> object:
    def test(self: SynchronousTestCase) -> None:
        script = EXAMPLES / f"{name}.py"
        result = run([sys.executable, str(script)], timeout=60, cwd=EXAMPLES)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout, (EXAMPLES / f"{name}.out").read_text())
        # no error that the example's reactor logged and carried on from
        # (Twisted 26's readBody warns about its own transport proxy, so
        # warnings are allowed)
        self.assertNotIn("Traceback", result.stderr)
        self.assertNotIn("Unhandled", result.stderr)

    test.__doc__ = f"docs/examples/{name}.py prints its .out file, and logs no error."
    return test


# The GUI examples (gui_*.py) need a toolkit and a display: test_gui runs them.
for _script in sorted(EXAMPLES.glob("*.py")):
    if not _script.stem.startswith(("test_", "gui_")):
        setattr(DocsExamplesTests, f"test_{_script.stem}", _makeTest(_script.stem))


class DocsTestExamplesTests(SynchronousTestCase):
    """
    The testing page's examples pass under their runner, on both reactors;
    the .tac example serves under twistd.
    """

    def _runModule(self, *args: str) -> str:
        result = run([sys.executable, "-m", *args], timeout=120, cwd=EXAMPLES)
        output = result.stdout + result.stderr
        self.assertEqual(result.returncode, 0, output)
        return output

    def test_trialExample(self) -> None:
        """
        test_hello_trial.py passes under trial, default and tornado reactors.
        """
        for options in ((), ("--reactor=tornado",)):
            output = self._runModule(
                "twisted.trial",
                "--temp-directory",
                os.path.abspath(self.mktemp()),
                *options,
                "test_hello_trial",
            )
            self.assertIn("PASSED (successes=1)", output)

    def test_pytestExample(self) -> None:
        """
        test_hello_pytest.py passes under pytest, default and tornado reactors.
        """
        for options in ((), ("--reactor=tornado",)):
            output = self._runModule(
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                *options,
                "test_hello_pytest.py",
            )
            self.assertIn("1 passed", output)

    def test_tacExample(self) -> None:
        """
        hello.tac serves its app under twistd; SIGTERM stops it cleanly.
        (Under C{twistd -y} twistd's own exit status applies: it ends by
        the signal that stopped it.  The C{twistd tornado} plugin exits 0
        after a clean graceful stop instead.)
        """
        child = Child(
            [binPath("twistd"), "-n", "--pidfile=", "-y", str(EXAMPLES / "hello.tac")]
        )
        url = child.readUntil("Tornado application serving on").split()[-1]
        with urllib.request.urlopen(url, timeout=30) as response:
            body = response.read()
        child.process.send_signal(signal.SIGTERM)
        code, output = child.finish()
        self.assertEqual(body, b"hello from a .tac file")
        self.assertEqual(code, -signal.SIGTERM, output)
        self.assertIn("Server Shut Down.", output)
