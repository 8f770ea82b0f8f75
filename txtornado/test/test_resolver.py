"""
Tests for L{txtornado.TwistedResolver}, on a L{TornadoReactor} and on a
L{TwistedIOLoop} over a new C{EPollReactor}, against a C{twisted.names} DNS
server the tests start on 127.0.0.1.  Runs under pytest and trial.
"""

from __future__ import annotations

import os
import socket
import tempfile
from collections.abc import Callable, Sequence
from typing import Any

from tornado.httpclient import HTTPRequest
from tornado.netutil import Resolver
from tornado.simple_httpclient import SimpleAsyncHTTPClient
from tornado.tcpclient import TCPClient
from twisted.internet import defer, protocol
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.interfaces import IHostnameResolver, IResolutionReceiver
from twisted.names import common, dns, server
from twisted.web.resource import Resource
from twisted.web.server import Site
from zope.interface import implementer

from txtornado import TwistedResolver
from txtornado.test._helpers import parametrize
from txtornado.test.test_futures import LOOP_SETUPS, LoopSetup, LoopSetupMixin

#: The zone the test DNS server answers for.
ZONE: dict[bytes, list[Any]] = {
    b"both.test": [dns.Record_A("127.0.0.1"), dns.Record_AAAA("::1")],
    b"many.test": [
        dns.Record_A("127.0.0.2"),
        dns.Record_A("127.0.0.3"),
        dns.Record_AAAA("::2"),
    ],
    b"v4.test": [dns.Record_A("127.0.0.1")],
    b"v6only.test": [dns.Record_AAAA("::1")],
    b"alias.test": [dns.Record_CNAME(b"v4.test")],
}

#: Names the server never answers.
SILENT = {b"silent.test"}


class _Zone(common.ResolverBase):
    """
    The test server's authority: L{ZONE}; NXDOMAIN for other names; no
    answer at all for L{SILENT} names.  Records the queries it gets.
    """

    def __init__(self) -> None:
        super().__init__()
        self.queries: list[tuple[bytes, int]] = []

    def _lookup(self, name: bytes, cls: int, type: int, timeout: Any) -> Any:
        self.queries.append((name, type))
        if name in SILENT:
            return defer.Deferred()
        if name not in ZONE:
            return defer.fail(dns.AuthoritativeDomainError(name))
        answers = [
            dns.RRHeader(name=name, type=record.TYPE, payload=record, auth=True)
            for record in ZONE[name]
            if record.TYPE in (type, dns.CNAME)
        ]
        for record in ZONE[name]:
            if record.TYPE == dns.CNAME and type != dns.CNAME:
                target = record.name.name
                answers.extend(
                    dns.RRHeader(name=target, type=r.TYPE, payload=r, auth=True)
                    for r in ZONE.get(target, [])
                    if r.TYPE == type
                )
        return defer.succeed((answers, [], []))


@implementer(IHostnameResolver)
class _FakeNameResolver:
    """
    A name resolver an application might install: answers from a table,
    honouring C{addressTypes}, and records its calls.
    """

    def __init__(self, table: dict[str, list[Any]]) -> None:
        self.table = table
        self.calls: list[tuple[str, int, Any]] = []

    def resolveHostName(
        self,
        resolutionReceiver: IResolutionReceiver,
        hostName: str,
        portNumber: int = 0,
        addressTypes: Sequence[type[Any]] | None = None,
        transportSemantics: str = "TCP",
    ) -> IResolutionReceiver:
        self.calls.append((hostName, portNumber, addressTypes))
        resolutionReceiver.resolutionBegan(None)  # type: ignore[arg-type]
        for address in self.table.get(hostName, []):
            if addressTypes is None or type(address) in addressTypes:
                resolutionReceiver.addressResolved(address)
        resolutionReceiver.resolutionComplete()
        return resolutionReceiver


class _Hello(Resource):
    isLeaf = True

    def render_GET(self, request: Any) -> bytes:
        return b"hello from twisted.web"


