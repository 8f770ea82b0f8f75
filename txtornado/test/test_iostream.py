"""
L{txtornado.iostream} beyond Tornado's own mixin: flow control both ways,
bad input (unsatisfiable reads, resets mid-read and mid-write), TLS
(verification on by default, C{start_tls}, client certificates), and the
transport tuning.  Every case runs on both loop
set-ups (see L{txtornado.test.test_endpoints}).
"""

from __future__ import annotations

import asyncio
import os
import socket
import ssl
import struct
import tempfile
from collections.abc import Awaitable, Callable
from typing import Any

from tornado.concurrent import Future
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.httpserver import HTTPServer
from tornado.iostream import (
    IOStream,
    StreamBufferFullError,
    StreamClosedError,
    UnsatisfiableReadError,
)
from twisted.internet.endpoints import TCP4ClientEndpoint
from twisted.trial.unittest import SynchronousTestCase

from txtornado.endpoints import EndpointHTTPClient, connect, listen
from txtornado.iostream import (
    TRANSPORT_BUFFER_SIZE,
    TRANSPORT_SEND_LIMIT,
    StreamProtocol,
    TwistedIOStream,
    TwistedSSLIOStream,
)
from txtornado.test.test_endpoints import (
    SETUPS,
    LoopTestMixin,
    certificates,
    make_app,
)
from txtornado.testing import stream_pair
from txtornado.tls import SNIServerOptions

MB = 1024 * 1024


