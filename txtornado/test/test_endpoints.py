"""
Real HTTP through L{txtornado.endpoints}: a C{tornado.web} application
served with L{listen} on TCP, TLS (C{ssl:}) and UNIX endpoints, driven by
Tornado's HTTP and websocket clients (through L{EndpointHTTPClient} where
the transport needs it) and by Twisted's C{Agent}.

Every test case class runs on both loop set-ups (a L{TornadoReactor} on a
new stdlib asyncio IOLoop; a L{TwistedIOLoop} on a new EPollReactor), each
test on a new loop and reactor.  Certificates (a CA, a server certificate
for C{localhost}/127.0.0.1, a client certificate, and an unrelated CA) are
made at test time with C{cryptography}.
"""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import json
import os
import tempfile
from collections.abc import Awaitable, Callable
from typing import Any

from tornado import web, websocket
from tornado.escape import json_decode
from tornado.httpclient import HTTPRequest
from tornado.ioloop import IOLoop
from tornado.platform.asyncio import AsyncIOLoop
from twisted.internet.endpoints import TCP4ClientEndpoint, UNIXClientEndpoint

from txtornado.endpoints import (
    EndpointHTTPClient,
    ListeningServer,
    TLSClientEndpoint,
    listen,
    websocket_connect,
)
from txtornado.iostream import TwistedIOStream
from txtornado.test._helpers import factory_variants, parametrize

# Certificates


class Certificates:
    """
    PEM files in a temporary directory: C{ca}, C{server_cert}/C{server_key}
    (for C{localhost} and 127.0.0.1, signed by C{ca}), C{client_cert}/
    C{client_key} (signed by C{ca}), and C{other_ca}, unrelated.
    """

    def __init__(self) -> None:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        self.dir = tempfile.mkdtemp(prefix="txtornado-certs-")
        now = datetime.datetime.now(datetime.UTC)

        def name(cn: str) -> x509.Name:
            return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

        def issue(
            cn: str,
            issuer: tuple[x509.Name, Any] | None,
            ca: bool = False,
            san: list[x509.GeneralName] | None = None,
        ) -> tuple[x509.Name, Any, bytes, bytes]:
            key = ec.generate_private_key(ec.SECP256R1())
            issuer_name, issuer_key = issuer or (name(cn), key)
            builder = (
                x509.CertificateBuilder()
                .subject_name(name(cn))
                .issuer_name(issuer_name)
                .public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(days=1))
                .not_valid_after(now + datetime.timedelta(days=2))
                .add_extension(x509.BasicConstraints(ca=ca, path_length=None), True)
                # Key identifiers (and a CA's key usage), which Python 3.13's
                # default contexts (VERIFY_X509_STRICT) require.
                .add_extension(
                    x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False
                )
                .add_extension(
                    x509.AuthorityKeyIdentifier.from_issuer_public_key(
                        issuer_key.public_key()
                    ),
                    False,
                )
            )
            if ca:
                builder = builder.add_extension(
                    x509.KeyUsage(
                        digital_signature=True,
                        content_commitment=False,
                        key_encipherment=False,
                        data_encipherment=False,
                        key_agreement=False,
                        key_cert_sign=True,
                        crl_sign=True,
                        encipher_only=False,
                        decipher_only=False,
                    ),
                    True,
                )
            if san:
                builder = builder.add_extension(x509.SubjectAlternativeName(san), False)
            cert = builder.sign(issuer_key, hashes.SHA256())
            return (
                name(cn),
                key,
                cert.public_bytes(serialization.Encoding.PEM),
                key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                ),
            )

        import ipaddress

        ca_name, ca_key, ca_pem, _ = issue("txtornado test CA", None, ca=True)
        _, _, server_pem, server_key = issue(
            "localhost",
            (ca_name, ca_key),
            san=[
                x509.DNSName("localhost"),
                x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
            ],
        )
        _, _, alt_pem, alt_key = issue(
            "alt.example",
            (ca_name, ca_key),
            san=[x509.DNSName("alt.example"), x509.DNSName("*.wild.example")],
        )
        _, _, client_pem, client_key = issue("txtornado client", (ca_name, ca_key))
        _, _, other_pem, _ = issue("unrelated CA", None, ca=True)
        self.ca = self._write("ca.pem", ca_pem)
        self.server_cert = self._write("server.pem", server_pem)
        self.server_key = self._write("server.key", server_key)
        self.alt_cert = self._write("alt.pem", alt_pem)
        self.alt_key = self._write("alt.key", alt_key)
        self.client_cert = self._write("client.pem", client_pem)
        self.client_key = self._write("client.key", client_key)
        self.other_ca = self._write("other-ca.pem", other_pem)

    def _write(self, name: str, data: bytes) -> str:
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def ssl_endpoint(self, port: int = 0) -> str:
        """
        A C{serverFromString} string for TLS on 127.0.0.1 with the server
        certificate.
        """
        return (
            f"ssl:{port}:interface=127.0.0.1:privateKey={self.server_key}"
            f":certKey={self.server_cert}"
        )


