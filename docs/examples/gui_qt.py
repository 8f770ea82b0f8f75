"""A Qt 5 window on qt5reactor, with Tornado on the same loop.

qt5reactor runs Twisted on Qt's event loop; TwistedIOLoop puts Tornado (and
asyncio) on that reactor.  A Tornado server on a free 127.0.0.1 port serves
a page and a websocket; the window shows the page, fetched with Tornado's
AsyncHTTPClient, and its button makes a websocket round trip.  One thread,
one loop.

    python gui_qt.py               # the window, until you close it
    python gui_qt.py SHOT.png      # click the button itself, save a
                                   # screenshot of the window, print, quit

With no display (a server, CI), run it with QT_QPA_PLATFORM=offscreen.
"""

import asyncio
import sys

from PyQt5.QtWidgets import QApplication, QLabel, QPushButton, QVBoxLayout, QWidget

app = QApplication(sys.argv[:1])  # before the reactor, which then uses it

import qt5reactor  # noqa: E402

qt5reactor.install()

from twisted.internet import reactor  # noqa: E402

import txtornado  # noqa: E402

txtornado.TwistedIOLoop().install()  # Tornado now runs on the Qt reactor

import tornado.httpserver  # noqa: E402
import tornado.netutil  # noqa: E402
import tornado.web  # noqa: E402
import tornado.websocket  # noqa: E402
from tornado.httpclient import AsyncHTTPClient  # noqa: E402


class Status(tornado.web.RequestHandler):
    def get(self):
        self.write(f"Tornado on {type(reactor).__name__} says hello")


class Echo(tornado.websocket.WebSocketHandler):
    def on_message(self, message):
        self.write_message(f"echo: {message}")


class Window(QWidget):
    def __init__(self, base, screenshot=None):
        super().__init__()
        self.setWindowTitle("txtornado on Qt")
        self.resize(360, 150)
        self.base, self.screenshot = base, screenshot
        self.page = QLabel("fetching ...")
        self.reply = QLabel("no websocket round trip yet")
        self.button = QPushButton("WebSocket round trip")
        self.button.clicked.connect(self.on_clicked)
        layout = QVBoxLayout(self)
        for widget in (self.page, self.button, self.reply):
            layout.addWidget(widget)

    def closeEvent(self, event):
        reactor.stop()

    async def fetch(self):
        print("before:", self.page.text(), "|", self.reply.text())
        response = await AsyncHTTPClient().fetch(self.base.format("http", "status"))
        self.page.setText(response.body.decode())
        if self.screenshot:
            self.button.click()  # as a click does

    def on_clicked(self):
        asyncio.get_running_loop().create_task(self.round_trip())  # asyncio code

    async def round_trip(self):
        url = self.base.format("ws", "echo")
        connection = await tornado.websocket.websocket_connect(url)
        await connection.write_message("ping")
        self.reply.setText(f"websocket: {await connection.read_message()}")
        connection.close()
        if self.screenshot:
            print("after:", self.page.text(), "|", self.reply.text())
            self.grab().save(self.screenshot)  # renders the window now
            self.close()


async def main():
    [sock] = tornado.netutil.bind_sockets(0, "127.0.0.1")  # a free port
    server = tornado.web.Application([(r"/status", Status), (r"/echo", Echo)])
    tornado.httpserver.HTTPServer(server).add_socket(sock)
    base = f"{{}}://127.0.0.1:{sock.getsockname()[1]}/{{}}"
    window = Window(base, sys.argv[1] if len(sys.argv) > 1 else None)
    window.show()
    await window.fetch()


reactor.callWhenRunning(lambda: asyncio.get_running_loop().create_task(main()))
reactor.run()
