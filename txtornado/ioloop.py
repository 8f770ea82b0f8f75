"""
Tornado's IOLoop on a Twisted reactor.

Tornado 6 only runs on asyncio event loops, so L{TwistedIOLoop} is a
C{tornado.platform.asyncio.AsyncIOLoop} whose asyncio loop is a
L{txtornado.eventloop.TwistedEventLoop}.  Every IOLoop method is Tornado's
own implementation on top of that loop.
"""

from __future__ import annotations

from typing import Any

from tornado.platform.asyncio import AsyncIOLoop

from txtornado._compat import tornado as _tornado_private
from txtornado.eventloop import ReactorFactory, TwistedEventLoop

__all__ = ["TwistedIOLoop"]


class TwistedIOLoop(AsyncIOLoop):
    """
    A Tornado C{IOLoop} running on a Twisted reactor.

    Create it directly, C{TwistedIOLoop(reactor=...)}, or make it Tornado's
    default with C{IOLoop.configure(TwistedIOLoop)} or
    C{IOLoop.configure('txtornado.TwistedIOLoop', reactor_factory=...)}
    (C{configure}'s keyword arguments reach L{initialize}).

    The Tornado 4 recipe still works::

        TwistedIOLoop().install()
        ...  # set up Tornado and Twisted code
        reactor.run()

    and so do C{IOLoop.start()} and C{run_sync()} on a reactor that is not
    running (the loop then iterates the reactor itself; see
    L{TwistedEventLoop}).  While C{reactor.run()} hosts the loop,
    C{IOLoop.stop()} does nothing: stop the reactor instead.

    C{close(all_fds=True)} closes the file descriptors registered with
    this IOLoop only; closing removes only this loop's registrations and
    calls from the reactor.
    """

    def initialize(  # type: ignore[override]
        self,
        reactor: Any = None,
        reactor_factory: ReactorFactory | None = None,
        asyncio_loop: TwistedEventLoop | None = None,
        **kwargs: Any,
    ) -> None:
        """
        @param reactor: the reactor to run on; C{None} means the global
            C{twisted.internet.reactor} (resolved now, not at import) if
            this thread may use it and no other open loop does, else a
            private reactor of the same kind that this IOLoop owns (so a
            second IOLoop, e.g. C{SyncHTTPClient}'s, or one in another
            thread, works beside the main one; see L{TwistedEventLoop}).
        @param reactor_factory: instead of C{reactor}, a callable returning
            a new reactor that this IOLoop owns (one per IOLoop, as Tornado's
            C{AsyncTestCase} needs).
        @param asyncio_loop: an existing L{TwistedEventLoop} to run on
            (as C{AsyncIOLoop} accepts any asyncio loop); it takes precedence
            over C{reactor_factory} (which may come from
            C{IOLoop.configure}), and is not closed if this fails.
        @param kwargs: C{IOLoop.initialize}'s (C{make_current}).
        """
        if asyncio_loop is not None:
            if not isinstance(asyncio_loop, TwistedEventLoop):
                raise TypeError(
                    f"asyncio_loop must be a TwistedEventLoop, not {asyncio_loop!r}"
                )
            if reactor is not None and reactor is not asyncio_loop.reactor:
                raise TypeError("asyncio_loop runs on another reactor than reactor")
            super().initialize(asyncio_loop=asyncio_loop, **kwargs)
            return
        loop = TwistedEventLoop(reactor, reactor_factory=reactor_factory)
        try:
            super().initialize(asyncio_loop=loop, **kwargs)
        except BaseException:
            loop.close()
            raise

    @property
    def reactor(self) -> Any:
        """
        The reactor this IOLoop runs on.
        """
        loop: TwistedEventLoop = self.asyncio_loop  # type: ignore[assignment]
        return loop.reactor

    def install(self) -> None:
        """
        Make this the current IOLoop (and its event loop asyncio's current
        event loop) for this thread: the Tornado 4 recipe
        C{TwistedIOLoop().install(); reactor.run()}.

        Unlike the deprecated C{IOLoop.install}/C{make_current}, this does not
        warn: a TwistedIOLoop is meant to be made current before the
        reactor runs.
        """
        _tornado_private.make_current(self)
