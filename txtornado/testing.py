# -*- test-case-name: txtornado.test.test_testing -*-
"""
Testing Tornado applications with trial and with pytest-twisted.

L{TornadoAppTestCase} is a trial C{TestCase} in the spirit of Tornado's
C{AsyncHTTPTestCase}: it serves L{get_app<TornadoAppTestCase.get_app>}
on a free port of 127.0.0.1 (or a UNIX socket) for each test, and
L{fetch<TornadoAppTestCase.fetch>} returns a Deferred that a test can
C{await} (in an C{async def} test) or C{yield} (in C{inlineCallbacks}).
It works on whichever reactor trial runs: C{trial --reactor=tornado}
(Tornado already runs on the reactor) or any other (Tornado then runs on a
L{TwistedIOLoop<txtornado.TwistedIOLoop>} over it).

L{ServedApp} does the serving and is also what the pytest fixture
C{tornado_server} (see L{txtornado.pytest_plugin}) yields.

L{stream_pair} connects two L{TwistedIOStream<txtornado.TwistedIOStream>}s
over Twisted TCP on 127.0.0.1, for tests of code that speaks IOStream
(Tornado's own C{make_iostream_pair}, on Twisted transports).

After each test the server, the client and their connections are closed,
so trial reports no C{DirtyReactorAggregateError} for them; what the test
itself leaves behind is still reported.
"""

from __future__ import annotations

import asyncio
from typing import Any

import tornado.web
from tornado.httpclient import AsyncHTTPClient, HTTPResponse
from tornado.ioloop import IOLoop
from twisted.internet.defer import Deferred, inlineCallbacks
from twisted.trial import unittest

from txtornado.endpoints import EndpointHTTPClient, ListeningServer, connect, listen
from txtornado.futures import deferred_from_future
from txtornado.ioloop import io_loop_for_reactor
from txtornado.iostream import StreamProtocol, TwistedIOStream, stream_for_protocol

__all__ = ["ServedApp", "TornadoAppTestCase", "stream_pair", "tornado_io_loop"]


async def stream_pair(
    reactor: Any,
    server_kwargs: dict[str, Any] | None = None,
    client_kwargs: dict[str, Any] | None = None,
) -> tuple[TwistedIOStream, TwistedIOStream]:
    """
    A connected C{(server, client)} pair of streams over a Twisted TCP
    connection on 127.0.0.1, made on C{reactor} (whose loop must be the
    running asyncio loop); the listening port is closed before this
    returns.  C{server_kwargs}/C{client_kwargs} are each stream's
    C{BaseIOStream} arguments (C{max_buffer_size}, ...).
    """
    from twisted.internet.endpoints import TCP4ClientEndpoint, TCP4ServerEndpoint
    from twisted.internet.protocol import Factory

    loop = asyncio.get_running_loop()
    server: asyncio.Future[TwistedIOStream] = loop.create_future()

    def connected(protocol: StreamProtocol) -> None:
        server.set_result(stream_for_protocol(protocol, **(server_kwargs or {})))

    factory = Factory.forProtocol(lambda: StreamProtocol(connected))
    endpoint = TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1")
    port = await endpoint.listen(factory).asFuture(loop)
    try:
        client_endpoint: Any = TCP4ClientEndpoint(
            reactor, "127.0.0.1", port.getHost().port
        )
        client = await connect(
            client_endpoint,
            reactor,
            **(client_kwargs or {}),
        )
        return await server, client
    finally:
        await port.stopListening().asFuture(loop)


#: The Tornado IOLoop that runs on a reactor, made current (see
#: L{io_loop_for_reactor<txtornado.ioloop.io_loop_for_reactor>}).
tornado_io_loop = io_loop_for_reactor