class _ResolverTests:
    """
    TwistedResolver on C{self.setup}.
    """

    setup: LoopSetup
    assertEqual: Callable[..., None]
    assertIn: Callable[..., None]
    assertIsInstance: Callable[..., None]
    assertRaises: Callable[..., Any]
    addCleanup: Callable[..., None]

    def startServer(self) -> tuple[_Zone, int]:
        """
        Start the test DNS server on a UDP port of 127.0.0.1.
        """
        zone = _Zone()
        factory = server.DNSServerFactory(authorities=[zone])
        port = self.setup.reactor.listenUDP(
            0, dns.DNSDatagramProtocol(factory), interface="127.0.0.1"
        )
        self.addCleanup(port.stopListening)
        return zone, port.getHost().port

    def namesResolver(self, **kwargs: Any) -> tuple[_Zone, TwistedResolver]:
        zone, port = self.startServer()
        kwargs.setdefault("hosts_file", None)
        resolver = TwistedResolver(
            reactor=self.setup.reactor,
            names=True,
            servers=[("127.0.0.1", port)],
            **kwargs,
        )
        return zone, resolver

    def resolveAll(
        self, resolver: Resolver, queries: list[tuple[str, int]]
    ) -> list[Any]:
        """
        Resolve each C{(host, family)} of C{queries} for port 80; collect
        results, or the C{OSError}s.
        """

        async def main() -> list[Any]:
            results: list[Any] = []
            for host, family in queries:
                try:
                    results.append(await resolver.resolve(host, 80, family))
                except OSError as e:
                    results.append(e)
            return results

        return self.setup.run(main)  # type: ignore[no-any-return]

    # twisted.names

    def test_namesFamilies(self) -> None:
        """
        With twisted.names, AF_UNSPEC gives every A then every AAAA address,
        AF_INET only A, AF_INET6 only AAAA; only A and AAAA queries are
        sent, never ANY.
        """
        zone, resolver = self.namesResolver()
        results = self.resolveAll(
            resolver,
            [
                ("many.test", socket.AF_UNSPEC),
                ("many.test", socket.AF_INET),
                ("both.test", socket.AF_INET6),
            ],
        )
        self.assertEqual(
            results,
            [
                [
                    (socket.AF_INET, ("127.0.0.2", 80)),
                    (socket.AF_INET, ("127.0.0.3", 80)),
                    (socket.AF_INET6, ("::2", 80, 0, 0)),
                ],
                [
                    (socket.AF_INET, ("127.0.0.2", 80)),
                    (socket.AF_INET, ("127.0.0.3", 80)),
                ],
                [(socket.AF_INET6, ("::1", 80, 0, 0))],
            ],
        )
        self.assertEqual({t for _, t in zone.queries}, {dns.A, dns.AAAA}, zone.queries)

    def test_namesIPv6Only(self) -> None:
        """
        A name with only an AAAA record resolves for AF_UNSPEC and AF_INET6
        and fails for AF_INET.
        """
        _, resolver = self.namesResolver()
        unspec, v6, v4 = self.resolveAll(
            resolver,
            [
                ("v6only.test", socket.AF_UNSPEC),
                ("v6only.test", socket.AF_INET6),
                ("v6only.test", socket.AF_INET),
            ],
        )
        self.assertEqual(unspec, [(socket.AF_INET6, ("::1", 80, 0, 0))])
        self.assertEqual(v6, unspec)
        self.assertIsInstance(v4, OSError)
        self.assertIn("v6only.test", str(v4))

    def test_namesNXDOMAIN(self) -> None:
        """
        A name that does not exist raises IOError naming the host and
        saying why.
        """
        _, resolver = self.namesResolver()
        [error] = self.resolveAll(resolver, [("nowhere.test", socket.AF_UNSPEC)])
        self.assertIsInstance(error, IOError)
        self.assertIn("nowhere.test", str(error))
        self.assertIn("NXDOMAIN", str(error))

    def test_namesTimeout(self) -> None:
        """
        A server that never answers makes the lookup fail with IOError once
        the configured timeout has passed.
        """
        zone, resolver = self.namesResolver(timeout=(0.05,))
        [error] = self.resolveAll(resolver, [("silent.test", socket.AF_INET)])
        self.assertIsInstance(error, IOError)
        self.assertIn("silent.test", str(error))
        self.assertIn("timed out", str(error))
        self.assertEqual(zone.queries, [(b"silent.test", dns.A)])

    def test_namesCNAME(self) -> None:
        """
        A CNAME's target addresses are returned.
        """
        _, resolver = self.namesResolver()
        [result] = self.resolveAll(resolver, [("alias.test", socket.AF_INET)])
        self.assertEqual(result, [(socket.AF_INET, ("127.0.0.1", 80))])

    def test_namesHostsFile(self) -> None:
        """
        The hosts file answers before DNS, for A and AAAA.
        """
        fd, path = tempfile.mkstemp()
        self.addCleanup(os.remove, path)
        with os.fdopen(fd, "w") as f:
            f.write("127.0.0.9 fromhosts.test\n::9 fromhosts.test\n")
        zone, resolver = self.namesResolver(hosts_file=path)
        [result] = self.resolveAll(resolver, [("fromhosts.test", socket.AF_UNSPEC)])
        self.assertEqual(
            result,
            [
                (socket.AF_INET, ("127.0.0.9", 80)),
                (socket.AF_INET6, ("::9", 80, 0, 0)),
            ],
        )
        self.assertEqual(zone.queries, [])

    def test_namesServersFromResolvConf(self) -> None:
        """
        Without servers=, the nameservers of resolv_conf are used; with
        none there, ValueError.
        """
        fd, path = tempfile.mkstemp()
        self.addCleanup(os.remove, path)
        with os.fdopen(fd, "w") as f:
            f.write("# test\nnameserver 127.0.0.1\n")
        resolver = TwistedResolver(
            reactor=self.setup.reactor, names=True, resolv_conf=path, hosts_file=None
        )
        self.assertEqual(resolver._names.resolvers[-1].servers, [("127.0.0.1", 53)])  # type: ignore[union-attr]
        with open(path, "w") as f:
            f.write("search example\n")
        with self.assertRaises(ValueError):
            TwistedResolver(reactor=self.setup.reactor, names=True, resolv_conf=path)

    # The reactor's nameResolver

    def test_nameResolverInstalledByApplication(self) -> None:
        """
        By default the reactor's nameResolver is used, including one the
        application installed; the family selects the address types asked
        for, and duplicates are dropped.
        """
        fake = _FakeNameResolver(
            {
                "app.test": [
                    IPv6Address("TCP", "::1", 80, 0, 0),
                    IPv4Address("TCP", "127.0.0.1", 80),
                    IPv4Address("TCP", "127.0.0.1", 80),
                ]
            }
        )
        self.setup.reactor.installNameResolver(fake)
        resolver = TwistedResolver(reactor=self.setup.reactor)
        results = self.resolveAll(
            resolver,
            [
                ("app.test", socket.AF_UNSPEC),
                ("app.test", socket.AF_INET),
                ("app.test", socket.AF_INET6),
                ("missing.test", socket.AF_UNSPEC),
            ],
        )
        self.assertEqual(
            results[:3],
            [
                [
                    (socket.AF_INET6, ("::1", 80, 0, 0)),
                    (socket.AF_INET, ("127.0.0.1", 80)),
                ],
                [(socket.AF_INET, ("127.0.0.1", 80))],
                [(socket.AF_INET6, ("::1", 80, 0, 0))],
            ],
        )
        self.assertIsInstance(results[3], IOError)
        self.assertIn("missing.test", str(results[3]))
        self.assertEqual(
            [types for _, _, types in fake.calls],
            [None, [IPv4Address], [IPv6Address], None],
        )

    def test_nameResolverGetaddrinfo(self) -> None:
        """
        The reactor's default nameResolver (getaddrinfo in the reactor's
        thread pool) resolves localhost from /etc/hosts.
        """
        resolver = TwistedResolver(reactor=self.setup.reactor)
        unspec, v4 = self.resolveAll(
            resolver, [("localhost", socket.AF_UNSPEC), ("localhost", socket.AF_INET)]
        )
        self.assertIn((socket.AF_INET, ("127.0.0.1", 80)), unspec)
        self.assertEqual(v4, [(socket.AF_INET, ("127.0.0.1", 80))])

    def test_literalAddresses(self) -> None:
        """
        Literal addresses are returned without any lookup; one of the wrong
        family raises IOError.
        """
        fake = _FakeNameResolver({})
        self.setup.reactor.installNameResolver(fake)
        resolver = TwistedResolver(reactor=self.setup.reactor)
        results = self.resolveAll(
            resolver,
            [
                ("127.0.0.1", socket.AF_UNSPEC),
                ("::1", socket.AF_UNSPEC),
                ("::1", socket.AF_INET6),
                ("127.0.0.1", socket.AF_INET6),
            ],
        )
        self.assertEqual(
            results[:3],
            [
                [(socket.AF_INET, ("127.0.0.1", 80))],
                [(socket.AF_INET6, ("::1", 80, 0, 0))],
                [(socket.AF_INET6, ("::1", 80, 0, 0))],
            ],
        )
        self.assertIsInstance(results[3], IOError)
        self.assertIn("127.0.0.1", str(results[3]))
        self.assertEqual(fake.calls, [])

    def test_configure(self) -> None:
        """
        C{Resolver.configure('txtornado.TwistedResolver', ...)} makes it
        Tornado's resolver, with the options given.
        """
        _, port = self.startServer()
        Resolver.configure(
            "txtornado.TwistedResolver",
            reactor=self.setup.reactor,
            names=True,
            servers=[("127.0.0.1", port)],
            hosts_file=None,
        )
        self.addCleanup(Resolver.configure, None)
        resolver = Resolver()
        self.assertIsInstance(resolver, TwistedResolver)
        [result] = self.resolveAll(resolver, [("v4.test", socket.AF_INET)])
        self.assertEqual(result, [(socket.AF_INET, ("127.0.0.1", 80))])

    # Tornado clients

    def test_tcpClient(self) -> None:
        """
        Tornado's TCPClient connects to a Twisted server by a name the
        resolver looks up in DNS.
        """
        _, resolver = self.namesResolver()
        listening = self.setup.reactor.listenTCP(
            0, protocol.Factory.forProtocol(_Echo), interface="127.0.0.1"
        )
        self.addCleanup(listening.stopListening)

        async def main() -> bytes:
            client = TCPClient(resolver=resolver)
            stream = await client.connect("v4.test", listening.getHost().port)
            try:
                await stream.write(b"ping\n")
                return await stream.read_until(b"\n")
            finally:
                stream.close()
                client.close()

        self.assertEqual(self.setup.run(main), b"ping\n")

    def test_asyncHTTPClient(self) -> None:
        """
        Tornado's HTTP client fetches from twisted.web by a name the
        resolver looks up in DNS.
        """
        _, resolver = self.namesResolver()
        listening = self.setup.reactor.listenTCP(
            0, Site(_Hello()), interface="127.0.0.1"
        )
        self.addCleanup(listening.stopListening)

        async def main() -> bytes:
            client = SimpleAsyncHTTPClient(force_instance=True, resolver=resolver)
            try:
                url = f"http://v4.test:{listening.getHost().port}/"
                response = await client.fetch(HTTPRequest(url, request_timeout=10))
                return response.body
            finally:
                client.close()

        self.assertEqual(self.setup.run(main), b"hello from twisted.web")


class _Echo(protocol.Protocol):
    def dataReceived(self, data: bytes) -> None:
        self.transport.write(data)  # type: ignore[union-attr]


parametrize(globals(), (_ResolverTests, LoopSetupMixin), LOOP_SETUPS)
