"""
L{txtornado.pytest_plugin}, which pytest loads (entry point C{pytest11}) in
every session of an environment where txtornado is installed: it must cost
such a session nothing but itself, and still give C{--reactor=tornado}
whichever of it and pytest-twisted pytest loads first.  Each test runs
pytest in a child process, in a temporary directory.
"""

from __future__ import annotations

import json
from pathlib import Path

from twisted.trial.unittest import SynchronousTestCase

from txtornado.test._subprocess import runPytest

#: A test module that writes the names of the modules imported so far
#: (of txtornado, Tornado and Twisted) to C{modules.json}.
_RECORDING_TEST = """
import json, sys

def test_modules():
    names = sorted(
        m for m in sys.modules
        if m.split(".")[0] in ("txtornado", "tornado", "twisted")
    )
    with open("modules.json", "w") as f:
        json.dump(names, f)
"""

#: A test module that checks the reactor pytest-twisted installed.
_REACTOR_TEST = """
import pytest_twisted
from twisted.internet import task

@pytest_twisted.ensureDeferred
async def test_reactor():
    from twisted.internet import reactor
    assert type(reactor).__name__ == "TornadoReactor"
    await task.deferLater(reactor, 0.01, lambda: None)
"""

#: What importing the plugin may import of txtornado.
PLUGIN_MODULES = ["txtornado", "txtornado._version", "txtornado.pytest_plugin"]


class PluginImportTests(SynchronousTestCase):
    """
    The plugin imports nothing of txtornado (but itself and the package),
    Tornado or Twisted into a session that does not ask for them.
    """

    def pytest(self, test: str, *options: str) -> tuple[Path, str]:
        tmp = Path(self.mktemp())
        tmp.mkdir()
        result = runPytest(tmp, test, *options)
        output = result.stdout + result.stderr
        self.assertEqual(result.returncode, 0, output)
        self.assertIn("1 passed", output)
        return tmp, output

    def modules(self, *options: str) -> list[str]:
        """
        The txtornado, Tornado and Twisted modules imported by the time a
        test runs, in a pytest session with C{options}.
        """
        tmp, _ = self.pytest(_RECORDING_TEST, *options)
        names: list[str] = json.loads((tmp / "modules.json").read_text())
        return names

    def test_plain_session(self) -> None:
        """
        In a session without C{--reactor=tornado}, the plugin adds only
        itself and the package: no Tornado, and the same Twisted modules as
        without the plugin (those pytest-twisted imports).
        """
        without = self.modules("-p", "no:txtornado")
        self.assertEqual([m for m in without if not m.startswith("twisted")], [])
        self.assertIn("twisted.internet.defer", without)
        self.assertEqual(self.modules(), sorted(PLUGIN_MODULES + without))

    def test_without_pytest_twisted(self) -> None:
        """
        With pytest-twisted disabled, the plugin imports no Twisted either.
        """
        self.assertEqual(self.modules("-p", "no:twisted"), PLUGIN_MODULES)

    def test_reactor_option_imports_reactor(self) -> None:
        """
        C{--reactor=tornado} imports and installs the reactor.
        """
        names = self.modules("--reactor=tornado")
        self.assertIn("txtornado.reactor", names)
        self.assertIn("tornado.ioloop", names)


class ReactorOptionOrderTests(SynchronousTestCase):
    """
    C{--reactor=tornado} works whichever plugin pytest registers first
    (C{-p NAME} loads a plugin before the others).
    """

    def check(self, *options: str) -> None:
        tmp = Path(self.mktemp())
        tmp.mkdir()
        result = runPytest(tmp, _REACTOR_TEST, *options, "--reactor=tornado")
        output = result.stdout + result.stderr
        self.assertEqual(result.returncode, 0, output)
        self.assertIn("1 passed", output)

    def test_txtornado_first(self) -> None:
        """
        The plugin first: it registers the installer before pytest-twisted
        adds C{--reactor}.
        """
        self.check("-p", "txtornado")

    def test_pytest_twisted_first(self) -> None:
        """
        pytest-twisted first: the plugin adds the choice to its option.
        """
        self.check("-p", "twisted")
