# -*- test-case-name: txtornado.test.test_package -*-
"""
The package C{txtornado} (its C{__init__}): importing it, or the reactor
module that C{--reactor=tornado} imports, is light, and its lazily
imported names are the same for callers, C{__all__}/C{dir()} and type
checkers.
"""

from __future__ import annotations

import ast
import importlib
import json
from pathlib import Path

from twisted.trial.unittest import SynchronousTestCase

import txtornado
from txtornado.test._subprocess import runPython

#: Modules a plain C{import txtornado} or C{import txtornado.reactor} must not
#: load: TLS, HTTP and websocket machinery, and the twistd service.
HEAVY = (
    "txtornado.service",
    "txtornado.tls",
    "txtornado.endpoints",
    "txtornado.iostream",
    "tornado.websocket",
    "tornado.simple_httpclient",
)

#: What Twisted's own reactors load anyway (C{twisted.internet.tcp} imports
#: pyOpenSSL for C{startTLS}): not loaded by a plain C{import txtornado}.
TLS_LIBRARIES = ("OpenSSL", "cryptography", "service_identity")


def _loaded(code: str) -> list[str]:
    """
    Run C{code} in a child Python and return which of L{HEAVY} and
    L{TLS_LIBRARIES} it has loaded.
    """
    names = HEAVY + TLS_LIBRARIES
    result = runPython(
        f"import json, sys\n{code}\n"
        f"print(json.dumps([m for m in {names!r} if m in sys.modules]))"
    )
    if result.returncode != 0:
        raise AssertionError(result.stderr)
    loaded: list[str] = json.loads(result.stdout.splitlines()[-1])
    return loaded


class ImportTests(SynchronousTestCase):
    """
    What importing the package and its reactor module loads.
    """

    def test_package(self) -> None:
        """
        C{import txtornado} loads neither TLS nor HTTP machinery, nor
        pyOpenSSL or cryptography.
        """
        self.assertEqual(_loaded("import txtornado"), [])

    def test_reactor(self) -> None:
        """
        C{import txtornado.reactor} (what C{--reactor=tornado} does) loads
        none of L{HEAVY}, and of the TLS libraries only what Twisted's
        asyncio reactor loads too.
        """
        baseline = _loaded("import twisted.internet.asyncioreactor, tornado.ioloop")
        loaded = _loaded("import txtornado.reactor")
        self.assertEqual([m for m in loaded if m in HEAVY], [])
        self.assertEqual(
            [m for m in loaded if m not in HEAVY],
            [m for m in baseline if m not in HEAVY],
        )

    def test_lazy_name(self) -> None:
        """
        A lazy name is imported on first use, from its module, and only
        that module's dependencies are loaded.
        """
        loaded = _loaded(
            "import txtornado, txtornado.futures\n"
            "assert txtornado.to_asyncio_future is "
            "txtornado.futures.to_asyncio_future"
        )
        self.assertEqual([m for m in loaded if m in HEAVY], [])


def _type_checking_imports() -> dict[str, str]:
    """
    The names C{txtornado/__init__.py} imports under C{if TYPE_CHECKING:},
    and the modules they come from.
    """
    tree = ast.parse(Path(txtornado.__file__).read_text())
    imported: dict[str, str] = {}
    for node in tree.body:
        if (
            isinstance(node, ast.If)
            and isinstance(node.test, ast.Name)
            and node.test.id == "TYPE_CHECKING"
        ):
            for stmt in node.body:
                assert isinstance(stmt, ast.ImportFrom) and stmt.module
                for alias in stmt.names:
                    imported[alias.asname or alias.name] = stmt.module
    return imported


class LazyNamesTests(SynchronousTestCase):
    """
    The lazy-import table, C{__all__}, C{dir()} and the C{TYPE_CHECKING}
    imports agree.
    """

    def test_all(self) -> None:
        """
        C{__all__} is every lazy name, and C{__version__}.
        """
        lazy = txtornado._LAZY  # type: ignore[attr-defined]
        self.assertEqual(sorted(txtornado.__all__), sorted([*lazy, "__version__"]))

    def test_type_checking(self) -> None:
        """
        Type checkers see every lazy name, imported from the module the
        table names (so mypy sees C{txtornado.listen} as the function).
        """
        self.assertEqual(_type_checking_imports(), txtornado._LAZY)  # type: ignore[attr-defined]

    def test_dir(self) -> None:
        """
        C{dir(txtornado)} lists every lazy name, and each resolves to its
        module's object.
        """
        names = dir(txtornado)
        for name, module in txtornado._LAZY.items():  # type: ignore[attr-defined]
            self.assertIn(name, names)
            self.assertIs(
                getattr(txtornado, name),
                getattr(importlib.import_module(module), name),
            )
