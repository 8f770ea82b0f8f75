# -*- test-case-name: txtornado.test.test_endpoints -*-
"""
Tornado servers on Twisted server endpoints, Tornado clients through
Twisted client endpoints.

  - L{listen} serves a Tornado C{TCPServer}/C{HTTPServer}, or a
    C{tornado.web.Application}, on any Twisted server endpoint (C{tcp:},
    C{ssl:}, C{unix:}, C{systemd:}, third-party ones) or endpoint string.
  - L{connect} opens a L{TwistedIOStream} through any Twisted client
    endpoint or endpoint string, with TLS (verified by default) on request.
  - L{EndpointTCPClient} and L{EndpointHTTPClient} make Tornado's
    C{TCPClient} and C{AsyncHTTPClient} connect that way (HTTP over a UNIX
    socket, over TLS with a client certificate, ...), and
    L{websocket_connect} does the same for Tornado's websocket client.

Endpoints run on the reactor of the current IOLoop (a L{TwistedIOLoop}'s,
or one given as C{reactor=}); with a L{TornadoReactor} pass it, or it is
the installed C{twisted.internet.reactor}.  Everything here runs in the
event loop's thread.
"""

from __future__ import annotations

import datetime
import errno
import os
import socket
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, cast

from tornado import gen
from tornado.concurrent import Future
from tornado.httpclient import HTTPRequest
from tornado.httpserver import HTTPServer
from tornado.httputil import HTTPHeaders
from tornado.ioloop import IOLoop
from tornado.iostream import IOStream
from tornado.tcpclient import TCPClient
from tornado.tcpserver import TCPServer
from tornado.websocket import WebSocketClientConnection, WebSocketHandler
from twisted.internet.abstract import isIPAddress, isIPv6Address
from twisted.internet.address import IPv4Address, IPv6Address, UNIXAddress
from twisted.internet.defer import Deferred, gatherResults, succeed
from twisted.internet.endpoints import (
    HostnameEndpoint,
    TCP4ClientEndpoint,
    TCP6ClientEndpoint,
    clientFromString,
    connectProtocol,
    serverFromString,
)
from twisted.internet.error import (
    ConnectError,
    DNSLookupError,
    NoRouteError,
    TCPTimedOutError,
)
from twisted.internet.error import (
    ConnectionRefusedError as TwistedConnectionRefusedError,
)
from twisted.internet.error import TimeoutError as TwistedTimeoutError
from twisted.internet.interfaces import (
    IAddress,
    IListeningPort,
    IProtocolNegotiationFactory,
    IStreamClientEndpoint,
    IStreamServerEndpoint,
)
from twisted.internet.protocol import Factory
from twisted.protocols.tls import TLSMemoryBIOFactory
from zope.interface import alsoProvides, implementer

from txtornado._compat import tornado as _tornado_private
from txtornado._compat.tornado import (
    ConnectionClassHTTPClient,
    SSLOptionsHTTPConnection,
    request_with_defaults,
)
from txtornado._compat.twisted import alpn_asks_factory
from txtornado.iostream import (
    StreamProtocol,
    TwistedIOStream,
    TwistedSSLIOStream,
    stream_for_protocol,
)
from txtornado.tls import client_creator, serve_alpn, server_options

__all__ = [
    "EndpointHTTPClient",
    "EndpointTCPClient",
    "ListeningServer",
    "StreamServerFactory",
    "TLSClientEndpoint",
    "connect",
    "listen",
    "tornado_address",
    "websocket_connect",
]

#: how often L{ListeningServer.stop} looks for connections that became idle
IDLE_CHECK_INTERVAL = 0.05


def _reactor(reactor: Any = None) -> Any:
    """
    C{reactor}, else the current IOLoop's (a L{TwistedIOLoop}), else the
    installed global reactor.
    """
    if reactor is not None:
        return reactor
    found = getattr(IOLoop.current(), "reactor", None)
    if found is not None:
        return found
    from twisted.internet import reactor as global_reactor

    return global_reactor


