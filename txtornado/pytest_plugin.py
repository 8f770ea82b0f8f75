# -*- test-case-name: txtornado.test.test_pytest_plugin -*-
"""
pytest plugin (entry point C{pytest11}): adds C{tornado} to pytest-twisted's
C{--reactor} choices, so C{pytest --reactor=tornado} runs the tests on a
L{TornadoReactor<txtornado.reactor.TornadoReactor>}.

pytest-twisted has no hook for third-party reactors: it keeps a module-level
C{reactor_installers} mapping and turns its keys into the option's choices.
This plugin adds its entry to that mapping when its C{pytest_addoption}
runs and, if pytest-twisted registered its option first, to the option's
choices too; the installer calls pytest-twisted's private helper through
L{txtornado._compat.pytest_twisted}.  C{txtornado.test.test_install} runs
pytest in a subprocess to check that the whole path still works.

It also provides the C{tornado_server} fixture; see L{tornado_server}.

pytest imports this module in every session of every environment where
txtornado is installed, so importing it imports nothing of txtornado but
the package's (lazy) C{__init__}, nor Tornado nor Twisted: the reactor is
imported when C{--reactor=tornado} installs it, the test helpers when a
test uses C{tornado_server}.  pytest-twisted is imported, as pytest would
import it anyway, unless it is disabled (C{-p no:twisted}).
C{txtornado.test.test_pytest_plugin} checks it in a subprocess.
"""

from __future__ import annotations

from typing import Any

import pytest

REACTOR_NAME = "tornado"

#: pytest-twisted's name as a pytest plugin (its C{pytest11} entry point)
PYTEST_TWISTED = "twisted"


def _install_tornado_reactor() -> None:
    """
    pytest-twisted's installer for C{--reactor=tornado}.
    """
    from txtornado._compat.pytest_twisted import install_reactor
    from txtornado.reactor import TornadoReactor, install

    install_reactor(install, TornadoReactor)


def _register() -> bool:
    """
    Add C{tornado} to pytest-twisted's reactor installers; C{False} if
    pytest-twisted is not installed.
    """
    try:
        import pytest_twisted
    except ImportError:  # pytest-twisted not installed: nothing to extend
        return False
    pytest_twisted.reactor_installers.setdefault(REACTOR_NAME, _install_tornado_reactor)
    return True


def pytest_addoption(parser: Any, pluginmanager: Any) -> None:
    """
    Make C{--reactor} accept C{tornado}: register the installer (before
    pytest-twisted adds its option, if it comes after this plugin), and
    add the choice to the option if pytest-twisted added it before.
    Nothing if pytest-twisted is missing or disabled.
    """
    if pluginmanager.is_blocked(PYTEST_TWISTED) or not _register():
        return
    for option in parser.getgroup("twisted").options:
        if "--reactor" in option.names():
            attrs = option.attrs()
            choices = tuple(attrs.get("choices") or ())
            if REACTOR_NAME not in choices:
                attrs["choices"] = (*choices, REACTOR_NAME)


@pytest.fixture
def tornado_server(request: Any) -> Any:
    """
    Serve the C{tornado_app} fixture (which the test module or a
    C{conftest.py} defines, returning a C{tornado.web.Application}) on a
    free port of 127.0.0.1 for one test, with pytest-twisted's reactor, and
    yield the L{ServedApp<txtornado.testing.ServedApp>}: C{url(path)},
    and C{fetch(path, **kwargs)} returning a Deferred (C{await} it in a
    C{@pytest_twisted.ensureDeferred} test).  Works with
    C{--reactor=tornado} and with the default reactor.
    """
    import pytest_twisted

    from txtornado.testing import ServedApp

    served = ServedApp(request.getfixturevalue("tornado_app"))
    pytest_twisted.blockon(served.start())
    yield served
    pytest_twisted.blockon(served.stop())
