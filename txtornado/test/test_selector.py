"""
Tests for L{txtornado._loop_on_reactor.selector}: the two selectors a
L{TwistedEventLoop} keeps asyncio's descriptors in, on a new EPoll, Poll and
Select reactor per test, driven by C{reactor.iterate(0)} (never run).  Runs
under pytest and trial.
"""

from __future__ import annotations

import errno
import os
import selectors
import socket
from collections.abc import Callable
from typing import Any

from twisted.trial.unittest import SkipTest

from txtornado._loop_on_reactor.selector import NestedSelector, ReactorSelector
from txtornado.eventloop import dispose_reactor
from txtornado.test._helpers import parametrize, reactor_variants

_READ = selectors.EVENT_READ
_WRITE = selectors.EVENT_WRITE


def _fds(descriptors: list[Any]) -> list[int]:
    return sorted(d.fileno() for d in descriptors)


class _SelectorTests:
    """
    What both selectors promise on C{self.reactor}: C{BaseSelector}'s
    contract, with C{select()} returning at once what the reactor found.
    """

    reactorFactory: Callable[[], Any]
    assertEqual: Callable[..., None]
    assertIn: Callable[..., None]
    assertIs: Callable[..., None]
    assertRaises: Callable[..., Any]
    addCleanup: Callable[..., None]

    def setUp(self) -> None:
        self.reactor = self.reactorFactory()
        self.addCleanup(dispose_reactor, self.reactor)
        #: The reactor's own readers (its waker), before any selector.
        self.ownReaders = _fds(self.reactor.getReaders())
        self.selector = self.makeSelector()
        self.addCleanup(self.selector.close)
        self.a, self.b = socket.socketpair()
        self.addCleanup(self.a.close)
        self.addCleanup(self.b.close)

    def makeSelector(self) -> selectors.BaseSelector:
        raise NotImplementedError

    def poll(self) -> list[tuple[selectors.SelectorKey, int]]:
        """
        One reactor iteration that does not wait, then C{select()}.
        """
        self.reactor.iterate(0)
        return self.selector.select(None)

    def test_readable(self) -> None:
        """
        A descriptor with data to read is reported readable, with its key
        (file object and data as registered), once per C{select()} and
        again while it stays readable (level-triggered, as C{select()}).
        """
        key = self.selector.register(self.a, _READ, "data")
        self.assertEqual(self.poll(), [])
        self.b.send(b"x")
        for _ in range(2):
            ready = self.poll()
            self.assertEqual(ready, [(key, _READ)])
            self.assertIs(ready[0][0].fileobj, self.a)
            self.assertEqual(ready[0][0].data, "data")
        self.a.recv(1)
        self.assertEqual(self.poll(), [])

    def test_writable(self) -> None:
        """
        A connected socket is writable; after C{modify} to reading only it
        is no longer reported.
        """
        key = self.selector.register(self.a, _WRITE)
        self.assertEqual(self.poll(), [(key, _WRITE)])
        key = self.selector.modify(self.a, _READ)
        self.assertEqual(key.events, _READ)
        self.assertEqual(self.poll(), [])

    def test_unregister(self) -> None:
        """
        An unregistered descriptor is no longer reported, nor in the map;
        unregistering it again raises C{KeyError}.
        """
        self.selector.register(self.a, _READ)
        self.b.send(b"x")
        key = self.selector.unregister(self.a)
        self.assertIs(key.fileobj, self.a)
        self.assertEqual(self.poll(), [])
        self.assertEqual(len(self.selector.get_map()), 0)
        with self.assertRaises(KeyError):
            self.selector.unregister(self.a)

    def test_get_map(self) -> None:
        """
        The map finds a key by file object and by descriptor number.
        """
        key = self.selector.register(self.a, _READ)
        mapping = self.selector.get_map()
        self.assertEqual(len(mapping), 1)
        self.assertEqual(mapping[self.a], key)
        self.assertEqual(mapping[self.a.fileno()], key)
        self.assertEqual(self.selector.get_key(self.a), key)
        with self.assertRaises(KeyError):
            mapping[self.b]

    def test_bad_registrations(self) -> None:
        """
        Registering twice raises C{KeyError}, no events C{ValueError}, a
        descriptor that is not open C{OSError(EBADF)} naming it; nothing
        is left registered by a refused call.
        """
        self.selector.register(self.a, _READ)
        with self.assertRaises(KeyError):
            self.selector.register(self.a, _WRITE)
        with self.assertRaises(ValueError):
            self.selector.register(self.b, 0)
        closed = socket.socket()
        fd = closed.fileno()
        closed.close()
        with self.assertRaises(OSError) as caught:
            self.selector.register(fd, _READ)
        self.assertEqual(caught.exception.errno, errno.EBADF)
        self.assertIn(str(fd), str(caught.exception))
        self.assertEqual(list(self.selector.get_map()), [self.a.fileno()])

    def test_peer_closed(self) -> None:
        """
        When the peer closes, the descriptor is reported readable (asyncio
        then reads end-of-file), and stays watched after L{rearm}.
        """
        key = self.selector.register(self.a, _READ)
        self.b.close()
        self.assertEqual(self.poll(), [(key, _READ)])
        self.selector.rearm()  # type: ignore[attr-defined]
        self.assertEqual(self.poll(), [(key, _READ)])

    def test_close(self) -> None:
        """
        C{close} leaves the reactor watching nothing for this selector, and
        is idempotent.
        """
        self.selector.register(self.a, _READ)
        self.selector.register(self.b, _WRITE)
        self.selector.close()
        self.selector.close()
        self.assertEqual(_fds(self.reactor.getReaders()), self.ownReaders)
        self.assertEqual(self.reactor.getWriters(), [])