def tornado_address(address: IAddress) -> Any:
    """
    A Twisted address as Tornado's servers report a peer: C{(host, port)}
    for IPv4, C{(host, port, flowinfo, scope_id)} for IPv6, the path (or
    C{""}, as C{accept} says for an unbound client) for a UNIX socket, and
    C{None} for anything else.
    """
    if isinstance(address, IPv4Address):
        return (address.host, address.port)
    if isinstance(address, IPv6Address):
        return (address.host, address.port, address.flowInfo, address.scopeID)
    if isinstance(address, UNIXAddress):
        name = address.name
        return name.decode() if isinstance(name, bytes) else (name or "")
    return None


class StreamServerFactory(Factory):
    """
    A Twisted server factory that hands every connection to a Tornado
    C{TCPServer} (its C{handle_stream(stream, address)}) as a
    L{TwistedIOStream}, or a L{TwistedSSLIOStream} when the endpoint is TLS.

    Over TLS it names the ALPN protocols the server speaks: an
    C{HTTPServer} C{http/1.1} (not C{h2}), another server none unless
    told.  With the contexts of L{txtornado.tls} (C{listen}'s
    C{ssl_options}, L{SNIServerOptions}) a client that offers none of
    them gets a handshake without a protocol, as from Tornado's own
    servers (see L{txtornado.tls.serve_alpn}).  With Twisted's contexts (an
    C{ssl:} endpoint), Twisted 26.10 and later ask the factory, as an
    C{IProtocolNegotiationFactory} (which it provides there), and refuse a
    client that offers only others (such as only C{h2}) with an
    C{internal error} alert; earlier Twisted names no protocol to any
    client.

    @ivar connections: the protocols of the connections open now.
    @ivar alpn_protocols: the ALPN protocol names the server speaks, most
        preferred first.
    """

    def __init__(
        self,
        server: TCPServer,
        alpn_protocols: Sequence[bytes] | None = None,
        **stream_kwargs: Any,
    ) -> None:
        """
        @param server: the server whose C{handle_stream} gets the streams.
        @param alpn_protocols: the ALPN protocol names it speaks; by default
            C{[b"http/1.1"]} for an C{HTTPServer}, none for another server.
        @param stream_kwargs: C{BaseIOStream}'s keyword arguments; by default
            the server's C{max_buffer_size} and C{read_chunk_size}.
        """
        self.server = server
        if alpn_protocols is None:
            alpn_protocols = [b"http/1.1"] if isinstance(server, HTTPServer) else []
        self.alpn_protocols = list(alpn_protocols)
        if alpn_asks_factory():
            alsoProvides(self, IProtocolNegotiationFactory)
        stream_kwargs.setdefault("max_buffer_size", server.max_buffer_size)
        stream_kwargs.setdefault("read_chunk_size", server.read_chunk_size)
        self.stream_kwargs = stream_kwargs
        self.connections: set[StreamProtocol] = set()
        self._all_gone: list[Deferred[None]] = []

    def acceptableProtocols(self) -> list[bytes]:
        """
        L{alpn_protocols} (C{IProtocolNegotiationFactory}, provided when
        Twisted's TLS asks the factory; see the class).
        """
        return self.alpn_protocols

    def buildProtocol(self, addr: IAddress | None) -> StreamProtocol:
        protocol = StreamProtocol(self._connected)
        protocol.on_lost = self._lost
        return protocol

    def _connected(self, protocol: StreamProtocol) -> None:
        self.connections.add(protocol)
        tls = protocol._tls_layer()
        if tls is not None:
            serve_alpn(tls, self.alpn_protocols)
        stream = stream_for_protocol(protocol, **self.stream_kwargs)
        address = tornado_address(protocol.transport.getPeer())
        try:
            future = self.server.handle_stream(cast(IOStream, stream), address)
            if future is not None:
                IOLoop.current().add_future(
                    gen.convert_yielded(future), lambda f: f.result()
                )
        except Exception:
            from tornado.log import app_log

            app_log.error("Error in connection callback", exc_info=True)

    def _lost(self, protocol: StreamProtocol) -> None:
        self.connections.discard(protocol)
        if not self.connections:
            waiting, self._all_gone = self._all_gone, []
            for d in waiting:
                d.callback(None)

    def when_all_gone(self) -> Deferred[None]:
        """
        A Deferred firing once no connection is open.
        """
        if not self.connections:
            return succeed(None)
        d: Deferred[None] = Deferred()
        self._all_gone.append(d)
        return d


