"""
The page a browser loads in C{test_browser}: it opens a websocket to the
same host (C{wss://} over HTTPS), sends a message, writes the echo into the
page, and tells the server so; the page's C{load} event waits for an image
(C{/wait}) that the server sends only then, so that a browser dumping the
DOM after C{load} (C{chromium --dump-dom}) shows the echo.
"""

from __future__ import annotations

import datetime
from typing import Any

import tornado.web
import tornado.websocket
from tornado.locks import Event

PAGE = """<!DOCTYPE html>
<html><head><title>txtornado TLS</title></head><body>
<p id="page">page over <span id="scheme"></span></p>
<p id="out">no websocket echo</p>
<script>
document.getElementById("scheme").textContent = location.protocol;
var ws = new WebSocket("wss://" + location.host + "/ws");
ws.onopen = function () { ws.send("ping from the browser"); };
ws.onmessage = function (event) {
  document.getElementById("out").textContent = event.data;
  ws.send("written");
};
ws.onerror = function () {
  document.getElementById("out").textContent = "websocket error";
};
</script>
<img src="/wait" alt="">
</body></html>
"""


class Page(tornado.web.RequestHandler):
    def get(self) -> None:
        self.write(PAGE)


class Wait(tornado.web.RequestHandler):
    """
    Answers (204) once the page has written the echo, or after 30 s.
    """

    async def get(self) -> None:
        written: Event = self.settings["written"]
        try:
            await written.wait(timeout=datetime.timedelta(seconds=30))
        except TimeoutError:
            pass
        self.set_status(204)


class Echo(tornado.websocket.WebSocketHandler):
    def on_message(self, message: Any) -> None:
        if message == "written":
            self.settings["written"].set()
        else:
            self.write_message(f"echo over {self.request.protocol}: {message}")


def make_app() -> tornado.web.Application:
    return tornado.web.Application(
        [(r"/", Page), (r"/wait", Wait), (r"/ws", Echo)], written=Event()
    )