_certificates: Certificates | None = None


def certificates() -> Certificates:
    """
    The certificates, made on first use (once per process).
    """
    global _certificates
    if _certificates is None:
        _certificates = Certificates()
    return _certificates


# Loop set-ups


def tornado_reactor_setup() -> tuple[IOLoop, Any]:
    """
    A L{TornadoReactor} on a new AsyncIOLoop over stdlib asyncio.
    """
    from txtornado import TornadoReactor

    io_loop = AsyncIOLoop(asyncio_loop=asyncio.new_event_loop(), make_current=False)
    return io_loop, TornadoReactor(io_loop)


def twisted_ioloop_setup() -> tuple[IOLoop, Any]:
    """
    A L{TwistedIOLoop} on a new EPollReactor.
    """
    from twisted.internet.epollreactor import EPollReactor

    from txtornado import TwistedIOLoop

    io_loop = TwistedIOLoop(reactor_factory=EPollReactor, make_current=False)
    return io_loop, io_loop.reactor


SETUPS: dict[str, Callable[[], tuple[IOLoop, Any]]] = {
    "TornadoReactor": tornado_reactor_setup,
    "TwistedIOLoop": twisted_ioloop_setup,
}

#: The variants for L{parametrize}: one test class per loop set-up in
#: L{SETUPS}, as C{setupFactory} (for L{LoopTestMixin}).
LOOP_SETUPS = factory_variants("setupFactory", SETUPS)


class LoopTestMixin:
    """
    A new IOLoop and reactor per test (C{self.io_loop}, C{self.reactor})
    from C{setupFactory}, and L{run} to run a coroutine function on them.
    """

    setupFactory: Callable[[], tuple[IOLoop, Any]]
    addCleanup: Callable[..., None]

    def setUp(self) -> None:
        self.io_loop, self.reactor = self.setupFactory()
        self.addCleanup(self._close_loop)

    def _close_loop(self) -> None:
        self.io_loop.close(all_fds=True)

    def run_async(self, fn: Callable[[], Awaitable[Any]], timeout: float = 20) -> Any:
        """
        Run C{fn()} on this test's loop (the current IOLoop meanwhile).
        """
        return self.io_loop.run_sync(fn, timeout=timeout)


# The application


class HelloHandler(web.RequestHandler):
    def get(self) -> None:
        self.set_header("X-Test", "yes")
        self.set_header("Content-Type", "text/plain")
        self.write("Hello, " + self.get_argument("name", "world"))


class ChunkedHandler(web.RequestHandler):
    async def get(self) -> None:
        for i in range(5):
            self.write(f"chunk{i};")
            await self.flush()


@web.stream_request_body
class StreamBodyHandler(web.RequestHandler):
    def prepare(self) -> None:
        self.size = 0
        self.chunks = 0
        self.digest = hashlib.sha256()

    def data_received(self, chunk: bytes) -> None:
        self.size += len(chunk)
        self.chunks += 1
        self.digest.update(chunk)

    def post(self) -> None:
        self.write({"size": self.size, "sha256": self.digest.hexdigest()})


LARGE = 8 * 1024 * 1024