class _ReactorSelectorTests(_SelectorTests):
    """
    L{ReactorSelector}: every descriptor is itself a reader or writer of
    the reactor; readiness is offered to C{dispatch} first, else recorded
    and announced through C{wake}.
    """

    def makeSelector(self) -> selectors.BaseSelector:
        self.wakes = 0
        self.dispatched: list[tuple[int, int]] = []
        self.handle = False

        def wake() -> None:
            self.wakes += 1

        def dispatch(key: selectors.SelectorKey, event: int) -> bool:
            self.dispatched.append((key.fd, event))
            return self.handle

        return ReactorSelector(self.reactor, wake, dispatch)

    def test_on_the_reactor(self) -> None:
        """
        C{register} and C{modify} make the descriptor one of the reactor's
        readers or writers, matching its events; C{unregister} removes it.
        """
        fd = self.a.fileno()
        waker = self.ownReaders
        self.selector.register(self.a, _READ)
        self.assertEqual(_fds(self.reactor.getReaders()), sorted([*waker, fd]))
        self.assertEqual(_fds(self.reactor.getWriters()), [])
        self.selector.modify(self.a, _READ | _WRITE)
        self.assertEqual(_fds(self.reactor.getWriters()), [fd])
        self.selector.modify(self.a, _WRITE)
        self.assertEqual(_fds(self.reactor.getReaders()), waker)
        self.selector.unregister(self.a)
        self.assertEqual(_fds(self.reactor.getWriters()), [])

    def test_dispatch_handles(self) -> None:
        """
        An event C{dispatch} handles (returns C{True}) is not recorded: no
        C{wake}, nothing from C{select()}.
        """
        self.selector.register(self.a, _READ)
        self.b.send(b"x")
        self.handle = True
        self.assertEqual(self.poll(), [])
        self.assertEqual(self.dispatched, [(self.a.fileno(), _READ)])
        self.assertEqual(self.wakes, 0)

    def test_wake_once_per_batch(self) -> None:
        """
        Recorded readiness calls C{wake} once until C{select()} returns it,
        however many descriptors are ready; C{dispatch} is offered only
        the first (what follows waits behind it, in order).
        """
        c, d = socket.socketpair()
        self.addCleanup(c.close)
        self.addCleanup(d.close)
        key_a = self.selector.register(self.a, _READ)
        key_c = self.selector.register(c, _READ)
        self.b.send(b"x")
        d.send(b"x")
        self.reactor.iterate(0)
        self.assertEqual(self.wakes, 1)
        self.assertEqual(len(self.dispatched), 1)
        ready = self.selector.select(0)
        self.assertEqual(
            sorted((key.fd, events) for key, events in ready),
            sorted([(key_a.fd, _READ), (key_c.fd, _READ)]),
        )

    def test_closed_selector_refuses(self) -> None:
        """
        A closed selector refuses new registrations with C{RuntimeError}.
        """
        self.selector.close()
        with self.assertRaises(RuntimeError):
            self.selector.register(self.a, _READ)


class _NestedSelectorTests(_SelectorTests):
    """
    L{NestedSelector}: an epoll selector whose own descriptor is one reader
    of the reactor, there while anything is registered in it.
    """

    def makeSelector(self) -> selectors.BaseSelector:
        if not hasattr(selectors, "EpollSelector"):
            raise SkipTest("NestedSelector needs epoll (Linux)")
        self.ready = 0

        def on_ready() -> None:
            self.ready += 1

        return NestedSelector(self.reactor, on_ready)

    def test_one_reader(self) -> None:
        """
        The reactor watches the selector's descriptor, not the registered
        ones, from the first C{register} to the last C{unregister}.
        """
        waker = self.ownReaders
        own = self.selector.fileno()  # type: ignore[attr-defined]
        self.selector.register(self.a, _READ)
        self.selector.register(self.b, _READ)
        self.assertEqual(_fds(self.reactor.getReaders()), sorted([*waker, own]))
        self.selector.unregister(self.a)
        self.assertEqual(_fds(self.reactor.getReaders()), sorted([*waker, own]))
        self.selector.unregister(self.b)
        self.assertEqual(_fds(self.reactor.getReaders()), waker)

    def test_on_ready(self) -> None:
        """
        The reactor calls C{on_ready} when a registered descriptor is
        ready; C{select()} then reports it and counts it in C{events_seen}.
        """
        key = self.selector.register(self.a, _READ)
        self.reactor.iterate(0)
        self.assertEqual(self.ready, 0)
        self.b.send(b"x")
        self.reactor.iterate(0)
        self.assertEqual(self.ready, 1)
        self.assertEqual(self.selector.select(None), [(key, _READ)])
        self.assertEqual(self.selector.events_seen, 1)  # type: ignore[attr-defined]

    def test_rearm_after_disconnectAll(self) -> None:
        """
        After the reactor dropped the selector's descriptor
        (C{disconnectAll}, as at shutdown), C{needs_rearm} says so and C{rearm} adds it back.
        """
        key = self.selector.register(self.a, _READ)
        self.reactor.disconnectAll()
        selector: Any = self.selector
        self.assertEqual(selector.needs_rearm, True)
        selector.rearm()
        self.assertEqual(selector.needs_rearm, False)
        self.b.send(b"x")
        self.reactor.iterate(0)
        self.assertEqual((self.ready, self.selector.select(None)), (1, [(key, _READ)]))

    def test_close_closes_descriptor(self) -> None:
        """
        C{close} closes the selector's own descriptor.
        """
        own = self.selector.fileno()  # type: ignore[attr-defined]
        self.selector.close()
        with self.assertRaises(OSError):
            os.fstat(own)


parametrize(globals(), _ReactorSelectorTests, reactor_variants())
parametrize(globals(), _NestedSelectorTests, reactor_variants())
