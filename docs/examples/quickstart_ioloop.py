"""Quickstart, direction 2: Tornado on Twisted's default reactor.

TwistedIOLoop puts Tornado on the reactor; a Tornado handler awaits a
Deferred; Tornado's HTTP client fetches the page, then the reactor stops.
"""

from twisted.internet import defer, reactor, task

import txtornado

txtornado.TwistedIOLoop().install()  # Tornado now runs on this reactor

import tornado.httpserver  # noqa: E402
import tornado.netutil  # noqa: E402
import tornado.web  # noqa: E402
from tornado.httpclient import AsyncHTTPClient  # noqa: E402


class Hello(tornado.web.RequestHandler):
    async def get(self):
        word = await task.deferLater(reactor, 0.01, lambda: "Deferred")  # Twisted
        self.write(f"Tornado awaited a {word} on {type(reactor).__name__}")


async def main():
    [sock] = tornado.netutil.bind_sockets(0, "127.0.0.1")  # a free port
    server = tornado.httpserver.HTTPServer(tornado.web.Application([(r"/", Hello)]))
    server.add_socket(sock)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    response = await AsyncHTTPClient().fetch(url)
    print(response.code, response.body.decode())
    server.stop()
    reactor.stop()


reactor.callWhenRunning(lambda: defer.ensureDeferred(main()))
reactor.run()