def large_body() -> bytes:
    block = hashlib.sha256(b"txtornado").digest() * 32  # 1 KiB
    return block * (LARGE // len(block))


class LargeHandler(web.RequestHandler):
    def get(self) -> None:
        self.write(large_body())


class RemoteHandler(web.RequestHandler):
    def get(self) -> None:
        stream = self.request.connection.stream  # type: ignore[union-attr]
        self.write(
            {
                "remote_ip": self.request.remote_ip,
                "protocol": self.request.protocol,
                "connection": id(stream),
            }
        )


@web.stream_request_body
class SlowUploadHandler(web.RequestHandler):
    """
    Counts a streamed body; C{first_chunk} (set per test) resolves when the
    first part has arrived.
    """

    first_chunk: asyncio.Future[None]

    def prepare(self) -> None:
        self.size = 0

    def data_received(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if not self.first_chunk.done():
            self.first_chunk.set_result(None)

    def post(self) -> None:
        self.write({"size": self.size})


class EchoWebSocket(websocket.WebSocketHandler):
    def on_message(self, message: str | bytes) -> None:
        self.write_message(message, binary=isinstance(message, bytes))


def make_app() -> web.Application:
    return web.Application(
        [
            (r"/hello", HelloHandler),
            (r"/chunked", ChunkedHandler),
            (r"/stream", StreamBodyHandler),
            (r"/upload", SlowUploadHandler),
            (r"/large", LargeHandler),
            (r"/remote", RemoteHandler),
            (r"/ws", EchoWebSocket),
        ]
    )


# The tests


class _LoopbackEndpoints:
    """
    Agent's endpoints to 127.0.0.1, whatever the URL's host.  Agent's own
    (C{HostnameEndpoint}) resolve names in the reactor's thread pool, which
    a reactor driven by a TwistedIOLoop's C{run_sync} (not C{reactor.run})
    never starts; C{EndpointTCPClient} avoids that for IP addresses.
    """

    def __init__(self, reactor: Any) -> None:
        self.reactor = reactor

    def endpointForURI(self, uri: Any) -> Any:
        return TCP4ClientEndpoint(self.reactor, "127.0.0.1", uri.port)


class _HTTPEndpointTests(LoopTestMixin):
    """
    The application on one kind of endpoint (C{kind}: C{"tcp"}, C{"ssl"},
    C{"unix"}); C{assert*} from C{SynchronousTestCase}.
    """

    kind: str
    assertEqual: Callable[..., None]
    assertIn: Callable[..., None]

    def setUp(self) -> None:
        super().setUp()
        self.path = os.path.join(tempfile.mkdtemp(prefix="txtornado-"), "http.sock")
        if self.kind == "tcp":
            endpoint = "tcp:0:interface=127.0.0.1"
        elif self.kind == "ssl":
            endpoint = certificates().ssl_endpoint()
        else:
            endpoint = f"unix:{self.path}"

        async def start() -> ListeningServer:
            return await listen(
                make_app(), endpoint, self.reactor, xheaders=True
            ).asFuture(asyncio.get_running_loop())

        self.listener: ListeningServer = self.run_async(start)
        self.addCleanup(self._stop)

    def _stop(self) -> None:
        async def stop() -> None:
            await self.listener.stop(timeout=0).asFuture(asyncio.get_running_loop())

        self.run_async(stop)

    # clients

    @property
    def base_url(self) -> str:
        if self.kind == "unix":
            return "http://localhost"
        scheme = "https" if self.kind == "ssl" else "http"
        host = "localhost" if self.kind == "ssl" else "127.0.0.1"
        return f"{scheme}://{host}:{self.listener.getHost().port}"  # type: ignore[attr-defined]

    def endpoint_factory(self) -> Callable[[str, int], Any] | None:
        """
        What Tornado's clients connect through: the UNIX socket, or for
        https://localhost:port/ (verified as localhost) 127.0.0.1, with no
        name resolution (see L{_LoopbackEndpoints}).
        """
        if self.kind == "unix":
            return lambda host, port: UNIXClientEndpoint(self.reactor, self.path)
        if self.kind == "ssl":
            return lambda host, port: TCP4ClientEndpoint(
                self.reactor, "127.0.0.1", port
            )
        return None

    def tornado_client(self) -> EndpointHTTPClient:
        client = EndpointHTTPClient(
            force_instance=True,
            endpoint_factory=self.endpoint_factory(),
            reactor=self.reactor,
        )
        self.addCleanup(client.close)
        return client

    def request(self, path: str, **kwargs: Any) -> HTTPRequest:
        if self.kind == "ssl":
            kwargs.setdefault("ca_certs", certificates().ca)
        return HTTPRequest(self.base_url + path, **kwargs)

    def agent(self, persistent: bool = False) -> Any:
        from twisted.internet.ssl import Certificate
        from twisted.web.client import (
            Agent,
            BrowserLikePolicyForHTTPS,
            HTTPConnectionPool,
        )

        pool = HTTPConnectionPool(self.reactor, persistent=persistent)
        self.addCleanup(self._close_pool, pool)
        if self.kind == "unix":
            path, reactor = self.path, self.reactor

            class UNIXEndpoints:
                def endpointForURI(self, uri: Any) -> Any:
                    return UNIXClientEndpoint(reactor, path)

            return Agent.usingEndpointFactory(self.reactor, UNIXEndpoints(), pool=pool)
        if self.kind == "tcp":
            return Agent.usingEndpointFactory(
                self.reactor, _LoopbackEndpoints(self.reactor), pool=pool
            )
        with open(certificates().ca, "rb") as f:
            trust = Certificate.loadPEM(f.read())
        policy = BrowserLikePolicyForHTTPS(trustRoot=trust)
        reactor = self.reactor

        class TLSEndpoints:
            # Agent's own TLS (wrapClientTLS) times its write buffering on
            # the global reactor, which does not run here: see
            # txtornado.endpoints.TLSClientEndpoint.
            def endpointForURI(self, uri: Any) -> Any:
                return TLSClientEndpoint(
                    TCP4ClientEndpoint(reactor, "127.0.0.1", uri.port),
                    policy.creatorForNetloc(uri.host, uri.port),
                    reactor,
                )

        return Agent.usingEndpointFactory(self.reactor, TLSEndpoints(), pool=pool)

    def _close_pool(self, pool: Any) -> None:
        async def close() -> None:
            await pool.closeCachedConnections().asFuture(asyncio.get_running_loop())

        self.run_async(close)

    async def agent_get(
        self, agent: Any, path: str, body: Any = None, method: bytes = b"GET"
    ) -> tuple[Any, bytes]:
        from twisted.web.client import readBody

        loop = asyncio.get_running_loop()
        response = await agent.request(
            method, (self.base_url + path).encode(), None, body
        ).asFuture(loop)
        data = await readBody(response).asFuture(loop)
        return response, data

    # Tornado's client

    def test_tornado_hello(self) -> None:
        """
        Status, headers and body of a plain GET.
        """
        client = self.tornado_client()

        async def go() -> Any:
            return await client.fetch(self.request("/hello?name=txtornado"))

        response = self.run_async(go)
        self.assertEqual(response.code, 200)
        self.assertEqual(response.headers["X-Test"], "yes")
        self.assertEqual(response.body, b"Hello, txtornado")

    def test_tornado_chunked_response(self) -> None:
        """
        A response flushed in pieces arrives chunked and whole.
        """
        client = self.tornado_client()

        async def go() -> Any:
            return await client.fetch(self.request("/chunked"))

        response = self.run_async(go)
        self.assertEqual(response.headers.get("Transfer-Encoding"), "chunked")
        self.assertEqual(response.body, b"".join(b"chunk%d;" % i for i in range(5)))

    def test_tornado_streaming_request_body(self) -> None:
        """
        A request body sent chunked, in pieces, reaches a
        C{stream_request_body} handler whole.
        """
        client = self.tornado_client()
        pieces = [os.urandom(64 * 1024) for _ in range(16)]

        async def producer(write: Callable[[bytes], Awaitable[None]]) -> None:
            for piece in pieces:
                await write(piece)

        async def go() -> Any:
            return await client.fetch(
                self.request("/stream", method="POST", body_producer=producer)
            )

        response = self.run_async(go)
        body = b"".join(pieces)
        self.assertEqual(
            json_decode(response.body),
            {"size": len(body), "sha256": hashlib.sha256(body).hexdigest()},
        )

    def test_tornado_large_response(self) -> None:
        """
        An 8 MiB response arrives whole.
        """
        client = self.tornado_client()

        async def go() -> Any:
            return await client.fetch(self.request("/large"))

        response = self.run_async(go)
        self.assertEqual(len(response.body), LARGE)
        self.assertEqual(response.body, large_body())

    def test_remote_address_and_protocol(self) -> None:
        """
        C{remote_ip} is the peer's address on TCP and TLS (0.0.0.0 on a
        UNIX socket, as with Tornado's own server), C{protocol} is https on
        TLS, and with C{xheaders} X-Real-Ip and X-Scheme override both.
        """
        client = self.tornado_client()

        async def go() -> tuple[Any, Any]:
            plain = await client.fetch(self.request("/remote"))
            proxied = await client.fetch(
                self.request(
                    "/remote",
                    headers={"X-Real-Ip": "10.1.2.3", "X-Scheme": "https"},
                )
            )
            return plain, proxied

        plain, proxied = self.run_async(go)
        plain_info = json_decode(plain.body)
        proxied_info = json_decode(proxied.body)
        expected_ip = "0.0.0.0" if self.kind == "unix" else "127.0.0.1"
        expected_protocol = "https" if self.kind == "ssl" else "http"
        self.assertEqual(
            (plain_info["remote_ip"], plain_info["protocol"]),
            (expected_ip, expected_protocol),
        )
        self.assertEqual(
            (proxied_info["remote_ip"], proxied_info["protocol"]),
            ("10.1.2.3", "https"),
        )

    # Twisted's Agent

    def test_agent_hello_and_chunked(self) -> None:
        """
        Twisted's Agent gets headers and bodies, chunked ones included.
        """
        agent = self.agent()

        async def go() -> tuple[Any, bytes, bytes]:
            response, body = await self.agent_get(agent, "/hello")
            _, chunked = await self.agent_get(agent, "/chunked")
            return response, body, chunked

        response, body, chunked = self.run_async(go)
        self.assertEqual(response.code, 200)
        self.assertEqual(response.headers.getRawHeaders(b"x-test"), [b"yes"])
        self.assertEqual(body, b"Hello, world")
        self.assertEqual(chunked, b"".join(b"chunk%d;" % i for i in range(5)))

    def test_agent_post_body_and_large_response(self) -> None:
        """
        Twisted's Agent posts a 1 MiB body (a producer) and reads an 8 MiB
        response.
        """
        from io import BytesIO

        from twisted.web.client import FileBodyProducer

        agent = self.agent()
        body = os.urandom(1024 * 1024)

        async def go() -> tuple[bytes, bytes]:
            producer = FileBodyProducer(BytesIO(body), cooperator=self._cooperator())
            _, posted = await self.agent_get(agent, "/stream", producer, b"POST")
            _, large = await self.agent_get(agent, "/large")
            return posted, large

        posted, large = self.run_async(go)
        self.assertEqual(
            json_decode(posted),
            {"size": len(body), "sha256": hashlib.sha256(body).hexdigest()},
        )
        self.assertEqual(large, large_body())

    def _cooperator(self) -> Any:
        from twisted.internet.task import Cooperator

        cooperator = Cooperator(scheduler=lambda f: self.reactor.callLater(0, f))
        self.addCleanup(cooperator.stop)
        return cooperator

    def test_agent_keep_alive(self) -> None:
        """
        With a persistent pool, Agent's requests share one connection.
        """
        agent = self.agent(persistent=True)

        async def go() -> list[Any]:
            seen = []
            for _ in range(3):
                _, body = await self.agent_get(agent, "/remote")
                seen.append(json_decode(body)["connection"])
            return seen

        seen = self.run_async(go)
        self.assertEqual(len(set(seen)), 1, seen)
        self.assertEqual(len(self.listener.factory.connections), 1)


class _StopTests:
    """
    L{ListeningServer.stop} lets exchanges in flight finish; C{assert*}
    and the helpers from L{_HTTPEndpointTests}.
    """

    run_async: Callable[..., Any]
    request: Callable[..., HTTPRequest]
    tornado_client: Callable[[], EndpointHTTPClient]
    endpoint_factory: Callable[[], Any]
    reactor: Any
    listener: ListeningServer
    assertEqual: Callable[..., None]
    assertFalse: Callable[..., None]
    assertIsNone: Callable[..., None]

    def test_stop_lets_upload_finish(self) -> None:
        """
        A request whose body is still arriving when C{stop()} is called is
        served to the end; then the connection is closed, and C{stop()}
        fires with 0 (none aborted).
        """

        async def go() -> tuple[Any, int]:
            loop = asyncio.get_running_loop()
            SlowUploadHandler.first_chunk = loop.create_future()
            release: asyncio.Future[None] = loop.create_future()

            async def body(write: Callable[[bytes], Awaitable[None]]) -> None:
                await write(b"a" * 1000)
                await release
                await write(b"b" * 1000)

            fetching = self.tornado_client().fetch(
                self.request(
                    "/upload",
                    method="POST",
                    body_producer=body,
                    headers={"Content-Length": "2000"},
                )
            )
            await SlowUploadHandler.first_chunk
            stopping = self.listener.stop(timeout=None)
            release.set_result(None)
            response = await fetching
            return response, await stopping.asFuture(loop)

        response, forced = self.run_async(go)
        self.assertEqual(
            (response.code, json.loads(response.body)), (200, {"size": 2000})
        )
        self.assertEqual(forced, 0)

    def test_stop_waits_for_websocket_then_timeout_aborts(self) -> None:
        """
        An open websocket keeps working after C{stop()} without a timeout,
        which fires once the client closes it; with a timeout, a busy
        connection still open then is aborted, and counted.
        """

        async def go() -> tuple[Any, ...]:
            loop = asyncio.get_running_loop()
            request = self.request("/ws")
            request.url = request.url.replace("http", "ws", 1)

            async def open_ws() -> Any:
                conn = await websocket_connect(
                    request, self.endpoint_factory(), self.reactor
                )
                await conn.write_message("hello")
                await conn.read_message()
                return conn

            conn = await open_ws()
            stopping = self.listener.stop(timeout=None)
            await conn.write_message("still open")
            echoed = await conn.read_message()
            waited = stopping.called
            conn.close()
            forced = await stopping.asFuture(loop)
            return echoed, waited, forced

        self.assertEqual(self.run_async(go), ("still open", False, 0))

    def test_stop_timeout_aborts_busy(self) -> None:
        """
        At the timeout a websocket (busy) is aborted and counted.
        """

        async def go() -> tuple[int, Any]:
            loop = asyncio.get_running_loop()
            request = self.request("/ws")
            request.url = request.url.replace("http", "ws", 1)
            conn = await websocket_connect(
                request, self.endpoint_factory(), self.reactor
            )
            await conn.write_message("hello")
            await conn.read_message()
            forced = await self.listener.stop(timeout=0).asFuture(loop)
            return forced, await conn.read_message()

        forced, message = self.run_async(go)
        self.assertEqual(forced, 1)
        self.assertIsNone(message)


class _WebSocketTests:
    """
    Tornado's websocket client, through Twisted endpoints
    (L{txtornado.endpoints.websocket_connect}), against the served
    application.
    """

    run_async: Callable[..., Any]
    request: Callable[..., HTTPRequest]
    endpoint_factory: Callable[[], Any]
    reactor: Any
    kind: str
    assertEqual: Callable[..., None]

    MESSAGES = ("hello", b"\x00binary\xff", "x" * 100000)

    async def echo(self, conn: Any) -> list[Any]:
        replies = []
        for message in self.MESSAGES:
            await conn.write_message(message, binary=isinstance(message, bytes))
            replies.append(await conn.read_message())
        conn.close()
        return replies

    def ws_request(self) -> HTTPRequest:
        request = self.request("/ws")
        request.url = request.url.replace("http", "ws", 1)
        return request

    def test_endpoint_websocket_echo(self) -> None:
        """
        The same through Twisted client endpoints (L{websocket_connect}).
        """

        async def go() -> tuple[list[Any], Any]:
            conn = await websocket_connect(
                self.ws_request(), self.endpoint_factory(), self.reactor
            )
            return await self.echo(conn), conn.stream

        replies, stream = self.run_async(go)
        self.assertEqual(replies, list(self.MESSAGES))
        self.assertIsInstance(stream, TwistedIOStream)


class _NativeWebSocketTests(_WebSocketTests):
    """
    Tornado's own websocket client, over its own sockets (so not for UNIX
    endpoints: it has no way to reach one).
    """

    def test_websocket_echo(self) -> None:
        """
        Text and binary messages echo back over the upgraded connection.
        """

        async def go() -> list[Any]:
            return await self.echo(await websocket.websocket_connect(self.ws_request()))

        self.assertEqual(self.run_async(go), list(self.MESSAGES))


for _kind in ("tcp", "ssl", "unix"):
    parametrize(
        globals(),
        (
            _HTTPEndpointTests,
            _StopTests,
            _WebSocketTests if _kind == "unix" else _NativeWebSocketTests,
        ),
        {name: {**variant, "kind": _kind} for name, variant in LOOP_SETUPS.items()},
        name=f"HTTP_{_kind}_{{variant}}Tests",
    )
del _kind

__all__ = ["Certificates", "certificates"]
