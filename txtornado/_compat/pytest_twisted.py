# -*- test-case-name: txtornado.test.test_compat_pytest_twisted -*-
"""
The one place where txtornado touches pytest-twisted names that are not
public API.

pytest-twisted has no hook for third-party reactors: it keeps a
module-level C{reactor_installers} mapping (public) and turns its keys into
C{--reactor}'s choices, and its installers call its private
C{_install_reactor}, which installs a reactor, checks the type of one
already installed and starts the greenlet pytest-twisted runs it in.
C{txtornado.test.test_compat_pytest_twisted} fails if that changes.

Importing this module imports nothing; pytest-twisted is imported when
L{install_reactor} runs.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["install_reactor"]


def install_reactor(installer: Callable[[], object], reactor_type: type) -> None:
    """
    Install a reactor for pytest-twisted as its own installers do:
    C{installer()} installs it unless a reactor is installed already, which
    must then be a C{reactor_type}; then start the reactor's greenlet.
    """
    import pytest_twisted

    pytest_twisted._install_reactor(
        reactor_installer=installer, reactor_type=reactor_type
    )
