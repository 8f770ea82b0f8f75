"""
Connecting: Tornado clients through Twisted client endpoints, here on
TornadoReactor.  A Tornado stream talks to a plain Twisted server; Tornado's
HTTP and websocket clients reach an application served on a UNIX socket.
"""

import os
import tempfile

import txtornado

reactor = txtornado.install()  # before anything imports twisted.internet.reactor

from tornado import web, websocket  # noqa: E402
from twisted.internet.endpoints import (  # noqa: E402
    TCP4ServerEndpoint,
    UNIXClientEndpoint,
)
from twisted.internet.protocol import Factory  # noqa: E402
from twisted.protocols.basic import LineReceiver  # noqa: E402


class Shout(LineReceiver):
    """A Twisted server protocol: answers every line in capitals."""

    delimiter = b"\n"

    def lineReceived(self, line):
        self.sendLine(line.upper())


class Hello(web.RequestHandler):
    def get(self):
        self.write(f"Hello from {self.request.host}, over a UNIX socket")


class Echo(websocket.WebSocketHandler):
    def on_message(self, message):
        self.write_message(message[::-1])


async def stream_to_a_twisted_server():
    endpoint = TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1")
    port = await endpoint.listen(Factory.forProtocol(Shout))
    # Any client endpoint string ("tcp:host=...:port=...", "unix:path=...",
    # "tls:example.com:443") or IStreamClientEndpoint.
    stream = await txtornado.connect(f"tcp:host=127.0.0.1:port={port.getHost().port}")
    await stream.write(b"hello from a Tornado stream\n")
    print((await stream.read_until(b"\n")).decode(), end="")
    stream.close()
    await port.stopListening()


async def http_over_a_unix_socket():
    path = os.path.join(tempfile.mkdtemp(prefix="txt-"), "app.sock")
    app = web.Application([(r"/", Hello), (r"/ws", Echo)])
    listening = await txtornado.listen(app, f"unix:{path}")

    # The URL's host and port go to the endpoint factory; this one ignores them.
    def endpoint_factory(host, port):
        return UNIXClientEndpoint(reactor, path)

    client = txtornado.EndpointHTTPClient(
        force_instance=True, endpoint_factory=endpoint_factory
    )
    response = await client.fetch("http://app.internal/")
    print(response.code, response.body.decode())
    client.close()

    conn = await txtornado.websocket_connect("ws://app.internal/ws", endpoint_factory)
    await conn.write_message("a websocket over the same socket")
    print(await conn.read_message())
    conn.close()

    await listening.stop(timeout=1)
    os.rmdir(os.path.dirname(path))  # stopping removed the socket file


async def main():
    try:
        await stream_to_a_twisted_server()
        await http_over_a_unix_socket()
    finally:
        reactor.stop()


# An asyncio task (not a Deferred coroutine): connect() awaits futures.
reactor.callWhenRunning(txtornado.deferred_from_future, main())
reactor.run()