def _is_idle(stream: TwistedIOStream, http: bool) -> bool:
    """
    Whether C{stream} can be closed without cutting an exchange short (see
    L{ListeningServer.stop}).  For HTTP, Tornado reads a request's headers,
    and only those, with C{read_until_regex}
    (L{txtornado._compat.tornado.read_regex_pending}).
    """
    if (
        stream.writing()
        or not stream.reading()
        or _tornado_private.read_buffer_size(stream)
        or stream.protocol.pending_size
    ):
        return False
    return not http or _tornado_private.read_regex_pending(stream)


@implementer(IListeningPort)
class ListeningServer:
    """
    A Tornado server listening on a Twisted endpoint: what L{listen}'s
    Deferred fires with.  It is the endpoint's C{IListeningPort}
    (C{getHost}, C{stopListening}), plus L{stop}, for graceful shutdown.

    @ivar port: the endpoint's listening port.
    @ivar server: the Tornado server.
    @ivar factory: the L{StreamServerFactory} (its C{connections}).
    """

    def __init__(
        self,
        port: Any,
        server: TCPServer,
        factory: StreamServerFactory,
        reactor: Any,
    ) -> None:
        self.port = port
        self.server = server
        self.factory = factory
        self._reactor = reactor

    def getHost(self) -> IAddress:
        address: IAddress = self.port.getHost()
        return address

    def startListening(self) -> None:
        self.port.startListening()

    def stopListening(self) -> Deferred[None] | None:
        """
        Stop accepting connections; open ones are left alone.
        """
        stopped: Deferred[None] | None = self.port.stopListening()
        return stopped

    def stop(
        self, timeout: float | None = None, *, close_websockets: bool = False
    ) -> Deferred[int]:
        """
        Shut down: stop listening, close connections that are idle now and
        the others as soon as they become idle, and after C{timeout}
        seconds (C{None}: no limit; 0: at once) abort whatever is still
        open.

        A connection is idle when nothing is buffered in either direction,
        nothing is being written, and the stream waits to read: for an
        C{HTTPServer}, to read the headers of a next request (a request
        whose body is still arriving is busy); for other servers, to read
        anything.  A websocket is busy; with C{close_websockets}, an
        C{HTTPServer}'s open websockets are closed at once with code 1001
        (going away), through their handlers (whose C{on_close} runs), and
        are done when the closing handshake ends.

        @return: a Deferred firing, once every connection is closed, with
            the number of connections aborted while busy (at the timeout).
        """
        stopped = self.stopListening()
        forced = [0]
        deadline = None if timeout is None else self._reactor.seconds() + timeout
        factory = self.factory
        http = isinstance(self.server, HTTPServer)

        def sweep() -> None:
            if not factory.connections:
                return
            past = deadline is not None and self._reactor.seconds() >= deadline
            for protocol in list(factory.connections):
                stream = protocol.stream
                if stream is not None and _is_idle(stream, http):
                    stream.close()
                elif past:
                    # busy, or still being set up (no stream yet)
                    forced[0] += stream is not None
                    protocol.transport.abortConnection()
            if factory.connections:
                delay = IDLE_CHECK_INTERVAL
                if deadline is not None:
                    delay = max(0.0, min(delay, deadline - self._reactor.seconds()))
                self._reactor.callLater(delay, sweep)

        if http and close_websockets:
            streams = {p.stream for p in factory.connections if p.stream is not None}
            _close_websockets(streams, 1001)
        sweep()
        waits: list[Deferred[Any]] = [factory.when_all_gone()]
        if stopped is not None:
            waits.insert(0, stopped)
        d = gatherResults(waits, consumeErrors=True)
        return d.addCallback(lambda _: forced[0])


