# -*- test-case-name: txtornado.test.test_install,txtornado.test.test_twistd -*-
"""
The txtornado demo: Tornado and Twisted in one process, on one loop.

    twistd -n tornado --app txtornado.demo:make_app
    twistd -n --reactor=tornado tornado --app txtornado.demo:make_app

or, with the README's first command, C{python -m txtornado.demo}, which
runs exactly that and prints the URL to open.

The Tornado application serves:

  - C{/}: a page whose handler awaits a Deferred-returning Twisted API (a
    twisted.web C{Agent} request to the Twisted site below);
  - C{/ws}: a websocket that echoes messages, stamped by a Twisted timer;

and the factory starts a twisted.web site on a second endpoint
(C{--setting twisted_endpoint=tcp:8889:interface=127.0.0.1}).
"""

from __future__ import annotations

import os
import sys
from typing import Any

import tornado.web
import tornado.websocket
from twisted.internet import task
from twisted.web import client, resource, server

_PAGE = """<!doctype html>
<title>txtornado demo</title>
<h1>Hello from Tornado</h1>
<p>Twisted said: <b>{said}</b> (from <a href="{twisted_url}">{twisted_url}</a>)</p>
<p>Reactor: {reactor}</p>
<p>Websocket: <input id="msg" value="hello"> <button id="send">send</button></p>
<pre id="log"></pre>
<script>
const ws = new WebSocket(location.href.replace(/^http/, "ws") + "ws");
const log = (t) => document.getElementById("log").textContent += t + "\\n";
ws.onmessage = (e) => log(e.data);
document.getElementById("send").onclick = () => ws.send(document.getElementById("msg").value);
</script>
"""


class TwistedHello(resource.Resource):
    """
    The twisted.web side: one page.
    """

    isLeaf = True

    def render_GET(self, request: Any) -> bytes:
        return b"Hello from twisted.web"


class MainPage(tornado.web.RequestHandler):
    """
    A Tornado handler awaiting a Deferred-returning Twisted API.
    """

    def initialize(self, reactor: Any, twisted_url: str) -> None:
        self.reactor = reactor
        self.twisted_url = twisted_url

    async def get(self) -> None:
        # Deferred-returning Twisted APIs, awaited as they are.
        agent = client.Agent(self.reactor)
        response = await agent.request(b"GET", self.twisted_url.encode("ascii"))
        body = await client.readBody(response)
        self.write(
            _PAGE.format(
                said=tornado.escape.xhtml_escape(body.decode()),
                twisted_url=self.twisted_url,
                reactor=type(self.reactor).__name__,
            )
        )


class Echo(tornado.websocket.WebSocketHandler):
    """
    A websocket echoing each message after a Twisted C{deferLater}.
    """

    def initialize(self, reactor: Any) -> None:
        self.reactor = reactor

    async def on_message(self, message: str | bytes) -> None:
        stamp = await task.deferLater(self.reactor, 0.01, self.reactor.seconds)
        await self.write_message(f"echo {message!s} at {stamp:.3f}")


def make_app(
    twisted_endpoint: str = "tcp:8889:interface=127.0.0.1",
) -> tornado.web.Application:
    """
    Start the twisted.web site on C{twisted_endpoint} and return the
    Tornado application.  Called by C{twistd tornado} in the running
    reactor.
    """
    import warnings

    from twisted.internet import endpoints, reactor

    # Twisted's readBody warns about its own HTTP/1.1 client transport on
    # every reactor (epoll too); it is not about this demo.
    warnings.filterwarnings(
        "ignore", "Using readBody with a transport", DeprecationWarning
    )

    site = server.Site(TwistedHello())  # type: ignore[no-untyped-call]
    endpoint = endpoints.serverFromString(reactor, twisted_endpoint)
    port = endpoint.listen(site)
    twisted_url: list[str] = []
    port.addCallback(
        lambda p: twisted_url.append(f"http://{p.getHost().host}:{p.getHost().port}/")
    )
    port.addCallback(
        lambda _: print(f"twisted.web site on {twisted_url[0]}", flush=True)
    )
    # Endpoints of Twisted's own kinds listen synchronously.
    assert twisted_url, "the twisted.web endpoint did not listen at once"
    return tornado.web.Application(
        [
            (r"/", MainPage, {"reactor": reactor, "twisted_url": twisted_url[0]}),
            (r"/ws", Echo, {"reactor": reactor}),
        ]
    )


