"""Quickstart, direction 1: a Twisted program on TornadoReactor.

Twisted runs the coroutine (ensureDeferred); it awaits Tornado's HTTP client
directly, against a Tornado app the same process serves on a free port.
"""

import txtornado

reactor = txtornado.install()  # before anything imports twisted.internet.reactor

import tornado.httpserver  # noqa: E402
import tornado.netutil  # noqa: E402
import tornado.web  # noqa: E402
from tornado.httpclient import AsyncHTTPClient  # noqa: E402
from twisted.internet import defer  # noqa: E402


class Hello(tornado.web.RequestHandler):
    def get(self):
        self.write("Hello from Tornado, fetched in a Twisted coroutine")


async def main():
    [sock] = tornado.netutil.bind_sockets(0, "127.0.0.1")  # a free port
    server = tornado.httpserver.HTTPServer(tornado.web.Application([(r"/", Hello)]))
    server.add_socket(sock)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    response = await AsyncHTTPClient().fetch(url)  # a Tornado future, awaited
    print(response.code, response.body.decode())
    server.stop()
    reactor.stop()


reactor.callWhenRunning(lambda: defer.ensureDeferred(main()))
reactor.run()
