"""
txtornado: Twisted and Tornado on one event loop, in both directions.

- L{TornadoReactor} / L{install}: a Twisted reactor on a Tornado IOLoop.
- L{TwistedEventLoop} / L{TwistedEventLoopPolicy}: an asyncio event loop on
  any Twisted reactor.
- L{TwistedIOLoop}: a Tornado IOLoop on any Twisted reactor.
- L{future_from_deferred} / L{deferred_from_future} (and Tornado's names
  L{to_asyncio_future} / L{to_tornado_future}): Deferreds and futures in
  both directions; see L{txtornado.futures}.
- L{listen} / L{connect} / L{EndpointHTTPClient}: Tornado servers and
  clients on Twisted endpoints, over L{TwistedIOStream}; see
  L{txtornado.endpoints}.  Twisted's TLS (pyOpenSSL, C{twisted[tls]}) is a
  requirement: streams, endpoints and the twistd plugin use it.
"""

from txtornado._version import __version__
from txtornado.eventloop import TwistedEventLoop
from txtornado.executor import ReactorThreadPoolExecutor
from txtornado.futures import (
    deferred_from_future,
    enable_deferred_await,
    future_from_deferred,
    to_asyncio_future,
    to_tornado_future,
)
from txtornado.ioloop import TwistedIOLoop
from txtornado.policy import TwistedEventLoopPolicy
from txtornado.reactor import TornadoReactor, install
from txtornado.resolver import TwistedResolver
from txtornado.service import TornadoService

__all__ = [
    "ReactorThreadPoolExecutor",
    "TornadoReactor",
    "TornadoService",
    "TwistedEventLoop",
    "TwistedEventLoopPolicy",
    "TwistedIOLoop",
    "TwistedResolver",
    "__version__",
    "deferred_from_future",
    "enable_deferred_await",
    "future_from_deferred",
    "install",
    "to_asyncio_future",
    "to_tornado_future",
]


#: names from txtornado.endpoints / txtornado.iostream / txtornado.tls,
#: looked up on first use
_LAZY = {
    "EndpointHTTPClient": "txtornado.endpoints",
    "EndpointTCPClient": "txtornado.endpoints",
    "SNIServerOptions": "txtornado.tls",
    "TwistedIOStream": "txtornado.iostream",
    "TwistedSSLIOStream": "txtornado.iostream",
    "connect": "txtornado.endpoints",
    "listen": "txtornado.endpoints",
    "websocket_connect": "txtornado.endpoints",
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'txtornado' has no attribute {name!r}")
