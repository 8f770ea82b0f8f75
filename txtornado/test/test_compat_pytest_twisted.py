"""
The private pytest-twisted name that L{txtornado._compat.pytest_twisted}
relies on still exists with the parameters it assumes.
"""

from __future__ import annotations

import inspect

from twisted.trial.unittest import SynchronousTestCase


class PytestTwistedPrivateNamesTests(SynchronousTestCase):
    """
    The pytest-twisted names L{txtornado.pytest_plugin} uses.
    """

    def test_installers(self) -> None:
        """
        pytest-twisted keeps its reactor installers in a dict, and has the
        C{_install_reactor(reactor_installer, reactor_type)} helper that
        L{install_reactor} calls.
        """
        import pytest_twisted

        import txtornado.pytest_plugin  # noqa: F401  (registers "tornado")

        self.assertIsInstance(pytest_twisted.reactor_installers, dict)
        self.assertEqual(
            list(inspect.signature(pytest_twisted._install_reactor).parameters),
            ["reactor_installer", "reactor_type"],
        )
        self.assertIn("tornado", pytest_twisted.reactor_installers)
