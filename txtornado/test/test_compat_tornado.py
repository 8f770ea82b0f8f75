"""
The private Tornado names that L{txtornado._compat.tornado} relies on still
exist and still do what it assumes.  If one of these fails after a Tornado
upgrade, L{txtornado._compat.tornado} is the one place to change.
"""

from __future__ import annotations

import asyncio
import errno
import inspect
import warnings
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from tornado.concurrent import Future
from tornado.httpclient import HTTPRequest
from tornado.ioloop import IOLoop
from tornado.iostream import BaseIOStream, StreamClosedError
from tornado.platform.asyncio import AsyncIOLoop
from tornado.simple_httpclient import SimpleAsyncHTTPClient, _HTTPConnection
from twisted.trial.unittest import SynchronousTestCase

from txtornado._compat import tornado as private

_T = TypeVar("_T")


def _run(make: Callable[[], Awaitable[_T]]) -> _T:
    """
    Run C{make()} on a fresh asyncio loop (Tornado's objects find it as
    the current IOLoop's) and return its result.
    """
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(make())
    finally:
        loop.close()


class _Probe(private.PushedIOStream):
    """
    A L{PushedIOStream} over lists: what it reads comes from C{incoming},
    what it writes goes to C{written}, and each state Tornado waits for is
    recorded in C{waits}.
    """

    def __init__(self) -> None:
        super().__init__()
        self.incoming: list[bytes] = []
        self.written: list[bytes] = []
        self.waits: list[int] = []
        self.closed_fd = False

    def fileno(self) -> Any:
        return self

    def close_fd(self) -> None:
        self.closed_fd = True

    def write_to_fd(self, data: memoryview) -> int:
        self.written.append(data.tobytes())
        return len(data)

    def read_from_fd(self, buf: bytearray | memoryview) -> int | None:
        if not self.incoming:
            return None
        chunk = self.incoming.pop(0)
        buf[: len(chunk)] = chunk
        return len(chunk)

    def get_fd_error(self) -> Exception | None:
        return None

    def _wait_for_events(self, state: int) -> None:
        self.waits.append(state)


class BaseIOStreamTests(SynchronousTestCase):
    """
    The private C{BaseIOStream} names listed in L{private}, and the
    accessors over them.
    """

    def test_methods(self) -> None:
        """
        Each private method exists, with the parameters assumed.
        """
        for name, params in private.BASE_IOSTREAM_METHODS.items():
            method = getattr(BaseIOStream, name)
            self.assertEqual(
                tuple(inspect.signature(method).parameters)[1:], params, name
            )

    def test_attributes(self) -> None:
        """
        Each private attribute exists on a new stream, and C{_state} stays
        C{None} on a L{PushedIOStream} that waits to read.
        """

        async def make() -> _Probe:
            probe = _Probe()
            probe.read_bytes(1)
            return probe

        probe = _run(make)
        for name in private.BASE_IOSTREAM_ATTRIBUTES:
            self.assertTrue(hasattr(probe, name), name)
        self.assertIsNone(probe._state)

    def test_reading(self) -> None:
        """
        A read that cannot be satisfied asks L{PushedIOStream._wait_for_events}
        for C{READ} and makes the stream busy; L{handle_read} then reads,
        resolves it and leaves the rest in the read buffer
        (L{read_buffer_size}); a C{read_until_regex} that waits shows in
        L{read_regex_pending}.
        """

        async def go() -> tuple[Any, ...]:
            probe = _Probe()
            idle = private.has_pending_io(probe)
            future = probe.read_bytes(3)
            waits = list(probe.waits)
            busy = private.has_pending_io(probe)
            probe.incoming.append(b"abcdef")
            private.handle_read(probe)
            result = future.result()
            size = private.read_buffer_size(probe)
            regex_before = private.read_regex_pending(probe)
            probe.read_until_regex(b"\n")
            regex_after = private.read_regex_pending(probe)
            probe.close()
            return idle, waits, busy, result, size, regex_before, regex_after

        idle, waits, busy, result, size, before, after = _run(go)
        self.assertFalse(idle)
        self.assertEqual(waits, [IOLoop.READ])
        self.assertTrue(busy)
        self.assertEqual(result, b"abc")
        self.assertEqual(size, 3)
        self.assertFalse(before)
        self.assertTrue(after)

    def test_writing(self) -> None:
        """
        L{handle_write} writes what the buffer holds and resolves the
        write's future.
        """

        async def go() -> tuple[list[bytes], bool]:
            probe = _Probe()
            future = probe.write(b"xyz")
            private.handle_write(probe)
            done = future.done()
            probe.close()
            return probe.written, done

        written, done = _run(go)
        self.assertEqual(b"".join(written), b"xyz")
        self.assertTrue(done)

    def test_hand_over(self) -> None:
        """
        L{take_close_callback} takes the close callback away; L{hand_over}
        then marks the stream closed without closing its descriptor, fails
        a waiting read with C{StreamClosedError} and fails the
        L{ssl_connect_future} (then forgotten) likewise.
        """
        called: list[bool] = []

        async def go() -> tuple[Any, ...]:
            probe = _Probe()
            probe.set_close_callback(lambda: called.append(True))
            callback = private.take_close_callback(probe)
            read = probe.read_bytes(1)
            handshake: Future[Any] = Future()
            private.set_ssl_connect_future(probe, handshake)
            stored = private.ssl_connect_future(probe)
            private.hand_over(probe)
            await asyncio.sleep(0)
            return (
                callback,
                stored is handshake,
                probe.closed(),
                probe.closed_fd,
                read.exception(),
                handshake.exception(),
                private.ssl_connect_future(probe),
            )

        callback, stored, closed, closed_fd, read_error, tls_error, after = _run(go)
        self.assertIsNotNone(callback)
        self.assertTrue(stored)
        self.assertTrue(closed)
        self.assertFalse(closed_fd)
        self.assertIsInstance(read_error, StreamClosedError)
        self.assertIsInstance(tls_error, StreamClosedError)
        self.assertIsNone(after)
        self.assertEqual(called, [])

    def test_is_connreset(self) -> None:
        """
        L{is_connreset} counts a connection reset, not another error.
        """

        async def go() -> tuple[bool, bool]:
            probe = _Probe()
            reset = private.is_connreset(
                probe, ConnectionResetError(errno.ECONNRESET, "reset")
            )
            other = private.is_connreset(probe, ValueError("x"))
            probe.close()
            return reset, other

        self.assertEqual(_run(go), (True, False))


