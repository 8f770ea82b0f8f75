"""
Driving mode on the GUI reactors: Tornado's IOLoop.run_sync (like asyncio's
run_until_complete) runs the toolkit's own main loop until its coroutine is
done, without reactor.run(): GLib's main loop on Twisted's GIReactor, a
QEventLoop on qt5reactor's QtReactor.  Each run serves a page with Tornado
and fetches it with Tornado's AsyncHTTPClient, in one thread.

No display is needed (GLib's main loop, Qt's QCoreApplication).
"""

import tornado.httpserver
import tornado.netutil
import tornado.web
from PyQt5.QtCore import QCoreApplication
from tornado.httpclient import AsyncHTTPClient
from twisted.internet.gireactor import GIReactor

import txtornado

# Before the QtReactor, which uses the application it finds.
application = QCoreApplication([])

from qt5reactor.core import QtReactor  # noqa: E402


class Hello(tornado.web.RequestHandler):
    def get(self):
        self.write("hello from Tornado")


async def serve_and_fetch():
    sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
    server = tornado.httpserver.HTTPServer(tornado.web.Application([(r"/", Hello)]))
    server.add_sockets(sockets)
    port = sockets[0].getsockname()[1]
    response = await AsyncHTTPClient().fetch(f"http://127.0.0.1:{port}/")
    server.stop()
    return response.body.decode()


for reactor in (GIReactor(), QtReactor()):
    io_loop = txtornado.TwistedIOLoop(reactor=reactor)
    print(f"{type(reactor).__name__}: {io_loop.run_sync(serve_and_fetch)}")
    io_loop.close(all_fds=True)
