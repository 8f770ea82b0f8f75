# -*- test-case-name: txtornado.test.test_resolver -*-
"""
A Tornado C{Resolver} that resolves host names with Twisted.

L{TwistedResolver} replaces Tornado 4's C{tornado.platform.twisted
.TwistedResolver}, without its limits: it returns every address, honours
C{AF_UNSPEC}, C{AF_INET} and C{AF_INET6}, and never sends C{ANY} queries
(which RFC 8482 lets servers answer with a single record, and which broke
Tornado's old resolver; twisted#10062).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Sequence
from typing import Any

from tornado.netutil import Resolver
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.defer import Deferred, TimeoutError
from twisted.internet.interfaces import (
    IAddress,
    IHostResolution,
    IResolutionReceiver,
)
from twisted.names import cache, client, dns, hosts, resolve
from zope.interface import implementer

from txtornado.futures import future_from_deferred

__all__ = ["TwistedResolver"]

#: (family, sockaddr) pairs, as C{Resolver.resolve} returns them.
Addresses = list[tuple[int, Any]]

#: Address families accepted by L{TwistedResolver.resolve}.
_FAMILIES = (socket.AF_UNSPEC, socket.AF_INET, socket.AF_INET6)

#: At most this many CNAMEs are followed for one name.
_MAX_CNAME_HOPS = 8


class TwistedResolver(Resolver):
    """
    A non-blocking C{tornado.netutil.Resolver} built on Twisted.

    Make it Tornado's default with
    C{Resolver.configure('txtornado.TwistedResolver', **options)}, or pass
    an instance to C{TCPClient(resolver=...)} or
    C{AsyncHTTPClient(resolver=...)}.

    Two ways to resolve, chosen by L{initialize}'s C{names} option:

      - by default, the reactor's C{nameResolver} (Twisted's
        C{IHostnameResolver}): every address C{getaddrinfo} gives, IPv6
        included, and any resolver the application installed with
        C{reactor.installNameResolver} or C{installResolver}.  Twisted's
        default one calls C{getaddrinfo} in the reactor's thread pool,
        which runs once the reactor has started.
      - with C{names=True}, C{twisted.names}: no threads at all.  A
        (C{AF_INET}) and AAAA (C{AF_INET6}) queries, both for C{AF_UNSPEC},
        IPv4 addresses first; the hosts file first, then a cache, then the
        DNS servers.

    Literal IPv4 and IPv6 addresses are returned at once, without a lookup.
    Call L{resolve} in the reactor's (and the loop's) thread.
    """

    def initialize(
        self,
        reactor: Any = None,
        names: bool = False,
        servers: Sequence[tuple[str, int]] | None = None,
        timeout: Sequence[float] = (1, 3, 11, 45),
        hosts_file: str | None = "/etc/hosts",
        resolv_conf: str = "/etc/resolv.conf",
    ) -> None:
        """
        @param reactor: the reactor to resolve with; C{None} means the
            global C{twisted.internet.reactor}, resolved now.
        @param names: resolve with C{twisted.names} instead of the reactor's
            C{nameResolver}.  The options below apply to that only.
        @param servers: the DNS servers, as C{(ip, port)} pairs; by default
            the C{nameserver}s in C{resolv_conf}, read now.
        @param timeout: the seconds to wait for an answer before asking
            again, one entry per try (Twisted's C{client.Resolver}'s
            C{timeout}); after the last, the lookup fails.
        @param hosts_file: the hosts file consulted before DNS, or C{None}.
        @param resolv_conf: where to find the default C{servers}.
        @raise ValueError: if C{names} is set and no server is known.
        """
        if reactor is None:
            from twisted.internet import reactor as global_reactor

            reactor = global_reactor
        self.reactor = reactor
        self._names: resolve.ResolverChain | None = None
        if names:
            self._names = _names_resolver(
                reactor,
                list(servers) if servers is not None else _nameservers(resolv_conf),
                tuple(timeout),
                hosts_file,
            )

    def close(self) -> None:
        """
        Nothing to release: queries in progress finish on their own.
        """

    async def resolve(
        self, host: str, port: int, family: socket.AddressFamily = socket.AF_UNSPEC
    ) -> Addresses:
        """
        Resolve C{host} to the list of C{(family, address)} pairs for every
        address of the given C{family} (C{AF_UNSPEC}: both), where
        C{address} is what C{socket.connect} takes: C{(host, port)} for
        IPv4, C{(host, port, flowinfo, scope_id)} for IPv6.

        @raise IOError: if the host cannot be resolved; the message names
            it.
        @raise ValueError: for a family other than those three.
        """
        if family not in _FAMILIES:
            raise ValueError(f"unsupported address family {family!r}")
        if _is_literal(host):
            return _literal(host, port, family)
        if self._names is not None:
            addresses = await _resolve_names(self._names, host, port, family)
        else:
            addresses = await _resolve_name_resolver(self.reactor, host, port, family)
        if not addresses:
            raise OSError(f"{host!r} has no {_family_name(family)} address")
        return addresses


def _family_name(family: int) -> str:
    if family == socket.AF_INET:
        return "IPv4"
    if family == socket.AF_INET6:
        return "IPv6"
    return "IP"


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.partition("%")[0])
    except ValueError:
        return False
    return True


def _literal(host: str, port: int, family: int) -> Addresses:
    """
    The address of a literal IP address C{host}, as C{getaddrinfo} with
    C{AI_NUMERICHOST} (which never looks anything up) gives it, so that
    IPv6 scope ids are resolved.
    """
    try:
        infos = socket.getaddrinfo(
            host, port, family, socket.SOCK_STREAM, 0, socket.AI_NUMERICHOST
        )
    except socket.gaierror as e:
        raise OSError(f"{host!r} is not a {_family_name(family)} address: {e}") from e
    return [(info[0], info[4]) for info in infos]


# --- The reactor's nameResolver ----------------------------------------------


@implementer(IResolutionReceiver)
class _Receiver:
    """
    Collects the addresses one C{IHostnameResolver.resolveHostName} call
    reports, and fires L{done} with them when it completes.
    """

    def __init__(self) -> None:
        self.addresses: list[IAddress] = []
        self.done: Deferred[list[IAddress]] = Deferred()

    def resolutionBegan(self, resolutionInProgress: IHostResolution) -> None:
        pass

    def addressResolved(self, address: IAddress) -> None:
        self.addresses.append(address)

    def resolutionComplete(self) -> None:
        self.done.callback(self.addresses)


_ADDRESS_TYPES: dict[int, Sequence[type[Any]] | None] = {
    socket.AF_UNSPEC: None,
    socket.AF_INET: [IPv4Address],
    socket.AF_INET6: [IPv6Address],
}


async def _resolve_name_resolver(
    reactor: Any, host: str, port: int, family: int
) -> Addresses:
    receiver = _Receiver()
    reactor.nameResolver.resolveHostName(
        receiver, host, port, _ADDRESS_TYPES[family], "TCP"
    )
    addresses: Addresses = []
    for address in await future_from_deferred(receiver.done):
        if isinstance(address, IPv6Address):
            entry: tuple[int, Any] = (
                socket.AF_INET6,
                (address.host, address.port, address.flowInfo, address.scopeID),
            )
        elif isinstance(address, IPv4Address):
            entry = (socket.AF_INET, (address.host, address.port))
        else:
            continue
        if entry not in addresses:
            addresses.append(entry)
    return addresses


# --- twisted.names -----------------------------------------------------------


def _nameservers(resolv_conf: str) -> list[tuple[str, int]]:
    """
    The C{nameserver} addresses listed in the C{resolv.conf(5)} file
    C{resolv_conf}.

    @raise ValueError: if there are none.
    """
    servers = []
    try:
        with open(resolv_conf) as f:
            for line in f:
                words = line.split()
                if len(words) >= 2 and words[0] == "nameserver":
                    servers.append((words[1], dns.PORT))
    except OSError:
        pass
    if not servers:
        raise ValueError(f"no nameserver in {resolv_conf!r}: pass servers=")
    return servers


def _names_resolver(
    reactor: Any,
    servers: list[tuple[str, int]],
    timeout: tuple[float, ...],
    hosts_file: str | None,
) -> resolve.ResolverChain:
    """
    Twisted's usual resolver chain (as C{twisted.names.client
    .createResolver} builds it), on C{reactor}, with these servers and
    timeout: the hosts file, a cache, then the servers.
    """
    chain: list[Any] = []
    if hosts_file is not None:
        chain.append(hosts.Resolver(hosts_file.encode()))
    chain.append(cache.CacheResolver(reactor=reactor))
    chain.append(client.Resolver(servers=servers, timeout=timeout, reactor=reactor))
    return resolve.ResolverChain(chain)


async def _resolve_names(
    chain: resolve.ResolverChain, host: str, port: int, family: int
) -> Addresses:
    """
    Resolve C{host} with A and/or AAAA queries; succeed if either gives an
    address, else raise C{OSError} with the first query's error.
    """
    families = [socket.AF_INET, socket.AF_INET6] if family == 0 else [family]
    outcomes = await asyncio.gather(
        *(_names_query(chain, host, f) for f in families), return_exceptions=True
    )
    addresses: Addresses = []
    errors: list[BaseException] = []
    for f, outcome in zip(families, outcomes, strict=True):
        if isinstance(outcome, BaseException):
            errors.append(outcome)
            continue
        for ip in outcome:
            sockaddr = (ip, port) if f == socket.AF_INET else (ip, port, 0, 0)
            if (f, sockaddr) not in addresses:
                addresses.append((f, sockaddr))
    if not addresses and errors:
        cancelled = [e for e in errors if isinstance(e, asyncio.CancelledError)]
        if cancelled:
            raise cancelled[0]
        raise OSError(f"could not resolve {host!r}: {_describe(errors[0])}") from (
            errors[0]
        )
    return addresses


async def _names_query(
    chain: resolve.ResolverChain, host: str, family: int
) -> list[str]:
    """
    The addresses in the answer to an A (C{AF_INET}) or AAAA query for
    C{host}, following CNAMEs.
    """
    record_type = dns.A if family == socket.AF_INET else dns.AAAA
    name = host.encode("idna")
    for _ in range(_MAX_CNAME_HOPS):
        if record_type == dns.A:
            lookup = chain.lookupAddress(name)
        else:
            lookup = chain.lookupIPV6Address(name)
        answers, _authority, _additional = await future_from_deferred(lookup)
        found = [r.payload for r in answers if r.type == record_type]
        if found:
            if record_type == dns.A:
                return [payload.dottedQuad() for payload in found]
            return [socket.inet_ntop(socket.AF_INET6, p.address) for p in found]
        aliases = [r.payload.name.name for r in answers if r.type == dns.CNAME]
        if not aliases:
            return []
        name = aliases[-1]
    raise OSError(f"too many CNAMEs for {host!r}")


def _describe(error: BaseException) -> str:
    """
    A short description of a C{twisted.names} lookup error.
    """
    from twisted.names import error as names_error

    if isinstance(error, names_error.DNSNameError):
        return "no such domain (NXDOMAIN)"
    if isinstance(error, TimeoutError):
        return "timed out"
    return f"{type(error).__name__}: {error}"