def _close_websockets(streams: set[Any], code: int, reason: str = "going away") -> int:
    """
    Start the closing handshake (C{WebSocketHandler.close(code, reason)})
    of every open server websocket whose stream is in C{streams}.  Tornado
    keeps no registry of its websockets, so they are found among the live
    objects (C{gc.get_objects}); call it once per shutdown, not per request.

    @return: how many were closed.
    """
    import gc

    closed = 0
    for obj in gc.get_objects():
        if isinstance(obj, WebSocketHandler):
            connection = obj.ws_connection
            if (
                connection is not None
                and getattr(connection, "stream", None) in streams
                and not connection.is_closing()
            ):
                obj.close(code, reason)
                closed += 1
    return closed


def listen(
    server_or_app: Any,
    endpoint: IStreamServerEndpoint | str,
    reactor: Any = None,
    **server_kwargs: Any,
) -> Deferred[ListeningServer]:
    """
    Serve a Tornado server on a Twisted server endpoint.

    @param server_or_app: a C{TCPServer} (C{HTTPServer} included), or what
        C{HTTPServer} serves (a C{tornado.web.Application}, any
        C{HTTPServerConnectionDelegate}), for which an C{HTTPServer} is made
        with C{server_kwargs} (C{xheaders}, C{max_body_size}, ...).  A
        server's C{ssl_options} (dict form or Twisted options) turn TLS on
        over a plain endpoint; with a TLS endpoint (C{ssl:}) leave them out.
    @param endpoint: an C{IStreamServerEndpoint}, or a string for
        C{serverFromString} (C{"tcp:8888:interface=127.0.0.1"},
        C{"unix:/run/app.sock"}, C{"ssl:443:privateKey=key.pem"},
        C{"systemd:domain=INET:index=0"}).
    @param reactor: the reactor for an endpoint string (see the module).
    @return: a Deferred firing with the L{ListeningServer} once listening.
    """
    reactor = _reactor(reactor)
    if isinstance(server_or_app, TCPServer):
        if server_kwargs:
            raise TypeError("server keyword arguments need an app, not a server")
        server = server_or_app
    else:
        server = HTTPServer(server_or_app, **server_kwargs)
    server_endpoint: Any = (
        serverFromString(reactor, endpoint) if isinstance(endpoint, str) else endpoint
    )
    factory = StreamServerFactory(server)
    listening_factory: Any = factory
    if server.ssl_options is not None:
        listening_factory = _tls_factory(
            server_options(server.ssl_options), False, factory, reactor
        )
    d: Deferred[Any] = server_endpoint.listen(listening_factory)
    return d.addCallback(lambda port: ListeningServer(port, server, factory, reactor))


def _tls_factory(
    options: Any, is_client: bool, wrapped: Any, reactor: Any
) -> TLSMemoryBIOFactory:
    """
    Twisted's TLS over the protocols of factory C{wrapped}, with
    C{reactor}, the one the connections run on, as the TLS layer's clock.
    Without a clock C{TLSMemoryBIOFactory} takes the global reactor's,
    installing the default reactor if none is; what the clock times (small
    writes held back until its next call) never delays a stream's writes,
    which bypass that buffer (see L{StreamProtocol.refresh_writer}).
    """
    return TLSMemoryBIOFactory(options, is_client, wrapped, clock=reactor)


