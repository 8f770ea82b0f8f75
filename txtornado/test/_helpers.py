"""
Helpers shared by txtornado's event loop and IOLoop tests: the reactors to
run every test on, and a way to make one test class per reactor that both
pytest and trial collect.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from twisted.internet.epollreactor import EPollReactor
from twisted.internet.pollreactor import PollReactor
from twisted.internet.selectreactor import SelectReactor
from twisted.trial.unittest import SynchronousTestCase

#: Reactor classes every test runs on; each test builds a new instance.
REACTORS: dict[str, Callable[[], Any]] = {
    "EPoll": EPollReactor,
    "Poll": PollReactor,
    "Select": SelectReactor,
}


def per_reactor(mixin: type, namespace: dict[str, Any], per_fd: bool = False) -> None:
    """
    Add to C{namespace} (a test module's globals) one
    C{SynchronousTestCase} subclass of C{mixin} per reactor in
    L{REACTORS}, named C{<mixin name without leading underscore><reactor>},
    with the reactor class as C{reactorFactory}.

    @param per_fd: also add, named C{...<reactor>PerFD}, one subclass per
        reactor with C{nestedSelector = False}: the mixin then tests
        L{TwistedEventLoop}'s per-descriptor mode.
    """
    base = mixin.__name__.lstrip("_")
    modes = [("", True), ("PerFD", False)] if per_fd else [("", True)]
    for name, factory in REACTORS.items():
        for suffix, nested in modes:
            cls_name = f"{base}{name}{suffix}"
            cls = type(
                cls_name,
                (mixin, SynchronousTestCase),
                {
                    "reactorFactory": staticmethod(factory),
                    "nestedSelector": nested,
                    "__module__": namespace["__name__"],
                },
            )
            namespace[cls_name] = cls


def open_fds() -> set[int]:
    """
    The file descriptors open in this process now.
    """
    return {int(fd) for fd in os.listdir("/proc/self/fd")}
