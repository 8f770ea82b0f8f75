"""
What the GUI tests need: a toolkit's Python bindings, and a display.

A GUI test whose toolkit cannot be imported fails with how to install it
when C{TXTORNADO_REQUIRE_GUI=1} (as C{.ci/run} and tox set it), and is
skipped with that reason otherwise (a checkout installed without the
C{gui} extra).
"""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

from twisted.trial.unittest import SkipTest

REQUIRE_ENV = "TXTORNADO_REQUIRE_GUI"

#: module -> how to get it
_INSTALL = {
    "gi": "pip install -e '.[gui]' after bash .ci/system-deps (PyGObject)",
    "PyQt5": "pip install -e '.[gui]' (PyQt5)",
    "qt5reactor": "pip install -e '.[gui]' (qt5reactor)",
}


def requireModule(name: str) -> None:
    """
    Import C{name}, or fail (C{TXTORNADO_REQUIRE_GUI=1}) or skip the test,
    saying how to install it.
    """
    try:
        importlib.import_module(name)
    except ImportError as e:
        message = f"{name} cannot be imported ({e}): {_INSTALL.get(name, name)}"
        if os.environ.get(REQUIRE_ENV) == "1":
            raise AssertionError(message) from e
        raise SkipTest(message) from e


@contextmanager
def xvfb() -> Iterator[str]:
    """
    Run an Xvfb server on a free display for the block; yield its
    C{DISPLAY}.  Xvfb writes its display number to a pipe once it accepts
    connections (C{-displayfd}), so nothing waits by time.
    """
    path = shutil.which("Xvfb")
    if path is None:
        raise AssertionError("Xvfb is needed: bash .ci/system-deps (Debian's xvfb)")
    read, write = os.pipe()
    server = subprocess.Popen(
        [
            path,
            "-displayfd",
            str(write),
            "-screen",
            "0",
            "800x600x24",
            "-nolisten",
            "tcp",
        ],
        pass_fds=(write,),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    try:
        with os.fdopen(read) as pipe:
            number = pipe.readline().strip()
        if not number:
            raise AssertionError(f"Xvfb exited ({server.wait()}) before it served")
        yield f":{number}"
    finally:
        server.terminate()
        server.wait()