class IOLoopTests(SynchronousTestCase):
    """
    The IOLoop names used.
    """

    def test_make_current(self) -> None:
        """
        L{make_current} makes an IOLoop current without a deprecation
        warning.
        """
        asyncio_loop = asyncio.new_event_loop()
        io_loop = AsyncIOLoop(asyncio_loop=asyncio_loop, make_current=False)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                private.make_current(io_loop)
                self.assertIs(IOLoop.current(instance=False), io_loop)
        finally:
            asyncio.set_event_loop(None)
            io_loop.close()
            asyncio_loop.close()

    def test_asyncio_loop_attribute(self) -> None:
        """
        A Tornado IOLoop publishes its asyncio loop as C{asyncio_loop}.
        """
        loop = asyncio.new_event_loop()
        io_loop = AsyncIOLoop(asyncio_loop=loop)
        try:
            self.assertIs(io_loop.asyncio_loop, loop)  # type: ignore[attr-defined]
        finally:
            io_loop.close()


class HTTPClientTests(SynchronousTestCase):
    """
    The private names of Tornado's simple HTTP client that are overridden or
    used.
    """

    def test_methods(self) -> None:
        """
        C{SimpleAsyncHTTPClient._connection_class} and
        C{_HTTPConnection._get_ssl_options} exist with the parameters
        assumed, and the first returns the class of the connections.
        """
        owners = {
            "SimpleAsyncHTTPClient": SimpleAsyncHTTPClient,
            "_HTTPConnection": _HTTPConnection,
        }
        for dotted, params in private.HTTP_CLIENT_METHODS.items():
            owner, name = dotted.split(".")
            method = getattr(owners[owner], name)
            self.assertEqual(
                tuple(inspect.signature(method).parameters)[1:], params, dotted
            )
        self.assertIs(
            SimpleAsyncHTTPClient._connection_class(None),  # type: ignore[arg-type]
            _HTTPConnection,
        )
        self.assertIs(
            private.ConnectionClassHTTPClient._connection_class(
                private.ConnectionClassHTTPClient  # type: ignore[arg-type]
            ),
            private.SSLOptionsHTTPConnection,
        )

    def test_ssl_options_for(self) -> None:
        """
        L{SSLOptionsHTTPConnection._get_ssl_options} answers with
        C{ssl_options_for}'s options, else with Tornado's.
        """

        class Given(private.SSLOptionsHTTPConnection):
            def __init__(self, request: HTTPRequest) -> None:
                self.request = request

            def ssl_options_for(self, scheme: str) -> Any:
                return {"certfile": "c.pem"} if scheme == "https" else None

        connection = Given(HTTPRequest("https://localhost/", validate_cert=False))
        self.assertEqual(connection._get_ssl_options("https"), {"certfile": "c.pem"})
        self.assertIsNone(connection._get_ssl_options("http"))

    def test_request_with_defaults(self) -> None:
        """
        L{request_with_defaults} fills in what a request leaves unset.
        """
        proxied = private.request_with_defaults(HTTPRequest("http://localhost/"))
        self.assertIsInstance(proxied.connect_timeout, float)
        self.assertEqual(proxied.url, "http://localhost/")