_USAGE = """\
usage: python -m txtornado.demo [--port PORT] [--reactor=NAME] [twistd options]
       python -m txtornado.demo [twistd options] tornado [twistd tornado options]

Run the txtornado demo under twistd, in this process: a Tornado page that
awaits a twisted.web site, and a websocket stamped by a Twisted timer.

  --port PORT      the Tornado page's port on 127.0.0.1 (default 8888; when
                   8888 is busy, as with Jupyter running, a free port is
                   taken and said so); the twisted.web site takes 8889, or
                   a free port when 8889 is busy
  --reactor=NAME   twistd's reactor, e.g. --reactor=tornado (Twisted on
                   Tornado's IOLoop); the default runs Tornado on Twisted's
  -h, --help       this help

Other options go to twistd (see twistd --help).  With a `tornado` argument
the command line is twistd's as given (see twistd tornado --help).
"""

_DEFAULT_PORT = 8888
_DEFAULT_TWISTED_PORT = 8889


def _port_free(port: int) -> bool:
    """
    Whether C{port} on 127.0.0.1 can be bound now.
    """
    import socket

    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _pick_port(wanted: int, what: str, explicit: bool) -> int:
    """
    C{wanted}, or 0 (a free port) with a note when the default is busy.

    @raise SystemExit: a port asked for explicitly is busy.
    """
    if _port_free(wanted):
        return wanted
    if explicit:
        raise SystemExit(f"txtornado.demo: port {wanted} is busy; pick another --port")
    print(
        f"txtornado.demo: port {wanted} is busy (Jupyter uses 8888); "
        f"the {what} takes a free port instead",
        file=sys.stderr,
        flush=True,
    )
    return 0


def main(argv: list[str] | None = None) -> None:
    """
    Run the demo under twistd (in this process): C{python -m txtornado.demo
    [--port PORT] [twistd options]}, that is C{twistd -n tornado --app
    txtornado.demo:make_app} on 127.0.0.1 (a free port when the default is
    busy).  With a C{tornado} argument, the twistd command line as given.
    """
    from twisted.scripts.twistd import run

    args = list(sys.argv[1:] if argv is None else argv)
    if "tornado" not in args:
        if "-h" in args or "--help" in args:
            print(_USAGE, end="")
            return
        port, explicit = _DEFAULT_PORT, False
        for i, arg in enumerate(args):
            value = None
            if arg == "--port" and i + 1 < len(args):
                value = args[i + 1]
                del args[i : i + 2]
            elif arg.startswith("--port="):
                value = arg.partition("=")[2]
                del args[i]
            if value is not None:
                if not value.isdigit():
                    raise SystemExit(
                        f"txtornado.demo: --port wants a number, not {value!r}"
                    )
                port, explicit = int(value), True
                break
        port = _pick_port(port, "Tornado page", explicit)
        twisted_port = _pick_port(_DEFAULT_TWISTED_PORT, "twisted.web site", False)
        args += [
            "tornado",
            "--app",
            "txtornado.demo:make_app",
            "--listen",
            f"tcp:{port}:interface=127.0.0.1",
            "--setting",
            f"twisted_endpoint=tcp:{twisted_port}:interface=127.0.0.1",
        ]
    sys.argv = ["twistd", "-n", "--pidfile=", *args]
    print(f"$ {' '.join(sys.argv)}", file=sys.stderr, flush=True)
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    run()


if __name__ == "__main__":
    main()