class _StreamTests(LoopTestMixin):
    assertEqual: Any
    assertIs: Any
    assertIsInstance: Any
    assertTrue: Any
    assertFalse: Any
    assertRaises: Any
    assertLessEqual: Any

    async def pair(
        self, server_kwargs: Any = None, client_kwargs: Any = None
    ) -> tuple[TwistedIOStream, TwistedIOStream]:
        """
        A connected (server, client) pair over Twisted TCP on 127.0.0.1.
        """
        return await stream_pair(self.reactor, server_kwargs, client_kwargs)

    @staticmethod
    def reset(stream: TwistedIOStream) -> None:
        """
        Close C{stream}'s connection with a TCP reset (SO_LINGER 0).
        """
        sock = stream.socket
        assert sock is not None
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        stream.transport.abortConnection()

    # flow control

    def test_read_flow_control_pauses_transport(self) -> None:
        """
        Past C{max_buffer_size} the reader pauses its transport instead of
        buffering more (or dropping anything); reading on resumes it, and
        every byte arrives.
        """
        data = bytes(range(256)) * (16 * 1024)  # 4 MiB
        limit = 256 * 1024
        peak = [0]
        paused = [0]

        async def go() -> bytes:
            server, client = await self.pair(server_kwargs={"max_buffer_size": limit})
            transport = server.protocol.transport
            pause = transport.pauseProducing
            first_pause: Future[None] = Future()

            def counting_pause() -> None:
                paused[0] += 1
                if not first_pause.done():
                    first_pause.set_result(None)
                pause()

            transport.pauseProducing = counting_pause
            written = client.write(data)
            # nothing is read until the reader has paused its transport
            await first_pause
            peak[0] = server._read_buffer_size + server.protocol.pending_size
            got = []
            while sum(map(len, got)) < len(data):
                got.append(await server.read_bytes(64 * 1024))
                peak[0] = max(
                    peak[0], server._read_buffer_size + server.protocol.pending_size
                )
            await written
            server.close()
            client.close()
            return b"".join(got)

        self.assertEqual(self.run_async(go), data)
        self.assertTrue(paused[0] > 0)
        # at most one transport read (64 KiB) beyond the limit
        # one read of the transport's size may overshoot
        self.assertLessEqual(peak[0], limit + TRANSPORT_BUFFER_SIZE)

    def test_write_waits_for_transport(self) -> None:
        """
        A write larger than the transport takes stays in the stream's buffer
        (C{writing()}, its future pending) until the peer reads.
        """

        async def go() -> tuple[bool, bool, bool, int]:
            server, client = await self.pair()
            written = client.write(b"x" * 8 * MB)
            state = (client.writing(), written.done(), client.protocol.write_paused)
            total = 0
            while total < 8 * MB:
                total += len(await server.read_bytes(MB, partial=True))
            await written
            server.close()
            client.close()
            return (*state, total)

        self.assertEqual(self.run_async(go), (True, False, True, 8 * MB))

    def test_max_write_buffer_size(self) -> None:
        """
        A write that would take the buffer past C{max_write_buffer_size}
        raises C{StreamBufferFullError}, as Tornado's streams do.
        """

        async def go() -> None:
            server, client = await self.pair(
                client_kwargs={"max_write_buffer_size": MB}
            )
            try:
                client.write(b"x" * 4 * MB)
            finally:
                server.close()
                client.close()

        self.assertRaises(StreamBufferFullError, self.run_async, go)

    # bad input

    def test_unsatisfiable_read_closes_only_that_connection(self) -> None:
        """
        A peer sending more than C{max_bytes} without the delimiter gets its
        connection closed (C{UnsatisfiableReadError} on the reading side);
        another connection is undisturbed.
        """

        async def go() -> tuple[Any, bytes, bytes]:
            server, client = await self.pair()
            other_server, other_client = await self.pair()
            reading = server.read_until(b"\n", max_bytes=1024)
            client.write(b"x" * 4096)
            try:
                await reading
            except StreamClosedError as e:
                error: Any = e.real_error
            else:
                error = None
            rest = await client.read_until_close()
            other_client.write(b"fine\n")
            line = await other_server.read_until(b"\n")
            other_server.close()
            other_client.close()
            return error, rest, line

        error, rest, line = self.run_async(go)
        self.assertIsInstance(error, UnsatisfiableReadError)
        self.assertEqual((rest, line), (b"", b"fine\n"))

    def test_buffer_full_without_delimiter(self) -> None:
        """
        Past C{max_buffer_size} without the delimiter (no C{max_bytes}), the
        read fails with C{StreamClosedError} whose real error is what
        Tornado's own C{IOStream} gives: C{StreamBufferFullError} on
        Tornado 6.5.10 and 6.6, none on 6.4 and 6.5.0 (which close the
        stream without one).
        """

        async def overflow(server: Any, client: Any) -> Any:
            reading = server.read_until(b"\n")
            client.write(b"x" * 1024 * 1024)
            try:
                await reading
            except StreamClosedError as e:
                return e.real_error
            finally:
                client.close()
            raise AssertionError("the read did not fail")

        async def stock() -> Any:
            a, b = socket.socketpair()
            return await overflow(IOStream(a, max_buffer_size=65536), IOStream(b))

        async def go() -> Any:
            server, client = await self.pair(server_kwargs={"max_buffer_size": 65536})
            return await overflow(server, client)

        expected = self.run_async(stock)
        if expected is not None:
            self.assertIsInstance(expected, StreamBufferFullError)
        self.assertIs(type(self.run_async(go)), type(expected))

    def test_reset_mid_read(self) -> None:
        """
        A reset while a read waits fails it with C{StreamClosedError} whose
        C{real_error} is a C{ConnectionResetError}.
        """

        async def go() -> Any:
            server, client = await self.pair()
            reading = server.read_bytes(100)
            client.write(b"partial")
            await client.write(b"")
            self.reset(client)
            try:
                await reading
            except StreamClosedError as e:
                return e.real_error

        self.assertIsInstance(self.run_async(go), ConnectionResetError)

    def test_reset_mid_write(self) -> None:
        """
        A reset while a large write waits fails it with C{StreamClosedError}
        whose C{real_error} is set (a connection reset or broken pipe).
        """

        async def go() -> Any:
            server, client = await self.pair()
            writing = server.write(b"x" * 16 * MB)
            await client.read_bytes(1024)
            self.reset(client)
            try:
                await writing
            except StreamClosedError as e:
                return e.real_error

        error = self.run_async(go)
        self.assertIsInstance(error, (ConnectionResetError, BrokenPipeError))

    # TLS

    def tls_connect(self, port: int, ssl_options: Any, hostname: str) -> Any:
        async def go() -> Any:
            return await connect(
                TCP4ClientEndpoint(self.reactor, "127.0.0.1", port),
                self.reactor,
                ssl_options=ssl_options,
                server_hostname=hostname,
            )

        return self.run_async(go)

    def tls_server(self, ssl_options: Any = None, **ssl_extra: Any) -> int:
        c = certificates()
        options = ssl_options or {
            "certfile": c.server_cert,
            "keyfile": c.server_key,
            **ssl_extra,
        }

        async def go() -> Any:
            return await listen(
                HTTPServer(make_app(), ssl_options=options),
                "tcp:0:interface=127.0.0.1",
                self.reactor,
            ).asFuture(asyncio.get_running_loop())

        listener = self.run_async(go)

        def stop() -> None:
            async def go() -> None:
                await listener.stop(0).asFuture(asyncio.get_running_loop())

            self.run_async(go)

        self.addCleanup(stop)
        port: int = listener.getHost().port
        return port

    def test_tls_verifies_by_default(self) -> None:
        """
        A TLS client refuses a certificate its trust roots do not vouch
        for (the platform's by default, an unrelated CA), or for another
        host name; the right CA and name connect.
        """
        port = self.tls_server()
        c = certificates()
        for options, hostname in (
            (True, "localhost"),
            ({"ca_certs": c.other_ca}, "localhost"),
            ({"ca_certs": c.ca}, "example.com"),
            (ssl.create_default_context(cafile=c.other_ca), "localhost"),
        ):
            self.assertRaises(
                (ssl.SSLError, StreamClosedError),
                self.tls_connect,
                port,
                options,
                hostname,
            )
        # refused certificates raise what Tornado's own streams raise
        for options, hostname in (
            ({"ca_certs": c.other_ca}, "localhost"),
            ({"ca_certs": c.ca}, "example.com"),
        ):
            self.assertRaises(
                ssl.SSLCertVerificationError,
                self.tls_connect,
                port,
                options,
                hostname,
            )
        stream = self.tls_connect(port, {"ca_certs": c.ca}, "localhost")
        self.assertIsInstance(stream, TwistedSSLIOStream)
        cert = stream.get_ssl_certificate()
        self.assertEqual(cert["subject"], ((("commonName", "localhost"),),))
        self.assertEqual(
            cert["subjectAltName"],
            (("DNS", "localhost"), ("IP Address", "127.0.0.1")),
        )
        self.assertRegex(cert["notAfter"], r"^\w{3} \d\d \d\d:\d\d:\d\d \d{4} GMT$")
        stream.close()
        stream = self.tls_connect(
            port, ssl.create_default_context(cafile=c.ca), "localhost"
        )
        stream.close()

    def test_connect_errors_are_os_errors(self) -> None:
        """
        Failing to connect raises the C{OSError} a socket would (the
        Twisted error as its C{__cause__}), as Tornado's C{TCPClient} does:
        a refused TCP port, a missing UNIX socket, through L{connect} and
        L{EndpointHTTPClient}.
        """
        from twisted.internet import error as terror
        from twisted.internet.protocol import Factory

        closed = self.reactor.listenTCP(0, Factory(), interface="127.0.0.1")
        port = closed.getHost().port
        self.run_async(
            lambda: closed.stopListening().asFuture(asyncio.get_running_loop())
        )
        missing = os.path.join(tempfile.mkdtemp(prefix="txt-"), "nothing.sock")
        client = EndpointHTTPClient(force_instance=True, reactor=self.reactor)
        self.addCleanup(client.close)

        def failure(connecting: Callable[[], Awaitable[Any]]) -> BaseException:
            async def go() -> BaseException:
                try:
                    await connecting()
                except BaseException as e:
                    return e
                raise AssertionError("connected")

            result: BaseException = self.run_async(go)
            return result

        refused = failure(lambda: connect(f"tcp:127.0.0.1:{port}", self.reactor))
        self.assertIsInstance(refused, ConnectionRefusedError)
        self.assertIsInstance(refused.__cause__, terror.ConnectionRefusedError)
        no_file = failure(lambda: connect(f"unix:{missing}", self.reactor))
        self.assertIsInstance(no_file, OSError)
        self.assertIsInstance(no_file.__cause__, terror.ConnectError)
        fetched = failure(lambda: client.fetch(f"http://127.0.0.1:{port}/"))
        self.assertIsInstance(fetched, ConnectionRefusedError)

    def test_sni_server(self) -> None:
        """
        L{SNIServerOptions} serves each host name the client sends with its
        certificate (exact names, then one-label wildcards), and names it
        does not list, or no name, with the default one.
        """
        c = certificates()
        localhost = {"certfile": c.server_cert, "keyfile": c.server_key}
        alt = {"certfile": c.alt_cert, "keyfile": c.alt_key}
        port = self.tls_server(
            SNIServerOptions({"ALT.example.": alt, "*.wild.example": alt}, localhost)
        )
        unverified = {"cert_reqs": ssl.CERT_NONE}
        seen = {}
        for hostname, options in (
            ("localhost", {"ca_certs": c.ca}),
            ("alt.example", {"ca_certs": c.ca}),
            ("a.wild.example", {"ca_certs": c.ca}),
            ("b.a.wild.example", unverified),
            ("unknown.example", unverified),
        ):
            stream = self.tls_connect(port, options, hostname)
            seen[hostname] = stream.get_ssl_certificate(binary_form=True)
            stream.close()
        alt_der = ssl.PEM_cert_to_DER_cert(open(c.alt_cert).read())
        localhost_der = ssl.PEM_cert_to_DER_cert(open(c.server_cert).read())
        self.assertEqual(
            seen,
            {
                "localhost": localhost_der,
                "alt.example": alt_der,
                "a.wild.example": alt_der,
                "b.a.wild.example": localhost_der,
                "unknown.example": localhost_der,
            },
        )

    def test_start_tls(self) -> None:
        """
        C{start_tls} on both ends of a plain connection gives TLS streams
        that carry data.
        """
        c = certificates()

        async def go() -> tuple[bytes, bytes]:
            server, client = await self.pair()
            server_tls = server.start_tls(
                True, {"certfile": c.server_cert, "keyfile": c.server_key}
            )
            client_tls = client.start_tls(False, {"ca_certs": c.ca}, "localhost")
            s, cl = await server_tls, await client_tls
            await cl.write(b"ping\n")
            got = await s.read_until(b"\n")
            await s.write(b"pong\n")
            back = await cl.read_until(b"\n")
            s.close()
            cl.close()
            return got, back

        self.assertEqual(self.run_async(go), (b"ping\n", b"pong\n"))

    def test_client_certificate(self) -> None:
        """
        A server requiring client certificates serves L{EndpointHTTPClient}
        with a request's C{client_cert}, and refuses one without.
        """
        c = certificates()
        port = self.tls_server(cert_reqs=ssl.CERT_REQUIRED, ca_certs=c.ca)
        client = EndpointHTTPClient(force_instance=True, reactor=self.reactor)
        self.addCleanup(client.close)
        url = f"https://127.0.0.1:{port}/remote"

        async def with_cert() -> Any:
            return await client.fetch(
                HTTPRequest(
                    url,
                    ca_certs=c.ca,
                    client_cert=c.client_cert,
                    client_key=c.client_key,
                )
            )

        async def without() -> Any:
            return await client.fetch(HTTPRequest(url, ca_certs=c.ca))

        self.assertEqual(self.run_async(with_cert).code, 200)
        self.assertRaises(
            (ssl.SSLError, StreamClosedError, HTTPClientError, OSError),
            self.run_async,
            without,
        )


