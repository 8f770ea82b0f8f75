"""
The Twisted reactors the conformance runners put loops on, by configuration
name, shared by C{tornado_suite.py} and C{cpython_asyncio_suite.py} (run as
scripts, so this directory is first on C{sys.path}).
"""

from __future__ import annotations

from typing import Any

#: Configuration name -> (module, reactor class name).  C{gi} and C{qt}
#: are Twisted's GUI reactors (the C{gui} extra): GLib's and Qt's.
REACTORS: dict[str, tuple[str, str]] = {
    "epoll": ("twisted.internet.epollreactor", "EPollReactor"),
    "poll": ("twisted.internet.pollreactor", "PollReactor"),
    "select": ("twisted.internet.selectreactor", "SelectReactor"),
    "gi": ("twisted.internet.gireactor", "GIReactor"),
    "qt": ("qt5reactor.core", "QtReactor"),
}

#: The worker's Qt application (C{qt}), kept for the worker's life.
_qt_application: Any = None


def make_qt_application() -> None:
    """
    Make the C{QCoreApplication} every C{QtReactor} of the C{qt}
    configuration uses, in the main thread (a C{QtReactor} made first in
    another thread would make it there).
    """
    global _qt_application
    from PyQt5.QtCore import QCoreApplication

    _qt_application = QCoreApplication.instance() or QCoreApplication([])
