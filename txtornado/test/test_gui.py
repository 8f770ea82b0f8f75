"""
The GUI examples in C{docs/examples/}: C{gui_driving.py} drives both GUI
reactors (no window), and two open real windows: C{gui_gtk.py} on
Twisted's GLib reactor under Xvfb, C{gui_qt.py} on qt5reactor on Qt's
offscreen platform.  Each shows a page fetched with Tornado's
AsyncHTTPClient from its own local server, clicks its button for a
websocket round trip, reads its labels through the toolkit (they print
what C{label.get_text()}/C{text()} say before and after: their C{.out}
files) and saves a screenshot of its window (GDK's
C{pixbuf_get_from_window}, which reads the X server's pixels; Qt's
C{QWidget.grab}).  The test checks the output, the screenshot's size, that
it is not blank, and copies it to C{docs/_static/} when asked to
(C{TXTORNADO_UPDATE_SCREENSHOTS=1}), for the docs page.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

from twisted.trial.unittest import SynchronousTestCase

from txtornado.test._gui import requireModule, xvfb
from txtornado.test._subprocess import ROOT, childEnv

EXAMPLES = ROOT / "docs" / "examples"
STATIC = ROOT / "docs" / "_static"


def _readPNG(data: bytes) -> tuple[int, int, bytes]:
    """
    A PNG's width, height and decompressed image data (filter bytes
    included): enough to tell a drawn window from a blank one.
    """
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    offset, width, height, compressed = 8, 0, 0, b""
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            compressed += body
        offset += 12 + length
    return width, height, zlib.decompress(compressed)


def _checkExample(
    case: SynchronousTestCase, name: str, args: list[str], env: dict[str, str]
) -> None:
    """
    Run C{docs/examples/NAME.py ARGS} in a child process with C{ENV} added
    to the test environment; fail C{case} unless it exits 0, prints exactly
    its C{NAME.out} file and logs no traceback or unhandled error.
    """
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**childEnv(), **env},
        cwd=EXAMPLES,
        stdin=subprocess.DEVNULL,
    )
    case.assertEqual(result.returncode, 0, result.stderr)
    case.assertEqual(result.stdout, (EXAMPLES / f"{name}.out").read_text())
    case.assertNotIn("Traceback", result.stderr)
    case.assertNotIn("Unhandled", result.stderr)


class WindowTests(SynchronousTestCase):
    """
    The GTK and Qt windows of the GUI docs examples.
    """

    def _runExample(self, name: str, env: dict[str, str]) -> Path:
        """
        Run C{docs/examples/NAME.py SHOT.png} and check it (see
        L{_checkExample}); return the screenshot's path, copied to
        C{docs/_static/} when C{TXTORNADO_UPDATE_SCREENSHOTS=1}.
        """
        shot = Path(self.mktemp() + ".png").resolve()
        shot.parent.mkdir(parents=True, exist_ok=True)
        _checkExample(self, name, [str(shot)], env)
        if os.environ.get("TXTORNADO_UPDATE_SCREENSHOTS") == "1":
            shutil.copyfile(shot, STATIC / f"{name}.png")
        return shot

    def _checkScreenshot(self, shot: Path) -> None:
        """
        The screenshot is a PNG of the window's size (360x150 asked for),
        with more than a background colour in it.
        """
        width, height, pixels = _readPNG(shot.read_bytes())
        self.assertGreaterEqual((width, height), (300, 100))
        self.assertGreater(len(set(pixels)), 16, "the screenshot is blank")

    def test_gtkWindow(self) -> None:
        """
        gui_gtk.py under Xvfb: its labels change from "fetching" to the
        page's text, and from "no round trip" to the websocket's echo.
        """
        requireModule("gi")
        with xvfb() as display:
            shot = self._runExample("gui_gtk", {"DISPLAY": display})
        self._checkScreenshot(shot)

    def test_qtWindow(self) -> None:
        """
        gui_qt.py on Qt's offscreen platform: the same, on qt5reactor.
        """
        requireModule("PyQt5")
        requireModule("qt5reactor")
        shot = self._runExample("gui_qt", {"QT_QPA_PLATFORM": "offscreen"})
        self._checkScreenshot(shot)


class DrivingExampleTests(SynchronousTestCase):
    """
    The GUI page's driving-mode example.
    """

    def test_drivingExample(self) -> None:
        """
        gui_driving.py: C{IOLoop.run_sync} on a GIReactor and on a QtReactor
        serves and fetches a Tornado page, and logs no error.
        """
        requireModule("gi")
        requireModule("PyQt5")
        requireModule("qt5reactor")
        _checkExample(self, "gui_driving", [], {})
