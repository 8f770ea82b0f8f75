"""
TLS as real clients see it: ALPN (Python C{ssl} clients offering C{h2}
and C{http/1.1}, curl), the TLS versions and cipher suites servers and
clients allow, and C{ssl_options} that cannot be honoured being refused.

Every test case class runs on both loop set-ups of
L{txtornado.test.test_endpoints}; blocking clients (Python's C{ssl},
curl) run in the loop's executor while the loop serves.  curl is a
required tool here (Debian package C{curl}): without it these tests fail,
they are not skipped.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import ssl
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tornado.httpserver import HTTPServer
from tornado.ioloop import IOLoop
from tornado.netutil import bind_sockets
from tornado.tcpserver import TCPServer
from twisted.internet.endpoints import TCP4ClientEndpoint

from txtornado._compat import twisted as _twisted_private
from txtornado.endpoints import ListeningServer, StreamServerFactory, connect, listen
from txtornado.iostream import TwistedIOStream
from txtornado.test._helpers import parametrize
from txtornado.test.test_endpoints import (
    LOOP_SETUPS,
    LoopTestMixin,
    certificates,
    make_app,
)
from txtornado.tls import (
    DEFAULT_CIPHERS,
    SNIServerOptions,
    client_creator,
    server_options,
)


def curl_path() -> str:
    """
    curl's path; fails the test with how to install it if it is missing.
    """
    path = shutil.which("curl")
    if path is None:
        raise AssertionError(
            "curl is needed for the TLS tests: apt-get install -y curl"
        )
    return path


class TLSResult:
    """
    What a blocking Python C{ssl} client saw: the ALPN protocol, the TLS
    version and cipher, and the HTTP response (or the handshake's error).
    """

    def __init__(self) -> None:
        self.alpn: str | None = None
        self.version: str | None = None
        self.cipher: str | None = None
        self.response = b""
        self.error: ssl.SSLError | None = None


def python_client(
    port: int,
    alpn: list[str] | None = None,
    hostname: str = "localhost",
    configure: Callable[[ssl.SSLContext], None] | None = None,
    request: bool = True,
) -> TLSResult:
    """
    Connect with Python's C{ssl} (trusting the test CA), offering C{alpn},
    and send C{GET /hello} unless C{request} is false.  Blocking: run it in an
    executor.
    """
    context = ssl.create_default_context(cafile=certificates().ca)
    if alpn is not None:
        context.set_alpn_protocols(alpn)
    if configure is not None:
        configure(context)
    result = TLSResult()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        try:
            with context.wrap_socket(raw, server_hostname=hostname) as tls:
                result.alpn = tls.selected_alpn_protocol()
                result.version = tls.version()
                cipher = tls.cipher()
                result.cipher = cipher[0] if cipher else None
                if request:
                    tls.sendall(
                        f"GET /hello HTTP/1.1\r\nHost: {hostname}\r\n"
                        "Connection: close\r\n\r\n".encode()
                    )
                    while data := tls.recv(65536):
                        result.response += data
        except ssl.SSLError as e:
            # a TLS 1.3 server refuses a client certificate after the handshake
            result.error = e
    return result


class _ServerMixin(LoopTestMixin):
    """
    Servers on this test's loop, stopped at the end of the test, and
    blocking clients run while the loop serves.
    """

    addCleanup: Any
    assertEqual: Any
    assertIn: Any
    assertIsNone: Any
    assertIsNotNone: Any
    assertRaises: Any

    def setUp(self) -> None:
        super().setUp()
        self.addCleanup(self._stop_thread_pool)

    def _stop_thread_pool(self) -> None:
        """
        Stop the pool that resolving a name (C{tls:localhost:...}) started:
        closing the loop leaves it running, and its thread would keep the
        process from exiting.
        """
        if getattr(self.reactor, "threadpool", None) is not None:
            _twisted_private.stop_thread_pool(self.reactor)

    def listen(self, server: Any, endpoint: str = "tcp:0:interface=127.0.0.1") -> int:
        async def go() -> ListeningServer:
            return await listen(server, endpoint, self.reactor).asFuture(
                asyncio.get_running_loop()
            )

        listener: ListeningServer = self.run_async(go)

        def stop() -> None:
            async def go() -> None:
                await listener.stop(0).asFuture(asyncio.get_running_loop())

            self.run_async(go)

        self.addCleanup(stop)
        port: int = listener.getHost().port  # type: ignore[attr-defined]
        return port

    def https_server(self, **extra: Any) -> int:
        c = certificates()
        options = {"certfile": c.server_cert, "keyfile": c.server_key, **extra}
        return self.listen(HTTPServer(make_app(), ssl_options=options))

    def blocking(self, fn: Callable[[], Any]) -> Any:
        """
        Run C{fn} in a thread of this test's executor while the loop runs.
        """

        async def go() -> Any:
            return await IOLoop.current().run_in_executor(self.executor(), fn)

        return self.run_async(go)

    def executor(self) -> ThreadPoolExecutor:
        """
        This test's executor for blocking clients, shut down after the test.
        """
        executor: ThreadPoolExecutor | None = getattr(self, "_executor", None)
        if executor is None:
            executor = self._executor = ThreadPoolExecutor(2)
            self.addCleanup(executor.shutdown)
        return executor

    def curl(self, url: str, *args: str) -> subprocess.CompletedProcess[str]:
        command = [curl_path(), "-sS", "-v", "--max-time", "10"]
        command += ["--cacert", certificates().ca, *args, url]
        return self.blocking(
            lambda: subprocess.run(command, capture_output=True, text=True)
        )

    def assertServed(self, result: TLSResult) -> None:
        self.assertIsNone(result.error)
        self.assertIn(b"HTTP/1.1 200 OK", result.response)
        self.assertIn(b"Hello, world", result.response)


class _ALPNTests(_ServerMixin):
    """
    Servers answer ALPN with C{http/1.1}, the one protocol an
    C{HTTPServer}'s stream speaks.
    """

    def test_listenSSLOptions(self) -> None:
        """
        C{listen} with a server's C{ssl_options}: a client offering
        C{h2, http/1.1} gets C{http/1.1} and the page; one offering only
        C{h2} gets a handshake without a protocol, as from Tornado's own
        C{HTTPServer} with the same C{ssl_options}; one offering nothing
        gets the page too.
        """
        port = self.https_server()
        both = self.blocking(lambda: python_client(port, ["h2", "http/1.1"]))
        self.assertServed(both)
        self.assertEqual(both.alpn, "http/1.1")
        none = self.blocking(lambda: python_client(port))
        self.assertServed(none)
        self.assertIsNone(none.alpn)
        h2 = self.blocking(lambda: python_client(port, ["h2"], request=False))
        self.assertIsNone(h2.error)
        self.assertIsNone(h2.alpn)

        c = certificates()
        [sock] = bind_sockets(0, "127.0.0.1")
        tornado_port = sock.getsockname()[1]
        own = HTTPServer(
            make_app(), ssl_options={"certfile": c.server_cert, "keyfile": c.server_key}
        )

        async def serve() -> None:
            own.add_sockets([sock])

        self.run_async(serve)
        self.addCleanup(own.stop)
        tornado_h2 = self.blocking(
            lambda: python_client(tornado_port, ["h2"], request=False)
        )
        self.assertIsNone(tornado_h2.error)
        self.assertEqual(tornado_h2.alpn, h2.alpn)

    def test_curl(self) -> None:
        """
        curl, which offers C{h2} and C{http/1.1}, gets the page over
        C{http/1.1}.
        """
        port = self.https_server()
        done = self.curl(f"https://localhost:{port}/hello")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(done.stdout, "Hello, world")
        self.assertIn("ALPN: server accepted http/1.1", done.stderr)

    def test_sslEndpoint(self) -> None:
        """
        On Twisted's C{ssl:} endpoint (Twisted's context), clients offering
        C{http/1.1} get the page (curl too).  Twisted that asks the factory
        (C{alpn_asks_factory}) names C{http/1.1} and refuses a client
        offering only C{h2} with an alert; earlier Twisted names no
        protocol to any client.
        """
        port = self.listen(HTTPServer(make_app()), certificates().ssl_endpoint())
        asks = _twisted_private.alpn_asks_factory()
        both = self.blocking(lambda: python_client(port, ["h2", "http/1.1"]))
        self.assertServed(both)
        self.assertEqual(both.alpn, "http/1.1" if asks else None)
        done = self.curl(f"https://localhost:{port}/hello")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(done.stdout, "Hello, world")
        h2 = self.blocking(lambda: python_client(port, ["h2"], request=False))
        if asks:
            self.assertIsNotNone(h2.error)
            self.assertIn("ALERT", str(h2.error))
        else:
            self.assertIsNone(h2.error)
            self.assertIsNone(h2.alpn)

    def test_sni(self) -> None:
        """
        L{SNIServerOptions}: each name's certificate, C{http/1.1} over
        ALPN, and no protocol for a client offering only C{h2}.
        """
        c = certificates()
        sni = SNIServerOptions(
            {
                "localhost": {"certfile": c.server_cert, "keyfile": c.server_key},
                "alt.example": {"certfile": c.alt_cert, "keyfile": c.alt_key},
            }
        )
        port = self.listen(HTTPServer(make_app(), ssl_options=sni))
        for name in ("localhost", "alt.example"):
            result = self.blocking(
                lambda name=name: python_client(port, ["h2", "http/1.1"], name)
            )
            self.assertServed(result)
            self.assertEqual(result.alpn, "http/1.1")
            h2 = self.blocking(
                lambda name=name: python_client(port, ["h2"], name, request=False)
            )
            self.assertIsNone(h2.error)
            self.assertIsNone(h2.alpn)
        done = self.curl(f"https://localhost:{port}/hello")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(done.stdout, "Hello, world")

    def test_plainServer(self) -> None:
        """
        A C{TCPServer} that is not an C{HTTPServer} names no protocol:
        an ALPN client gets a handshake without one, and the stream works.
        """
        c = certificates()

        class Echo(TCPServer):
            async def handle_stream(self, stream: Any, address: Any) -> None:
                line = await stream.read_until(b"\n")
                await stream.write(line)
                stream.close()

        port = self.listen(
            Echo(ssl_options={"certfile": c.server_cert, "keyfile": c.server_key})
        )

        def client() -> tuple[str | None, bytes]:
            context = ssl.create_default_context(cafile=c.ca)
            context.set_alpn_protocols(["h2", "http/1.1"])
            with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
                with context.wrap_socket(raw, server_hostname="localhost") as tls:
                    tls.sendall(b"ping\n")
                    return tls.selected_alpn_protocol(), tls.recv(100)

        self.assertEqual(self.blocking(client), (None, b"ping\n"))
        self.assertEqual(StreamServerFactory(Echo()).acceptableProtocols(), [])
        self.assertEqual(
            StreamServerFactory(HTTPServer(make_app())).acceptableProtocols(),
            [b"http/1.1"],
        )


class _ServerSettingsTests(_ServerMixin):
    """
    A server's dict C{ssl_options}: Tornado's keys, each honoured; anything
    else refused.
    """

    def test_unknownKey(self) -> None:
        """
        A key Tornado does not take (a typo of C{cert_reqs}) is refused,
        naming it, instead of serving clients without a certificate.
        """
        c = certificates()
        options = {
            "certfile": c.server_cert,
            "keyfile": c.server_key,
            "cert_req": ssl.CERT_REQUIRED,
            "ca_certs": c.ca,
        }
        with self.assertRaises(ValueError) as caught:
            listen(HTTPServer(make_app(), ssl_options=options), "tcp:0", self.reactor)
        self.assertIn("'cert_req'", str(caught.exception))

    def test_badValues(self) -> None:
        """
        A C{cert_reqs} that is no C{CERT_*}, client certificates asked for
        without C{ca_certs}, and a client-only C{ssl_version} are refused.
        """
        c = certificates()
        base = {"certfile": c.server_cert, "keyfile": c.server_key}
        for extra, message in [
            ({"cert_reqs": 7}, "cert_reqs=7"),
            ({"cert_reqs": ssl.CERT_REQUIRED}, "ca_certs"),
            ({"ssl_version": ssl.PROTOCOL_TLS_CLIENT}, "ssl_version"),
        ]:
            with self.assertRaises(ValueError) as caught:
                server_options({**base, **extra})
            self.assertIn(message, str(caught.exception))

    def test_sslVersion(self) -> None:
        """
        C{ssl_version=PROTOCOL_TLSv1_2} serves TLS 1.2 only; the default
        negotiates TLS 1.3.
        """
        default = self.https_server()
        self.assertEqual(
            self.blocking(lambda: python_client(default)).version, "TLSv1.3"
        )
        tls12 = self.https_server(ssl_version=ssl.PROTOCOL_TLSv1_2)
        result = self.blocking(lambda: python_client(tls12))
        self.assertServed(result)
        self.assertEqual(result.version, "TLSv1.2")

        def only13(context: ssl.SSLContext) -> None:
            context.minimum_version = ssl.TLSVersion.TLSv1_3

        refused = self.blocking(lambda: python_client(tls12, configure=only13))
        self.assertIsNotNone(refused.error)

    def test_clientCertificateRequired(self) -> None:
        """
        C{cert_reqs=CERT_REQUIRED} refuses a client without a certificate
        and serves one with a certificate the CA signed.
        """
        c = certificates()
        port = self.https_server(cert_reqs=ssl.CERT_REQUIRED, ca_certs=c.ca)
        refused = self.blocking(lambda: python_client(port))
        self.assertIn("CERTIFICATE_REQUIRED", str(refused.error))
        self.assertEqual(refused.response, b"")

        def with_cert(context: ssl.SSLContext) -> None:
            context.load_cert_chain(c.client_cert, c.client_key)

        self.assertServed(
            self.blocking(lambda: python_client(port, configure=with_cert))
        )

    def test_defaultCiphers(self) -> None:
        """
        By default a server accepts Python's default TLS 1.2 suites (AEAD
        with ECDHE) and refuses the CBC suites with SHA-1 MACs; the
        C{ciphers} option is honoured.
        """
        port = self.https_server()

        def tls12(cipher: str) -> Callable[[ssl.SSLContext], None]:
            def configure(context: ssl.SSLContext) -> None:
                context.maximum_version = ssl.TLSVersion.TLSv1_2
                context.set_ciphers(cipher)

            return configure

        gcm = self.blocking(
            lambda: python_client(
                port, configure=tls12("ECDHE-ECDSA-AES128-GCM-SHA256")
            )
        )
        self.assertServed(gcm)
        self.assertEqual(gcm.cipher, "ECDHE-ECDSA-AES128-GCM-SHA256")
        sha1 = self.blocking(
            lambda: python_client(port, configure=tls12("ECDHE-ECDSA-AES128-SHA"))
        )
        self.assertIsNotNone(sha1.error)

        chosen = self.https_server(ciphers="ECDHE-ECDSA-AES256-GCM-SHA384")
        only = self.blocking(
            lambda: python_client(
                chosen, configure=tls12("ECDHE-ECDSA-AES128-GCM-SHA256")
            )
        )
        self.assertIsNotNone(only.error)
        right = self.blocking(
            lambda: python_client(
                chosen, configure=tls12("ECDHE-ECDSA-AES256-GCM-SHA384")
            )
        )
        self.assertServed(right)

    def test_defaultCiphersArePythons(self) -> None:
        """
        L{DEFAULT_CIPHERS} selects the TLS 1.2 suites of Python's default
        server context.
        """
        python = {
            c["name"]
            for c in ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).get_ciphers()
            if c["protocol"] != "TLSv1.3"
        }
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.set_ciphers(DEFAULT_CIPHERS)
        ours = {c["name"] for c in context.get_ciphers() if c["protocol"] != "TLSv1.3"}
        self.assertEqual(ours, python)


class _VersionServer(TCPServer):
    """
    Records each connection's TLS version and cipher, then closes it.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.seen: list[tuple[str, str]] = []

    async def handle_stream(self, stream: Any, address: Any) -> None:
        await stream.wait_for_handshake()
        handle = stream.protocol.transport.getHandle()
        self.seen.append((handle.get_protocol_version_name(), handle.get_cipher_name()))
        await stream.write(b"ok")
        stream.close()