for _name, _factory in SETUPS.items():
    globals()[f"Stream{_name}Tests"] = type(
        f"Stream{_name}Tests",
        (_StreamTests, SynchronousTestCase),
        {"setupFactory": staticmethod(_factory), "__module__": __name__},
    )


class _RecordingSocket:
    """
    Just enough of a socket for C{tcp.Connection}'s C{doRead} and
    C{writeSomeData}: records the sizes asked for and given.
    """

    def __init__(self) -> None:
        self.recv_sizes: list[int] = []
        self.sent_sizes: list[int] = []

    def fileno(self) -> int:
        return -1

    def setblocking(self, flag: bool) -> None:
        pass

    def recv(self, size: int) -> bytes:
        self.recv_sizes.append(size)
        return b"x"

    def send(self, data: Any) -> int:
        self.sent_sizes.append(len(data))
        return len(data)


class TransportTuningTests(SynchronousTestCase):
    """
    L{StreamProtocol} sets a plain TCP transport's C{bufferSize} and
    C{SEND_LIMIT} (C{twisted.internet.abstract.FileDescriptor} attributes);
    these tests fail if Twisted stops reading them where we rely on it.
    """

    def connection(self) -> tuple[Any, _RecordingSocket]:
        from twisted.internet.tcp import Connection
        from twisted.internet.testing import MemoryReactor

        sock = _RecordingSocket()
        protocol = StreamProtocol()
        transport = Connection(sock, protocol, MemoryReactor())  # type: ignore[arg-type]
        transport.connected = True  # as tcp.Server and tcp.Client do
        protocol.makeConnection(transport)
        return transport, sock

    def test_tuned(self) -> None:
        """
        The transport gets the stream's sizes, and it registers the protocol
        as a pull producer.
        """
        transport, _ = self.connection()
        self.assertEqual(transport.bufferSize, TRANSPORT_BUFFER_SIZE)
        self.assertEqual(transport.SEND_LIMIT, TRANSPORT_SEND_LIMIT)
        self.assertIs(transport.streamingProducer, False)

    def test_doRead_reads_bufferSize(self) -> None:
        """
        C{doRead} asks C{recv} for C{bufferSize} bytes.
        """
        transport, sock = self.connection()
        transport.doRead()
        self.assertEqual(sock.recv_sizes, [TRANSPORT_BUFFER_SIZE])

    def test_doWrite_sends_SEND_LIMIT(self) -> None:
        """
        C{doWrite} passes at most C{SEND_LIMIT} bytes to C{send}, and calls
        the pull producer back once it has sent everything.
        """
        transport, sock = self.connection()
        protocol = transport.protocol
        protocol.write(b"x" * (TRANSPORT_SEND_LIMIT + 10))
        protocol.wrote(TRANSPORT_SEND_LIMIT + 10)
        self.assertTrue(protocol.write_paused)
        transport.doWrite()
        self.assertEqual(sock.sent_sizes, [TRANSPORT_SEND_LIMIT])
        self.assertTrue(protocol.write_paused)
        transport.doWrite()
        self.assertEqual(sock.sent_sizes, [TRANSPORT_SEND_LIMIT, 10])
        self.assertFalse(protocol.write_paused)
