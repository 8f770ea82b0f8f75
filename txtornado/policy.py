# -*- test-case-name: txtornado.test.test_policy -*-
"""
An asyncio event loop policy whose loops are L{TwistedEventLoop}s.
"""

from __future__ import annotations

import asyncio

from txtornado.eventloop import ReactorFactory, TwistedEventLoop

__all__ = ["TwistedEventLoopPolicy"]


class TwistedEventLoopPolicy(asyncio.DefaultEventLoopPolicy):
    """
    Make C{asyncio.new_event_loop()} (and so C{asyncio.run()},
    C{asyncio.get_event_loop()} in the main thread, and Tornado's
    C{IOLoop()}/C{AsyncIOLoop}) create L{TwistedEventLoop}s.

    Everything else (the current loop per thread, the child watcher) is
    asyncio's default policy; its default child watcher,
    C{ThreadedChildWatcher}, never touches C{SIGCHLD}, which stays the
    reactor's.

    @param reactor_factory: C{None}: a loop uses the global
        C{twisted.internet.reactor} if no other open loop does and it is
        created in the reactor's thread (the thread running it, or else the
        main thread); any other loop (in another thread, or a second one
        while the first is open) gets a private reactor of the same kind,
        which it owns and cleans up when closed.  So C{asyncio.run()} and
        C{asyncio.new_event_loop()} work in any thread, any number of
        times, and the main thread's loop runs on the global reactor.
        A callable: every loop gets a I{new} reactor from it, which the loop
        owns and cleans up when closed, e.g.
        C{TwistedEventLoopPolicy(reactor_factory=EPollReactor)} in tests.
    @param nested_selector: every loop's selector mode, passed to
        L{TwistedEventLoop} (C{None}: its default; C{False}: every
        descriptor on the reactor, the mode where epoll is missing).

    @ivar _reactor_factory: C{reactor_factory}, for every new loop.
    @ivar _nested_selector: C{nested_selector}, for every new loop.
    """

    def __init__(
        self,
        reactor_factory: ReactorFactory | None = None,
        *,
        nested_selector: bool | None = None,
    ) -> None:
        super().__init__()
        self._reactor_factory = reactor_factory
        self._nested_selector = nested_selector

    def new_event_loop(self) -> TwistedEventLoop:
        """
        Return a new L{TwistedEventLoop}: on a new reactor if this policy
        has a C{reactor_factory}, else on the global reactor or a private
        one (see L{TwistedEventLoop}).  Any thread.
        """
        return TwistedEventLoop(
            reactor_factory=self._reactor_factory,
            nested_selector=self._nested_selector,
        )
