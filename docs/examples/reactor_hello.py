"""
TornadoReactor: a Twisted program whose reactor is Tornado's IOLoop.

A twisted.web page and a Tornado page are served by one process, on one
loop; Tornado's HTTP client fetches both, then the reactor stops.
"""

import txtornado

reactor = txtornado.install()  # before anything imports twisted.internet.reactor

import tornado.httpserver  # noqa: E402
import tornado.netutil  # noqa: E402
import tornado.web  # noqa: E402
from tornado.httpclient import AsyncHTTPClient  # noqa: E402
from twisted.internet import defer  # noqa: E402
from twisted.web import resource, server  # noqa: E402


class TwistedPage(resource.Resource):
    isLeaf = True

    def render_GET(self, request):
        return b"twisted.web says hello"


class TornadoPage(tornado.web.RequestHandler):
    def get(self):
        self.write("tornado.web says hello")


twistedPort = reactor.listenTCP(0, server.Site(TwistedPage()), interface="127.0.0.1")
sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
tornadoPort = sockets[0].getsockname()[1]
tornadoServer = tornado.httpserver.HTTPServer(
    tornado.web.Application([(r"/", TornadoPage)])
)
tornadoServer.add_sockets(sockets)


async def main():
    client = AsyncHTTPClient()
    for port in (twistedPort.getHost().port, tornadoPort):
        response = await defer.Deferred.fromFuture(
            client.fetch(f"http://127.0.0.1:{port}/")
        )
        print(response.body.decode())
    tornadoServer.stop()
    reactor.stop()


reactor.callWhenRunning(lambda: defer.ensureDeferred(main()))
reactor.run()
