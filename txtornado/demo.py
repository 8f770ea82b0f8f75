"""
The txtornado demo: a Tornado application and a twisted.web site served by
one process, on one loop, in one thread.

    python -m txtornado.demo [--port 8888] [--twisted-port 8889] [--interface 127.0.0.1]

The Tornado page at C{/} awaits a Deferred-returning Twisted API (a
twisted.web C{Agent} request to the Twisted site) and shows what came back;
the Twisted site at C{/} answers from twisted.web.  Ctrl-C or SIGTERM stops
the reactor, which runs its shutdown triggers and exits 0.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def _parseArgs(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m txtornado.demo", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--interface", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8888, help="Tornado app port")
    parser.add_argument(
        "--twisted-port", type=int, default=8889, help="twisted.web site port"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """
    Install TornadoReactor, serve both sites and run until stopped.
    """
    args = _parseArgs(argv)

    import txtornado

    reactor = txtornado.install()

    import warnings

    import tornado.httpserver
    import tornado.netutil
    import tornado.web
    from twisted.internet import defer
    from twisted.web import client, resource, server

    class TwistedHello(resource.Resource):
        isLeaf = True

        def render_GET(self, request: Any) -> bytes:
            return b"Hello from twisted.web"

    # Twisted's readBody warns about its own HTTP/1.1 client transport on
    # every reactor (epoll too); it is not about this demo.
    warnings.filterwarnings(
        "ignore", "Using readBody with a transport", DeprecationWarning
    )
    site = server.Site(TwistedHello())  # type: ignore[no-untyped-call]
    twistedPort = reactor.listenTCP(  # type: ignore[no-untyped-call]
        args.twisted_port, site, interface=args.interface
    )
    twistedURL = f"http://{args.interface}:{twistedPort.getHost().port}/"
    agent = client.Agent(reactor)

    async def askTwisted() -> bytes:
        response = await agent.request(b"GET", twistedURL.encode("ascii"))
        body: bytes = await client.readBody(response)
        return body

    class TornadoHello(tornado.web.RequestHandler):
        async def get(self) -> None:
            # A Deferred-returning Twisted API, awaited from a Tornado
            # handler: the coroutine runs as a Deferred and comes back to
            # the handler as an asyncio future on the same loop.
            d = defer.ensureDeferred(askTwisted())
            body = await d.asFuture(reactor.io_loop.asyncio_loop)  # type: ignore[attr-defined]
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.write(
                "<h1>Hello from Tornado</h1>"
                f"<p>Twisted said: <b>{body.decode()}</b> "
                f"(from <a href='{twistedURL}'>{twistedURL}</a>)</p>"
                f"<p>Reactor: {type(reactor).__name__}</p>"
            )

    app = tornado.web.Application([(r"/", TornadoHello)])
    httpServer = tornado.httpserver.HTTPServer(app)
    sockets = tornado.netutil.bind_sockets(args.port, address=args.interface)
    httpServer.add_sockets(sockets)
    tornadoURL = f"http://{args.interface}:{sockets[0].getsockname()[1]}/"

    def closeTornado() -> None:
        httpServer.stop()

    reactor.addSystemEventTrigger("before", "shutdown", closeTornado)
    reactor.callWhenRunning(
        lambda: print(
            f"txtornado demo running on {type(reactor).__name__}\n"
            f"  Tornado app:    {tornadoURL}\n"
            f"  twisted.web:    {twistedURL}\n"
            "Press Ctrl-C to stop.",
            flush=True,
        )
    )
    reactor.run()
    print("txtornado demo stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