@implementer(IStreamClientEndpoint)
class TLSClientEndpoint:
    """
    TLS over another client endpoint, as Twisted's C{wrapClientTLS}, with
    C{reactor} as the TLS layer's clock (see L{_tls_factory}), where
    C{wrapClientTLS} would take, and install, the global reactor.
    """

    def __init__(self, wrapped: Any, connection_creator: Any, reactor: Any) -> None:
        """
        @param wrapped: the C{IStreamClientEndpoint} to run TLS over.
        @param connection_creator: Twisted client TLS options
            (C{optionsForClientTLS}; see L{txtornado.tls.client_creator}).
        @param reactor: the reactor the connection runs on.
        """
        self.wrapped = wrapped
        self.connection_creator = connection_creator
        self.reactor = reactor

    def connect(self, protocolFactory: Any) -> Deferred[Any]:
        """
        Connect C{protocolFactory}'s protocol over TLS; fires with it.
        """
        factory = _tls_factory(
            self.connection_creator, True, protocolFactory, self.reactor
        )
        d: Deferred[Any] = self.wrapped.connect(factory)
        return d.addCallback(lambda tls: tls.wrappedProtocol)


def _as_future(d: Deferred[Any]) -> Future[Any]:
    loop = IOLoop.current().asyncio_loop  # type: ignore[attr-defined]
    future: Future[Any] = d.asFuture(loop)
    return future


async def connect(
    endpoint: IStreamClientEndpoint | str,
    reactor: Any = None,
    ssl_options: Any = None,
    server_hostname: str | None = None,
    **stream_kwargs: Any,
) -> TwistedIOStream:
    """
    Connect through a Twisted client endpoint and return the stream.

    @param endpoint: an C{IStreamClientEndpoint}, or a string for
        C{clientFromString} (C{"tcp:host=example.com:port=80"},
        C{"unix:path=/run/app.sock"}, C{"tls:example.com:443"}).  An
        C{"ssl:..."} string (Twisted's legacy TLS client, never verified)
        is refused: use C{"tls:..."}.
    @param ssl_options: if not C{None}, TLS over the endpoint: C{True} for
        the defaults (verify the certificate and C{server_hostname}), an
        C{ssl.SSLContext}, Tornado's dict form or Twisted client TLS
        options (see L{txtornado.tls}).
    @param server_hostname: the name to verify and send (SNI); needed for
        verification.
    @param stream_kwargs: C{BaseIOStream}'s keyword arguments.
    @return: a L{TwistedIOStream}, a L{TwistedSSLIOStream} once the TLS
        handshake (and verification) succeeded for a TLS endpoint.
    @raise ValueError: for an C{"ssl:..."} string, or C{ssl_options} that
        cannot be honoured (see L{txtornado.tls}).
    @raise OSError: the one a socket's C{connect} would raise (for example
        C{ConnectionRefusedError}; C{socket.gaierror} for a name that does
        not resolve), the endpoint's Twisted C{ConnectError} as its
        C{__cause__}; as Tornado's C{TCPClient} does.
    """
    reactor = _reactor(reactor)
    if isinstance(endpoint, str) and endpoint.split(":", 1)[0].strip().lower() == "ssl":
        raise ValueError(
            f"connect({endpoint!r}): Twisted's ssl: client endpoint checks "
            "neither the server's certificate nor its host name; use "
            '"tls:HOST:PORT" (verified), or "tcp:..." with ssl_options'
        )
    client_endpoint: Any = (
        clientFromString(reactor, endpoint) if isinstance(endpoint, str) else endpoint
    )
    if ssl_options is not None:
        options = None if ssl_options is True else ssl_options
        client_endpoint = TLSClientEndpoint(
            client_endpoint, client_creator(options, server_hostname), reactor
        )
    try:
        protocol: StreamProtocol = await _as_future(
            connectProtocol(client_endpoint, StreamProtocol())
        )
    except ConnectError as e:
        raise _connect_os_error(e) from e
    stream = stream_for_protocol(protocol, **stream_kwargs)
    if isinstance(stream, TwistedSSLIOStream):
        await stream.wait_for_handshake()
    return stream


