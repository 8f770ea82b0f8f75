"""A GTK 3 window on Twisted's GLib reactor, with Tornado on the same loop.

gireactor runs Twisted on GLib's main loop, the loop GTK draws with;
TwistedIOLoop puts Tornado (and asyncio) on that reactor.  A Tornado server
on a free 127.0.0.1 port serves a page and a websocket; the window shows
the page, fetched with Tornado's AsyncHTTPClient once the window is first
drawn, and its button makes a websocket round trip.  One thread, one loop.

    python gui_gtk.py              # the window, until you close it
    python gui_gtk.py SHOT.png     # click the button itself, save a
                                   # screenshot of the window, print, quit
"""

import asyncio
import sys

from twisted.internet import gireactor

gireactor.install()  # before anything imports twisted.internet.reactor

import gi  # noqa: E402

gi.require_version("Gdk", "3.0")
gi.require_version("Gtk", "3.0")
from gi.repository import Gdk, GLib, Gtk  # noqa: E402
from twisted.internet import reactor  # noqa: E402

import txtornado  # noqa: E402

txtornado.TwistedIOLoop().install()  # Tornado now runs on the GLib reactor

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


class Window(Gtk.Window):
    def __init__(self, base, screenshot=None):
        super().__init__(title="txtornado on GTK")
        self.set_default_size(360, 150)
        self.base, self.screenshot = base, screenshot
        self.page = Gtk.Label(label="fetching ...")
        self.reply = Gtk.Label(label="no websocket round trip yet")
        self.button = Gtk.Button(label="WebSocket round trip")
        self.button.connect("clicked", self.on_clicked)
        box = Gtk.Box(orientation=Gtk.Orientation.VERTICAL, spacing=12)
        box.set_border_width(16)
        for widget in (self.page, self.button, self.reply):
            box.pack_start(widget, True, True, 0)
        self.add(box)
        self.connect("destroy", lambda window: reactor.stop())
        self.first_draw = self.connect_after("draw", self.on_first_draw)

    def on_first_draw(self, window, cairo):
        self.disconnect(self.first_draw)
        print("before:", self.page.get_text(), "|", self.reply.get_text())
        asyncio.get_running_loop().create_task(self.fetch())  # asyncio code

    async def fetch(self):
        response = await AsyncHTTPClient().fetch(self.base.format("http", "status"))
        self.page.set_text(response.body.decode())
        if self.screenshot:
            self.button.clicked()  # as a click does

    def on_clicked(self, button):
        asyncio.get_running_loop().create_task(self.round_trip())

    async def round_trip(self):
        url = self.base.format("ws", "echo")
        connection = await tornado.websocket.websocket_connect(url)
        await connection.write_message("ping")
        self.reply.set_text(f"websocket: {await connection.read_message()}")
        connection.close()
        if self.screenshot:
            # once the new text is drawn, and GTK's frame is done
            handler = self.connect_after("draw", lambda *args: GLib.idle_add(done))

            def done():
                self.disconnect(handler)
                try:
                    self.save_screenshot()
                finally:
                    self.destroy()
                return False

    def save_screenshot(self):
        print("after:", self.page.get_text(), "|", self.reply.get_text())
        window = self.get_window()
        window.get_display().sync()
        shot = Gdk.pixbuf_get_from_window(
            window, 0, 0, window.get_width(), window.get_height()
        )
        shot.savev(self.screenshot, "png", [], [])


def main():
    [sock] = tornado.netutil.bind_sockets(0, "127.0.0.1")  # a free port
    app = tornado.web.Application([(r"/status", Status), (r"/echo", Echo)])
    tornado.httpserver.HTTPServer(app).add_socket(sock)
    base = f"{{}}://127.0.0.1:{sock.getsockname()[1]}/{{}}"
    Window(base, sys.argv[1] if len(sys.argv) > 1 else None).show_all()


reactor.callWhenRunning(main)
reactor.run()
