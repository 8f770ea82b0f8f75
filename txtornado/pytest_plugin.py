"""
pytest plugin (entry point C{pytest11}): adds C{tornado} to pytest-twisted's
C{--reactor} choices, so C{pytest --reactor=tornado} runs the tests on a
L{TornadoReactor<txtornado.reactor.TornadoReactor>}.

pytest-twisted has no hook for third-party reactors: it keeps a module-level
C{reactor_installers} mapping and turns its keys into the option's choices.
This plugin adds its entry to that mapping when it is imported and, if
pytest-twisted registered its option first, to the option's choices too.
Both are the one place txtornado relies on pytest-twisted internals;
C{txtornado.test.test_install} runs pytest in a subprocess to check that
the whole path still works.

It also provides the C{tornado_server} fixture; see L{tornado_server}.
"""

from __future__ import annotations

from typing import Any

import pytest

REACTOR_NAME = "tornado"


def _installTornadoReactor() -> None:
    """
    pytest-twisted's installer for C{--reactor=tornado}.
    """
    import pytest_twisted

    from txtornado.reactor import TornadoReactor, install

    # A private helper of pytest-twisted: installs, checks the type of an
    # already installed reactor, and starts the reactor greenlet.
    pytest_twisted._install_reactor(
        reactor_installer=install, reactor_type=TornadoReactor
    )


def _register() -> None:
    try:
        import pytest_twisted
    except ImportError:  # pytest-twisted not installed: nothing to extend
        return
    pytest_twisted.reactor_installers.setdefault(REACTOR_NAME, _installTornadoReactor)


_register()


def pytest_addoption(parser: Any) -> None:
    """
    Make sure C{--reactor} accepts C{tornado} even when pytest-twisted
    added the option before this plugin was imported.
    """
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