def _connect_os_error(error: ConnectError) -> OSError:
    """
    The C{OSError} a socket's C{connect} would have raised where the
    endpoint failed with C{error}.
    """
    code: int | None
    if isinstance(error, DNSLookupError):
        return socket.gaierror(socket.EAI_NONAME, str(error))
    if isinstance(error, TwistedConnectionRefusedError):
        code = errno.ECONNREFUSED
    elif isinstance(error, (TCPTimedOutError, TwistedTimeoutError)):
        code = errno.ETIMEDOUT
    elif isinstance(error, NoRouteError):
        code = errno.EHOSTUNREACH
    else:
        code = error.osError if isinstance(error.osError, int) else None
    if code is None:
        return OSError(str(error))
    # OSError(errno, ...) makes the matching subclass (ConnectionRefusedError)
    return OSError(code, f"{os.strerror(code)}: {error}")


EndpointFactory = Callable[[str, int], IStreamClientEndpoint]


class EndpointTCPClient(TCPClient):
    """
    Tornado's C{TCPClient}, connecting through Twisted client endpoints:
    C{endpoint_factory(host, port)} makes the endpoint (by default a TCP
    endpoint for an IP address, a C{HostnameEndpoint} for a name, which
    resolves with the reactor's resolver).
    C{ssl_options} add TLS over it, verified by default.
    """

    def __init__(
        self, endpoint_factory: EndpointFactory | None = None, reactor: Any = None
    ) -> None:
        super().__init__()
        self.endpoint_factory = endpoint_factory
        self.reactor = reactor

    async def connect(
        self,
        host: str,
        port: int,
        af: socket.AddressFamily = socket.AF_UNSPEC,
        ssl_options: Any = None,
        max_buffer_size: int | None = None,
        source_ip: str | None = None,
        source_port: int | None = None,
        timeout: float | datetime.timedelta | None = None,
    ) -> IOStream:
        """
        As C{TCPClient.connect}; C{af}, C{source_ip} and C{source_port} are
        the endpoint's business and ignored.
        """
        reactor = _reactor(self.reactor)
        endpoint: Any
        if self.endpoint_factory is not None:
            endpoint = self.endpoint_factory(host, port)
        elif isIPAddress(host):
            endpoint = TCP4ClientEndpoint(reactor, host, port)
        elif isIPv6Address(host):
            endpoint = TCP6ClientEndpoint(reactor, host, port)
        else:
            endpoint = HostnameEndpoint(reactor, host, port)
        kwargs: dict[str, Any] = {}
        if max_buffer_size is not None:
            kwargs["max_buffer_size"] = max_buffer_size
        connecting: Awaitable[TwistedIOStream] = connect(
            endpoint,
            reactor,
            ssl_options=ssl_options,
            server_hostname=host,
            **kwargs,
        )
        if timeout is not None:
            if isinstance(timeout, (int, float)):
                timeout = IOLoop.current().time() + timeout
            connecting = gen.with_timeout(timeout, connecting)
        return cast(IOStream, await connecting)


def _dict_ssl_options(request: HTTPRequest) -> dict[str, Any] | None:
    """
    For an https request naming a client certificate or CA file (and no
    C{ssl_options}), its TLS settings in the dict form: an C{ssl.SSLContext}
    would hide the certificate from Twisted's TLS.  C{None} otherwise.
    """
    if request.ssl_options is not None or (
        request.client_cert is None and request.ca_certs is None
    ):
        return None
    import ssl

    options: dict[str, Any] = {
        "cert_reqs": ssl.CERT_REQUIRED if request.validate_cert else ssl.CERT_NONE
    }
    if request.ca_certs is not None:
        options["ca_certs"] = request.ca_certs
    if request.client_cert is not None:
        options["certfile"] = request.client_cert
        options["keyfile"] = request.client_key
    return options


class _EndpointHTTPConnection(SSLOptionsHTTPConnection):
    """
    Tornado's HTTP client connection, giving TLS settings in the dict form
    when a request names a client certificate or CA file (also for
    websockets: L{_EndpointWebSocketClientConnection}).
    """

    def ssl_options_for(self, scheme: str) -> Any:
        """
        For https, the request's TLS settings in the dict form if it names
        a client certificate or CA file (L{_dict_ssl_options}); else
        C{None}, Tornado's.
        """
        return _dict_ssl_options(self.request) if scheme == "https" else None


