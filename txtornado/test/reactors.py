"""
Reactor factories for tests, in the form Twisted's C{ReactorBuilder} wants
(a callable taking the test case and returning a new reactor).

Each call builds a L{TornadoReactor} on a brand-new Tornado IOLoop and
asyncio loop, so tests do not share timers, descriptors or signal handlers.
The loops made by earlier calls are closed on the next call (the builder has
already cleaned up their reactors by then), so a long suite does not leak
epoll and self-pipe descriptors.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from tornado.platform.asyncio import AsyncIOLoop

from txtornado.reactor import TornadoReactor

_built: list[AsyncIOLoop] = []


def _closeBuilt() -> None:
    while _built:
        ioLoop = _built.pop()
        loop = ioLoop.asyncio_loop  # type: ignore[attr-defined]
        if not loop.is_running() and not loop.is_closed():
            ioLoop.close()


def _build(loopFactory: Callable[[], asyncio.AbstractEventLoop]) -> TornadoReactor:
    _closeBuilt()
    ioLoop = AsyncIOLoop(asyncio_loop=loopFactory())
    _built.append(ioLoop)
    return TornadoReactor(ioLoop)


def tornadoAsyncioReactor(self: object = None) -> TornadoReactor:
    """
    A new L{TornadoReactor} on a new IOLoop over stdlib asyncio.
    """
    return _build(asyncio.new_event_loop)


def tornadoUvloopReactor(self: object = None) -> TornadoReactor:
    """
    A new L{TornadoReactor} on a new IOLoop over uvloop.
    """
    import uvloop

    return _build(uvloop.new_event_loop)


def asyncioSelectorReactorOnUvloop(self: object = None) -> object:
    """
    Twisted's own C{AsyncioSelectorReactor} on a new uvloop loop: the
    baseline that shows what uvloop itself changes.
    """
    import uvloop
    from twisted.internet.asyncioreactor import AsyncioSelectorReactor

    return AsyncioSelectorReactor(uvloop.new_event_loop())
