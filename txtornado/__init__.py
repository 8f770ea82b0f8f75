# -*- test-case-name: txtornado.test.test_install -*-
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

from __future__ import annotations

from typing import TYPE_CHECKING

from txtornado._version import __version__

if TYPE_CHECKING:
    from txtornado.endpoints import (
        EndpointHTTPClient,
        EndpointTCPClient,
        connect,
        listen,
        websocket_connect,
    )
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
    from txtornado.iostream import TwistedIOStream, TwistedSSLIOStream
    from txtornado.policy import TwistedEventLoopPolicy
    from txtornado.reactor import TornadoReactor, install
    from txtornado.resolver import TwistedResolver
    from txtornado.service import TornadoService
    from txtornado.tls import SNIServerOptions

__all__ = [
    "EndpointHTTPClient",
    "EndpointTCPClient",
    "ReactorThreadPoolExecutor",
    "SNIServerOptions",
    "TornadoReactor",
    "TornadoService",
    "TwistedEventLoop",
    "TwistedEventLoopPolicy",
    "TwistedIOLoop",
    "TwistedIOStream",
    "TwistedResolver",
    "TwistedSSLIOStream",
    "__version__",
    "connect",
    "deferred_from_future",
    "enable_deferred_await",
    "future_from_deferred",
    "install",
    "listen",
    "to_asyncio_future",
    "to_tornado_future",
    "websocket_connect",
]

#: Every name of C{__all__} but C{__version__} is imported from its module
#: on first use, so that importing the package (as pytest does for the
#: C{pytest11} entry point, L{txtornado.pytest_plugin}) imports neither
#: Twisted nor Tornado; C{txtornado.test.test_package} checks that this
#: table, C{__all__} and the C{TYPE_CHECKING} imports (what type checkers
#: see) name the same objects.
_LAZY = {
    "EndpointHTTPClient": "txtornado.endpoints",
    "EndpointTCPClient": "txtornado.endpoints",
    "ReactorThreadPoolExecutor": "txtornado.executor",
    "SNIServerOptions": "txtornado.tls",
    "TornadoReactor": "txtornado.reactor",
    "TornadoService": "txtornado.service",
    "TwistedEventLoop": "txtornado.eventloop",
    "TwistedEventLoopPolicy": "txtornado.policy",
    "TwistedIOLoop": "txtornado.ioloop",
    "TwistedIOStream": "txtornado.iostream",
    "TwistedResolver": "txtornado.resolver",
    "TwistedSSLIOStream": "txtornado.iostream",
    "connect": "txtornado.endpoints",
    "deferred_from_future": "txtornado.futures",
    "enable_deferred_await": "txtornado.futures",
    "future_from_deferred": "txtornado.futures",
    "install": "txtornado.reactor",
    "listen": "txtornado.endpoints",
    "to_asyncio_future": "txtornado.futures",
    "to_tornado_future": "txtornado.futures",
    "websocket_connect": "txtornado.endpoints",
}

#: Submodules reachable as attributes of the package, imported on first
#: use: C{import txtornado} then C{txtornado.reactor...} works.
_SUBMODULES = frozenset(
    {
        "endpoints",
        "eventloop",
        "executor",
        "futures",
        "ioloop",
        "iostream",
        "policy",
        "reactor",
        "resolver",
        "service",
        "tls",
    }
)


def __getattr__(name: str) -> object:
    import importlib

    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'txtornado' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY, *_SUBMODULES})