class _EndpointWebSocketClientConnection(
    _EndpointHTTPConnection, WebSocketClientConnection
):
    """
    Tornado's websocket client connection, connecting through an
    L{EndpointTCPClient}, with L{_EndpointHTTPConnection}'s TLS settings.

    C{WebSocketClientConnection.__init__} makes its own C{TCPClient} and
    hands it to C{SSLOptionsHTTPConnection.__init__} (Tornado's), which starts connecting with
    it; both go through the C{tcp_client} attribute, which this class
    turns into a property that keeps the endpoint client (and closes the
    one Tornado made).  The UNIX-socket websocket tests in
    C{test_endpoints} fail if Tornado stops connecting through that
    attribute.
    """

    def __init__(
        self, request: HTTPRequest, tcp_client: EndpointTCPClient, **kwargs: Any
    ) -> None:
        self._endpoint_client = tcp_client
        super().__init__(request, **kwargs)

    @property
    def tcp_client(self) -> TCPClient:
        return self._endpoint_client

    @tcp_client.setter
    def tcp_client(self, client: TCPClient) -> None:
        if client is not self._endpoint_client:
            client.close()


def websocket_connect(
    url: str | HTTPRequest,
    endpoint_factory: EndpointFactory | None = None,
    reactor: Any = None,
    *,
    connect_timeout: float | None = None,
    **kwargs: Any,
) -> Awaitable[WebSocketClientConnection]:
    """
    Tornado's C{tornado.websocket.websocket_connect}, connecting through
    Twisted client endpoints as L{EndpointTCPClient} does: C{ws://} URLs
    over C{endpoint_factory(host, port)} (a UNIX socket, a proxy, ...),
    C{wss://} with Twisted's TLS over it, verified by default (a request's
    C{ca_certs}, C{client_cert}/C{client_key} and C{validate_cert} are
    honoured).

    @param kwargs: C{websocket_connect}'s (C{on_message_callback},
        C{compression_options}, C{ping_interval}, C{ping_timeout},
        C{max_message_size}, C{subprotocols}).
    @return: the future of C{websocket_connect}, resolving to a
        C{WebSocketClientConnection}.
    """
    if isinstance(url, HTTPRequest):
        if connect_timeout is not None:
            raise ValueError("give connect_timeout in the HTTPRequest")
        request = url
        request.headers = HTTPHeaders(request.headers)
    else:
        request = HTTPRequest(url, connect_timeout=connect_timeout)
    connection = _EndpointWebSocketClientConnection(
        request_with_defaults(request),
        EndpointTCPClient(endpoint_factory, reactor),
        **kwargs,
    )
    return connection.connect_future


class EndpointHTTPClient(ConnectionClassHTTPClient):
    """
    Tornado's C{SimpleAsyncHTTPClient}, connecting through Twisted client
    endpoints (see L{EndpointTCPClient})::

        AsyncHTTPClient.configure(
            EndpointHTTPClient,
            endpoint_factory=lambda host, port: UNIXClientEndpoint(
                reactor, "/run/app.sock"),
        )

    HTTPS is Twisted's TLS: a request's C{validate_cert}, C{ca_certs},
    C{client_cert}/C{client_key} and C{ssl_options} are honoured as
    L{txtornado.tls} says.

    @cvar connection_class: the connections' class, which gives Twisted's
        TLS a request's client certificate.
    """

    connection_class = _EndpointHTTPConnection

    def initialize(  # type: ignore[override]
        self,
        endpoint_factory: EndpointFactory | None = None,
        reactor: Any = None,
        **kwargs: Any,
    ) -> None:
        super().initialize(**kwargs)
        self.tcp_client.close()
        self.tcp_client = EndpointTCPClient(endpoint_factory, reactor)
