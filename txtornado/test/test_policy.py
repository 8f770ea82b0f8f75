"""
Tests for L{txtornado.policy.TwistedEventLoopPolicy}.  Runs under pytest and
trial.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from twisted.internet.pollreactor import PollReactor
from twisted.trial.unittest import SynchronousTestCase

from txtornado import TwistedEventLoop, TwistedEventLoopPolicy


def reactor_watches(reactor: Any, fd: int) -> bool:
    """
    Whether C{fd} itself is one of C{reactor}'s readers (per-descriptor
    mode), rather than inside a nested selector the reactor watches.
    """
    return any(reader.fileno() == fd for reader in reactor.getReaders())


class PolicyTests(SynchronousTestCase):
    """
    L{TwistedEventLoopPolicy} as asyncio's policy: C{asyncio.new_event_loop}
    and C{asyncio.run} make L{TwistedEventLoop}s with the policy's options.
    """

    def setUp(self) -> None:
        self.previous = asyncio.get_event_loop_policy()
        self.addCleanup(asyncio.set_event_loop_policy, self.previous)

    def new_loop(self, **options: Any) -> TwistedEventLoop:
        """
        A new loop from C{TwistedEventLoopPolicy(**options)}, made through
        asyncio and closed after the test.
        """
        asyncio.set_event_loop_policy(TwistedEventLoopPolicy(**options))
        loop = asyncio.new_event_loop()
        self.addCleanup(loop.close)
        assert isinstance(loop, TwistedEventLoop), loop
        return loop

    def test_new_event_loop_new_reactor(self) -> None:
        """
        With a reactor_factory, every new loop gets a new reactor and owns
        it.
        """
        one = self.new_loop(reactor_factory=PollReactor)
        two = asyncio.new_event_loop()
        self.addCleanup(two.close)
        assert isinstance(two, TwistedEventLoop)
        self.assertIsInstance(one.reactor, PollReactor)
        self.assertIsNot(one.reactor, two.reactor)
        self.assertEqual(one.run_until_complete(asyncio.sleep(0, "one")), "one")

    def test_asyncio_run(self) -> None:
        """
        C{asyncio.run} runs its coroutine on a policy loop, on a reactor
        from the factory.
        """
        asyncio.set_event_loop_policy(
            TwistedEventLoopPolicy(reactor_factory=PollReactor)
        )

        async def where() -> tuple[type, type]:
            loop = asyncio.get_running_loop()
            assert isinstance(loop, TwistedEventLoop)
            return type(loop), type(loop.reactor)

        self.assertEqual(asyncio.run(where()), (TwistedEventLoop, PollReactor))

    def test_per_descriptor_mode(self) -> None:
        """
        C{nested_selector=False} reaches every loop: a descriptor the loop
        reads is itself a reader of the reactor.
        """
        loop = self.new_loop(reactor_factory=PollReactor, nested_selector=False)
        a, b = socket.socketpair()
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        loop.add_reader(a.fileno(), lambda: None)
        self.addCleanup(loop.remove_reader, a.fileno())
        self.assertTrue(reactor_watches(loop.reactor, a.fileno()))

    def test_nested_mode(self) -> None:
        """
        C{nested_selector=True} reaches every loop: a descriptor the loop
        reads is not a reader of the reactor (the nested selector's is).
        """
        loop = self.new_loop(reactor_factory=PollReactor, nested_selector=True)
        a, b = socket.socketpair()
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        loop.add_reader(a.fileno(), lambda: None)
        self.addCleanup(loop.remove_reader, a.fileno())
        self.assertFalse(reactor_watches(loop.reactor, a.fileno()))
        self.assertTrue(loop.reactor.getReaders())

    def test_nested_selector_is_keyword_only(self) -> None:
        """
        C{nested_selector} is keyword-only: a second positional argument is
        refused rather than taken for it.
        """
        with self.assertRaises(TypeError):
            TwistedEventLoopPolicy(PollReactor, False)  # type: ignore[misc]
