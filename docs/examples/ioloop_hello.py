"""
TwistedIOLoop: Tornado on a Twisted reactor (here the default one, epoll).

Tornado 4's recipe: install the IOLoop, set up Tornado as usual, run the
reactor.  Twisted's HTTP client fetches the Tornado page.
"""

import tornado.httpserver
import tornado.netutil
import tornado.web
from twisted.internet import defer, reactor
from twisted.web.client import Agent, readBody

import txtornado

txtornado.TwistedIOLoop().install()


class Hello(tornado.web.RequestHandler):
    def get(self):
        self.write("Hello from Tornado on " + type(reactor).__name__)


sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
port = sockets[0].getsockname()[1]
server = tornado.httpserver.HTTPServer(tornado.web.Application([(r"/", Hello)]))
server.add_sockets(sockets)


async def main():
    response = await Agent(reactor).request(
        b"GET", f"http://127.0.0.1:{port}/".encode()
    )
    print((await readBody(response)).decode())
    server.stop()
    reactor.stop()


reactor.callWhenRunning(lambda: defer.ensureDeferred(main()))
reactor.run()
