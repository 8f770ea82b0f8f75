"""
Full-page screenshots of the built docs, one PNG per page, to look at.

    .venv/bin/sphinx-build -W -q -b html docs docs/_build/html
    .venv/bin/python docs/_tools/screenshots.py docs/_build/html /tmp/shots

Each page is loaded in headless Chromium (the Debian package that
.ci/system-deps installs) at a window width of 1280 px and captured whole,
through Chromium's DevTools protocol with Tornado's websocket client.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import itertools
import json
import shutil
import socket
import subprocess
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

from tornado.websocket import WebSocketClientConnection, websocket_connect

WIDTH = 1280


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class DevTools:
    """
    One Chromium page driven through the DevTools protocol.
    """

    def __init__(self, connection: WebSocketClientConnection) -> None:
        self._connection = connection
        self._ids = itertools.count(1)

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        """
        Send one command and return its result, skipping the events between.
        """
        number = next(self._ids)
        message = {"id": number, "method": method, "params": params}
        await self._connection.write_message(json.dumps(message))
        while True:
            raw = await self._connection.read_message()
            if raw is None:
                raise ConnectionError("Chromium closed the DevTools connection")
            reply = json.loads(raw)
            if reply.get("id") == number:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply["result"]
                return result

    async def screenshot(self, url: str) -> bytes:
        """
        Load C{url} and return a PNG of the whole page.
        """
        await self.call("Page.navigate", url=url)
        while True:
            state = await self.call(
                "Runtime.evaluate", expression="document.readyState"
            )
            if state["result"]["value"] == "complete":
                break
            await asyncio.sleep(0.05)
        metrics = await self.call("Page.getLayoutMetrics")
        height = int(metrics["cssContentSize"]["height"])
        shot = await self.call(
            "Page.captureScreenshot",
            format="png",
            captureBeyondViewport=True,
            clip={"x": 0, "y": 0, "width": WIDTH, "height": height, "scale": 1},
        )
        return base64.b64decode(shot["data"])


async def shoot(html: Path, out: Path) -> None:
    """
    Write C{out}/PAGE.png for every page under C{html}.
    """
    out.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    profile = tempfile.mkdtemp(prefix="txt-chromium-")
    browser = subprocess.Popen(
        [
            shutil.which("chromium") or "chromium",
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            f"--user-data-dir={profile}",
            f"--remote-debugging-port={port}",
            f"--window-size={WIDTH},1000",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json") as reply:
                    targets = json.load(reply)
                break
            except OSError:
                await asyncio.sleep(0.05)
        else:
            raise RuntimeError("Chromium's DevTools did not start")
        page = next(t for t in targets if t["type"] == "page")
        connection = await websocket_connect(
            page["webSocketDebuggerUrl"], max_message_size=1 << 30
        )
        tools = DevTools(connection)
        await tools.call("Page.enable")
        await tools.call(
            "Emulation.setDeviceMetricsOverride",
            width=WIDTH,
            height=1000,
            deviceScaleFactor=1,
            mobile=False,
        )
        for source in sorted(html.rglob("*.html")):
            if "_static" in source.parts or "_modules" in source.parts:
                continue
            name = "_".join(source.relative_to(html).with_suffix("").parts)
            target = out / f"{name}.png"
            target.write_bytes(await tools.screenshot(source.resolve().as_uri()))
            print(target)
        connection.close()
    finally:
        browser.terminate()
        browser.wait()
        shutil.rmtree(profile, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].strip())
    parser.add_argument("html", type=Path, help="the built HTML docs")
    parser.add_argument("out", type=Path, help="where the PNGs go")
    arguments = parser.parse_args()
    asyncio.run(shoot(arguments.html, arguments.out))


if __name__ == "__main__":
    main()