class _ClientSettingsTests(_ServerMixin):
    """
    Client C{ssl_options}: an C{ssl.SSLContext}'s versions and ciphers and
    the dict form's C{ssl_version} honoured; the legacy C{ssl:} client
    string refused.
    """

    def version_server(self, **extra: Any) -> tuple[int, _VersionServer]:
        c = certificates()
        server = _VersionServer(
            ssl_options={"certfile": c.server_cert, "keyfile": c.server_key, **extra}
        )
        return self.listen(server), server

    def tls_connect(self, port: int, ssl_options: Any) -> bytes:
        async def go() -> bytes:
            stream = await connect(
                TCP4ClientEndpoint(self.reactor, "127.0.0.1", port),
                self.reactor,
                ssl_options=ssl_options,
                server_hostname="localhost",
            )
            data: bytes = await stream.read_until_close()
            return data

        result: bytes = self.run_async(go)
        return result

    def context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=certificates().ca)

    def test_contextMinimumVersion(self) -> None:
        """
        A context with C{minimum_version=TLSv1_3} refuses a TLS 1.2-only
        server.
        """
        port, _ = self.version_server(ssl_version=ssl.PROTOCOL_TLSv1_2)
        context = self.context()
        context.minimum_version = ssl.TLSVersion.TLSv1_3
        with self.assertRaises(ssl.SSLError):
            self.tls_connect(port, context)
        self.assertEqual(self.tls_connect(port, self.context()), b"ok")

    def test_contextMaximumVersionAndCiphers(self) -> None:
        """
        A context's C{maximum_version}, C{OP_NO_TLSv1_3} and ciphers are
        what the connection negotiates.
        """
        port, server = self.version_server()
        self.assertEqual(self.tls_connect(port, self.context()), b"ok")
        context = self.context()
        context.maximum_version = ssl.TLSVersion.TLSv1_2
        context.set_ciphers("ECDHE-ECDSA-AES256-GCM-SHA384")
        self.assertEqual(self.tls_connect(port, context), b"ok")
        flagged = self.context()
        flagged.options |= ssl.OP_NO_TLSv1_3
        self.assertEqual(self.tls_connect(port, flagged), b"ok")
        self.assertEqual(server.seen[0][0], "TLSv1.3")
        self.assertEqual(server.seen[1], ("TLSv1.2", "ECDHE-ECDSA-AES256-GCM-SHA384"))
        self.assertEqual(server.seen[2][0], "TLSv1.2")

    def test_contextRefused(self) -> None:
        """
        Context settings Twisted's TLS cannot honour are refused: CRL
        checks, and TLS versions that are not one range.
        """
        crl = self.context()
        crl.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF
        with self.assertRaises(ValueError) as caught:
            client_creator(crl, "localhost")
        self.assertIn("revocation", str(caught.exception))
        gap = self.context()
        gap.minimum_version = ssl.TLSVersion.TLSv1_1
        gap.options |= ssl.OP_NO_TLSv1_2
        with self.assertRaises(ValueError) as caught:
            client_creator(gap, "localhost")
        self.assertIn("one range", str(caught.exception))

    def test_dictSettings(self) -> None:
        """
        The dict form's C{ssl_version} and C{ciphers} are honoured; an
        unknown key is refused.
        """
        port, server = self.version_server()
        c = certificates()
        self.assertEqual(
            self.tls_connect(
                port,
                {
                    "ca_certs": c.ca,
                    "ssl_version": ssl.PROTOCOL_TLSv1_2,
                    "ciphers": "ECDHE-ECDSA-CHACHA20-POLY1305",
                },
            ),
            b"ok",
        )
        self.assertEqual(server.seen, [("TLSv1.2", "ECDHE-ECDSA-CHACHA20-POLY1305")])
        with self.assertRaises(ValueError) as caught:
            client_creator({"ca_cert": c.ca}, "localhost")
        self.assertIn("'ca_cert'", str(caught.exception))
        with self.assertRaises(ValueError):
            client_creator({"ssl_version": ssl.PROTOCOL_TLS_SERVER}, "localhost")

    def test_sslClientStringRefused(self) -> None:
        """
        C{connect("ssl:...")}, Twisted's legacy client endpoint, which
        checks neither certificate nor host name, is refused, pointing to
        C{tls:}; C{tls:} verifies (the test CA is not in the platform's
        trust store, so its certificate is refused).
        """
        port, server = self.version_server()

        async def legacy() -> TwistedIOStream:
            return await connect(f"ssl:host=127.0.0.1:port={port}", self.reactor)

        with self.assertRaises(ValueError) as caught:
            self.run_async(legacy)
        self.assertIn("tls:", str(caught.exception))

        async def verified() -> TwistedIOStream:
            return await connect(f"tls:localhost:{port}", self.reactor)

        with self.assertRaises(ssl.SSLCertVerificationError):
            self.run_async(verified)
        self.assertEqual(server.seen, [])


for _mixin in (_ALPNTests, _ServerSettingsTests, _ClientSettingsTests):
    parametrize(globals(), _mixin, LOOP_SETUPS)
del _mixin
