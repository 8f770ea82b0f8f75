# -*- test-case-name: txtornado.test.test_hosting,txtornado.test.test_twistd_hosting -*-
"""
Proxy headers honoured only from trusted peers (C{--forwarded-allow-ips}).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from tornado.httpserver import HTTPServer

__all__ = ["ForwardedAllowIPs", "ForwardedHTTPServer"]

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class ForwardedAllowIPs:
    """
    The peers whose proxy headers are believed: addresses and networks
    (CIDR), as uvicorn's and gunicorn's C{--forwarded-allow-ips} take them.

    C{*} trusts every peer; C{unix} trusts peers on UNIX sockets (which
    otherwise are not trusted: they have no address to check).

    @ivar networks: the trusted networks (an address is a network of one).
    @ivar everyone: whether C{*} was given.
    @ivar unix: whether C{unix} was given.
    """

    def __init__(self, entries: Iterable[str]) -> None:
        """
        @raise ValueError: for an entry that is neither an address, a
            network, C{*} nor C{unix}, naming it.
        """
        self.networks: list[_Network] = []
        self.everyone = False
        self.unix = False
        for entry in entries:
            entry = entry.strip()
            if entry == "*":
                self.everyone = True
            elif entry == "unix":
                self.unix = True
            elif entry:
                try:
                    self.networks.append(ipaddress.ip_network(entry, strict=False))
                except ValueError:
                    raise ValueError(
                        f"{entry!r} is not an IP address, a network (CIDR), "
                        "'*' or 'unix'"
                    ) from None

    @classmethod
    def fromString(cls, value: str) -> ForwardedAllowIPs:
        """
        Parse a comma-separated list (C{"127.0.0.1,10.0.0.0/8"}).
        """
        return cls(value.split(","))

    def trusts(self, address: Any) -> bool:
        """
        Whether a peer at C{address} (Tornado's form: an C{(ip, port, ...)}
        tuple, or a string for a UNIX socket) is trusted.
        """
        if self.everyone:
            return True
        if not isinstance(address, tuple):
            return self.unix
        try:
            ip = ipaddress.ip_address(address[0])
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        return any(ip in network for network in self.networks)


class ForwardedHTTPServer(HTTPServer):
    """
    An C{HTTPServer} that honours proxy headers (C{X-Forwarded-For},
    C{X-Real-Ip}, C{X-Forwarded-Proto}, C{X-Scheme}: Tornado's C{xheaders})
    on connections from trusted peers only; others are served as with
    C{xheaders=False}, their headers left as sent.

    Trusted connections are handed (C{handle_stream}) to a second
    C{HTTPServer} made with the same arguments and C{xheaders=True}.

    @ivar allowed: the trusted peers.
    @ivar trusting: the server for trusted connections.
    """

    def initialize(  # type: ignore[override]
        self,
        request_callback: Any,
        *,
        forwarded_allow_ips: ForwardedAllowIPs,
        **kwargs: Any,
    ) -> None:
        """
        @param forwarded_allow_ips: the trusted peers.
        @param kwargs: C{HTTPServer}'s; C{xheaders} is ignored (it is what
            this server decides per connection).
        """
        kwargs.pop("xheaders", None)
        super().initialize(request_callback, xheaders=False, **kwargs)
        self.allowed = forwarded_allow_ips
        self.trusting = HTTPServer(request_callback, xheaders=True, **kwargs)

    def handle_stream(self, stream: Any, address: Any) -> None:
        """
        Serve a connection: with proxy headers if its peer is trusted.
        """
        if self.allowed.trusts(address):
            self.trusting.handle_stream(stream, address)
        else:
            super().handle_stream(stream, address)

    async def close_all_connections(self) -> None:
        await super().close_all_connections()
        await self.trusting.close_all_connections()
