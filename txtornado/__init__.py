"""
txtornado: Twisted and Tornado on one event loop, in both directions.

- L{TornadoReactor} / L{install}: a Twisted reactor on a Tornado IOLoop.
"""

from txtornado._version import __version__
from txtornado.reactor import TornadoReactor, install

__all__ = ["__version__", "TornadoReactor", "install"]