class ServedApp:
    """
    A Tornado application served on a Twisted endpoint for a test, with an
    HTTP client for it.  Use L{start}, then L{url}/L{fetch}, then L{stop}.

    @ivar listening: the L{ListeningServer}, once started.
    """

    def __init__(
        self,
        app: tornado.web.Application,
        endpoint: str = "tcp:0:interface=127.0.0.1",
        reactor: Any = None,
        **server_options: Any,
    ) -> None:
        if reactor is None:
            from twisted.internet import reactor as global_reactor

            reactor = global_reactor
        self.reactor = reactor
        self.app = app
        self.endpoint = endpoint
        self._serverOptions = server_options
        self.io_loop = tornado_io_loop(reactor)
        self.listening: ListeningServer | None = None
        self.client: AsyncHTTPClient | None = None

    def start(self) -> Deferred[ServedApp]:
        """
        Listen; the Deferred fires with this object.
        """
        d = listen(self.app, self.endpoint, self.reactor, **self._serverOptions)

        def started(listening: ListeningServer) -> ServedApp:
            self.listening = listening
            if self.endpoint.startswith("unix:"):
                path = self.endpoint.split(":", 1)[1].split(":")[0]
                from twisted.internet.endpoints import UNIXClientEndpoint

                self.client = EndpointHTTPClient(
                    force_instance=True,
                    endpoint_factory=lambda host, port: UNIXClientEndpoint(
                        self.reactor, path
                    ),
                )
            else:
                self.client = AsyncHTTPClient(force_instance=True)
            return self

        return d.addCallback(started)

    def url(self, path: str = "/") -> str:
        """
        The absolute URL of C{path} on the served app.
        """
        assert self.listening is not None, "not started"
        address: Any = self.listening.getHost()
        host = getattr(address, "host", None)
        if host is None:  # a UNIX socket: any host name will do
            return f"http://localhost{path}"
        return f"http://{host}:{address.port}{path}"

    def fetch(self, path: str = "/", **kwargs: Any) -> Deferred[HTTPResponse]:
        """
        Request C{path}; a Deferred firing with Tornado's C{HTTPResponse}.
        C{raise_error} defaults to C{False}, as in C{AsyncHTTPTestCase}.
        """
        assert self.client is not None, "not started"
        kwargs.setdefault("raise_error", False)
        future = self.client.fetch(self.url(path), **kwargs)
        return deferred_from_future(future, self.io_loop.asyncio_loop)  # type: ignore[attr-defined]

    def stop(self) -> Deferred[Any]:
        """
        Close the client and the server and its connections; fires when all
        are closed.
        """
        if self.client is not None:
            self.client.close()
            self.client = None
        listening, self.listening = self.listening, None
        if listening is None:
            done: Deferred[Any] = Deferred()
            done.callback(None)
            return done
        return listening.stop(timeout=0)


class TornadoAppTestCase(unittest.TestCase):
    """
    A trial test case serving L{get_app} for each test.

    Override L{get_app}; use L{get_url} and L{fetch} in tests, which may be
    C{async def} (C{await self.fetch("/")}) or C{inlineCallbacks}.

    @cvar endpoint: where to serve; a UNIX socket with
        C{"unix:/path/to.sock"} (a fresh temporary path is best).
    @ivar served: the L{ServedApp} of the running test.
    """

    endpoint = "tcp:0:interface=127.0.0.1"

    def get_app(self) -> tornado.web.Application:
        """
        Return the application to test.
        """
        raise NotImplementedError("TornadoAppTestCase subclasses define get_app()")

    def get_server_options(self) -> dict[str, Any]:
        """
        C{HTTPServer} keyword arguments for the test server.
        """
        return {}

    @inlineCallbacks
    def setUp(self) -> Any:  # type: ignore[override]
        self.served = ServedApp(
            self.get_app(), self.endpoint, **self.get_server_options()
        )
        yield self.served.start()
        self.addCleanup(self.served.stop)

    @property
    def io_loop(self) -> IOLoop:
        """
        The Tornado IOLoop the app runs on.
        """
        return self.served.io_loop

    def get_url(self, path: str = "/") -> str:
        """
        The absolute URL of C{path}.
        """
        return self.served.url(path)

    def fetch(self, path: str = "/", **kwargs: Any) -> Deferred[HTTPResponse]:
        """
        Request C{path} (see L{ServedApp.fetch}).
        """
        return self.served.fetch(path, **kwargs)
