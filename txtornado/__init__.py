"""
txtornado: Twisted and Tornado on one event loop, in both directions.

- L{TornadoReactor} / L{install}: a Twisted reactor on a Tornado IOLoop.
- L{TwistedEventLoop} / L{TwistedEventLoopPolicy}: an asyncio event loop on
  any Twisted reactor.
- L{TwistedIOLoop}: a Tornado IOLoop on any Twisted reactor.
"""

from txtornado._version import __version__
from txtornado.eventloop import TwistedEventLoop
from txtornado.ioloop import TwistedIOLoop
from txtornado.policy import TwistedEventLoopPolicy
from txtornado.reactor import TornadoReactor, install

__all__ = [
    "TornadoReactor",
    "TwistedEventLoop",
    "TwistedEventLoopPolicy",
    "TwistedIOLoop",
    "__version__",
    "install",
]
