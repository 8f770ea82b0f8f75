"""
L{txtornado.iostream.TwistedIOStream} against Tornado's own C{IOStream} on
read limits: the same scenarios (C{max_bytes}, C{read_chunk_size},
C{max_buffer_size}; data that arrives in one piece before or after the
read starts; end of stream) run on both, and every outcome must be the
same, byte for byte: the data each read returns, the exception it fails
with (its C{real_error} and message), whether the stream is closed, and
what the peer sees.  Then the same at the HTTP level: a request header
larger than C{max_header_size} in one piece closes the connection at
once, as Tornado's own C{HTTPServer} does.

Both streams read from one end of a UNIX socket pair whose other end a
Tornado C{IOStream} writes to; a write that fits the socket's buffer is
in the reader's queue when C{write} returns, so Tornado's stream finds it
all readable at once and Twisted's transport reads it in one
C{dataReceived}.  Every case runs on both loop set-ups (see
L{txtornado.test.test_endpoints}).
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass, field
from typing import Any

from tornado import web
from tornado.httpserver import HTTPServer
from tornado.iostream import BaseIOStream, IOStream
from tornado.netutil import bind_sockets
from twisted.internet.protocol import Factory

from txtornado.endpoints import listen
from txtornado.iostream import StreamProtocol, TwistedIOStream, stream_for_protocol
from txtornado.test._helpers import parametrize
from txtornado.test.test_endpoints import LOOP_SETUPS, LoopTestMixin

#: How long a read may take before the scenario records it as pending (a
#: guard that only a failing run waits for).
GUARD = 5.0

#: What a request header too large for C{max_header_size} (64 KiB) looks
#: like when it arrives in one piece.
BIG_HEADER = b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70000


@dataclass
class Scenario:
    """
    One read-limit case.

    @ivar reads: the reads, in order, as C{(method name, *args)}; each
        starts once the previous one has finished.
    @ivar before: what the peer writes before the first read starts (and
        the reading side has received, for a L{TwistedIOStream}).
    @ivar after: what the peer writes once the first read has started.
    @ivar eof: whether the peer then shuts its writing side down.
    @ivar kwargs: the reading stream's C{BaseIOStream} arguments.
    """

    reads: list[tuple[Any, ...]]
    before: bytes = b""
    after: bytes = b""
    eof: bool = False
    kwargs: dict[str, Any] = field(default_factory=dict)


HEADER_END = b"\r?\n\r?\n"

SCENARIOS: dict[str, Scenario] = {
    # A header past max_bytes in one piece, max_bytes one read chunk.
    "header_in_one_piece_after_read": Scenario(
        [("read_until_regex", HEADER_END, 65536)], after=BIG_HEADER
    ),
    "header_in_one_piece_before_read": Scenario(
        [("read_until_regex", HEADER_END, 65536)], before=BIG_HEADER
    ),
    # max_bytes several read chunks, the data more than that.
    "until_two_chunks_after_read": Scenario(
        [("read_until", b"\n", 131072)], after=b"x" * 150000
    ),
    "until_small_chunks_after_read": Scenario(
        [("read_until", b"\n", 4096)],
        after=b"x" * 5000,
        kwargs={"read_chunk_size": 1024},
    ),
    "until_small_chunks_before_read": Scenario(
        [("read_until", b"\n", 4096)],
        before=b"x" * 5000,
        kwargs={"read_chunk_size": 1024},
    ),
    "regex_small_chunks_after_read": Scenario(
        [("read_until_regex", b"a+b", 3072)],
        after=b"a" * 4000 + b"b",
        kwargs={"read_chunk_size": 1024},
    ),
    # Exactly max_bytes without the delimiter: satisfiable still, so the
    # read waits; the peer's end of stream then closes the stream.
    "exactly_max_bytes_then_eof": Scenario(
        [("read_until", b"\n", 65536)], after=b"x" * 65536, eof=True
    ),
    "exactly_max_bytes_small_chunks_then_eof": Scenario(
        [("read_until", b"\n", 4096)],
        after=b"x" * 4096,
        eof=True,
        kwargs={"read_chunk_size": 1024},
    ),
    # The delimiter at the limit, and one byte past it.
    "delimiter_ends_at_max_bytes": Scenario(
        [("read_until", b"\n", 65536), ("read_bytes", 10)],
        after=b"x" * 65535 + b"\n" + b"0123456789",
    ),
    "delimiter_one_past_max_bytes": Scenario(
        [("read_until", b"\n", 65536)], after=b"x" * 65536 + b"\n"
    ),
    "delimiter_after_chunks_within_max_bytes": Scenario(
        [("read_until", b"\n", 8192), ("read_until_close",)],
        after=b"x" * 5000 + b"\n" + b"tail" * 100,
        eof=True,
        kwargs={"read_chunk_size": 1024},
    ),
    # Pipelined messages: the first fits, the second is too long.
    "pipelined_second_too_long": Scenario(
        [
            ("read_until_regex", HEADER_END, 1024),
            ("read_until_regex", HEADER_END, 1024),
        ],
        after=b"GET /a HTTP/1.1\r\n\r\n" + b"b" * 3000,
        kwargs={"read_chunk_size": 512},
    ),
    "pipelined_both_fit": Scenario(
        [
            ("read_until_regex", HEADER_END, 1024),
            ("read_until_regex", HEADER_END, 1024),
        ],
        after=b"GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\n",
        kwargs={"read_chunk_size": 8},
    ),
    # Reads of a known length, over several chunks.
    "read_bytes_over_chunks": Scenario(
        [("read_bytes", 100000), ("read_bytes", 50000)],
        after=bytes(range(256)) * 586 + b"tail",
    ),
    "read_bytes_partial": Scenario(
        [("read_bytes", 100000, True), ("read_bytes", 100000, True)],
        after=b"p" * 70000,
        kwargs={"read_chunk_size": 4096},
    ),
    "read_into_over_chunks": Scenario(
        [("read_into", 9000), ("read_into", 1000, True)],
        after=b"i" * 9500,
        kwargs={"read_chunk_size": 1024},
    ),
    "read_bytes_short_then_eof": Scenario(
        [("read_bytes", 100)], after=b"short", eof=True
    ),
    "read_until_close": Scenario(
        [("read_until_close",)],
        before=b"c" * 30000,
        after=b"d" * 30000,
        eof=True,
        kwargs={"read_chunk_size": 1024},
    ),
    # No max_bytes: max_buffer_size is the limit.
    "buffer_full_without_delimiter": Scenario(
        [("read_until", b"\n")],
        after=b"f" * 150000,
        kwargs={"max_buffer_size": 65536},
    ),
    "buffer_full_small_chunks": Scenario(
        [("read_until", b"\n")],
        after=b"f" * 10000,
        kwargs={"max_buffer_size": 8192, "read_chunk_size": 1024},
    ),
}


def _outcome_of_error(e: BaseException) -> tuple[Any, ...]:
    real = getattr(e, "real_error", None)
    return (
        "error",
        type(e).__name__,
        type(real).__name__ if real is not None else None,
        str(real) if real is not None else None,
    )


async def _run_scenario(
    scenario: Scenario, make_stream: Any, peer: IOStream
) -> list[Any]:
    """
    Run C{scenario} on the stream C{make_stream()} returns, with C{peer}
    writing to it; the outcomes, in order.
    """
    outcomes: list[Any] = []
    if scenario.before:
        await peer.write(scenario.before)
    stream: BaseIOStream = await make_stream()
    for i, (method, *args) in enumerate(scenario.reads):
        buf = None
        if method == "read_into":
            buf = bytearray(args[0])
            args = [buf, *args[1:]]
        try:
            reading = getattr(stream, method)(*args)
        except Exception as e:
            outcomes.append(("raised", *_outcome_of_error(e)[1:]))
            continue
        if i == 0:
            if scenario.after:
                await peer.write(scenario.after)
            if scenario.eof:
                peer.socket.shutdown(socket.SHUT_WR)
        try:
            result = await asyncio.wait_for(asyncio.shield(reading), GUARD)
        except TimeoutError:
            outcomes.append(("pending", method))
            break
        except Exception as e:
            outcomes.append(_outcome_of_error(e))
        else:
            if buf is not None:
                result = (result, bytes(buf[:result]))
            outcomes.append(("data", result))
    closed = stream.closed()
    outcomes.append(("closed", closed))
    outcomes.append(
        ("error", type(stream.error).__name__ if stream.error is not None else None)
    )
    if closed:
        # The peer sees the end of the stream (and nothing else).
        try:
            rest = await asyncio.wait_for(peer.read_until_close(), GUARD)
        except TimeoutError:
            rest = "peer still connected"
        outcomes.append(("peer", rest))
    stream.close()
    peer.close()
    return outcomes


class _ReadLimitTests(LoopTestMixin):
    """
    Each scenario of L{SCENARIOS} on Tornado's C{IOStream} and on a
    L{TwistedIOStream}; the outcomes must be equal.
    """

    assertEqual: Any

    def stock_outcomes(self, scenario: Scenario) -> list[Any]:
        async def go() -> list[Any]:
            a, b = socket.socketpair()

            async def make() -> BaseIOStream:
                return IOStream(a, **scenario.kwargs)

            return await _run_scenario(scenario, make, IOStream(b))

        result: list[Any] = self.run_async(go, timeout=60)
        return result

    def twisted_outcomes(self, scenario: Scenario) -> list[Any]:
        reactor = self.reactor

        async def go() -> list[Any]:
            a, b = socket.socketpair()
            made: asyncio.Future[TwistedIOStream] = (
                asyncio.get_running_loop().create_future()
            )

            received: asyncio.Future[None] = made.get_loop().create_future()

            def connected(protocol: StreamProtocol) -> None:
                made.set_result(stream_for_protocol(protocol, **scenario.kwargs))
                data_received = protocol.dataReceived
                count = [0]

                def counting(data: bytes) -> None:
                    data_received(data)
                    count[0] += len(data)
                    if count[0] >= len(scenario.before) and not received.done():
                        received.set_result(None)

                protocol.dataReceived = counting  # type: ignore[method-assign]

            async def make() -> BaseIOStream:
                factory = Factory.forProtocol(lambda: StreamProtocol(connected))
                reactor.adoptStreamConnection(a.fileno(), socket.AF_UNIX, factory)
                a.close()
                stream = await made
                if scenario.before:
                    # as in the kernel's buffer for Tornado's stream: all
                    # received before the first read starts
                    await received
                return stream

            return await _run_scenario(scenario, make, IOStream(b))

        result: list[Any] = self.run_async(go, timeout=60)
        return result

    def check(self, name: str) -> None:
        scenario = SCENARIOS[name]
        expected = self.stock_outcomes(scenario)
        self.assertEqual(self.twisted_outcomes(scenario), expected)


def _scenario_test(name: str) -> Any:
    def test(self: _ReadLimitTests) -> None:
        self.check(name)

    test.__name__ = f"test_{name}"
    test.__doc__ = (
        f"Scenario C{{{name}}}: the same outcomes as Tornado's C{{IOStream}}."
    )
    return test


for _scenario in SCENARIOS:
    setattr(_ReadLimitTests, f"test_{_scenario}", _scenario_test(_scenario))


class _OversizedHeaderTests(LoopTestMixin):
    """
    A request header larger than C{max_header_size} that arrives in one
    piece, served by Tornado's C{HTTPServer} on its own sockets and through
    L{txtornado.endpoints.listen}.
    """

    assertEqual: Any

    def client(self, port: int) -> Any:
        """
        Connect to C{port} and send L{BIG_HEADER} at once; what the server
        sends back until it closes the connection (C{"still open"} if it
        has not closed it within L{GUARD} seconds).
        """

        async def go() -> Any:
            sock = socket.create_connection(("127.0.0.1", port))
            sock.sendall(BIG_HEADER)
            stream = IOStream(sock)
            try:
                return await asyncio.wait_for(stream.read_until_close(), GUARD)
            except TimeoutError:
                return "still open"
            finally:
                stream.close()

        return self.run_async(go)

    def test_closed_as_by_tornado(self) -> None:
        """
        Both servers close the connection at once, having sent the same
        bytes (none).
        """
        app = web.Application([])

        def stock() -> Any:
            [sock] = bind_sockets(0, "127.0.0.1", family=socket.AF_INET)
            port = sock.getsockname()[1]

            async def start() -> HTTPServer:
                server = HTTPServer(app)
                server.add_sockets([sock])
                return server

            server = self.run_async(start)
            try:
                return self.client(port)
            finally:
                server.stop()

        def ours() -> Any:
            async def start() -> Any:
                return await listen(
                    app, "tcp:0:interface=127.0.0.1", self.reactor
                ).asFuture(asyncio.get_running_loop())

            listener = self.run_async(start)
            try:
                return self.client(listener.getHost().port)
            finally:

                async def stop() -> None:
                    await listener.stop(0).asFuture(asyncio.get_running_loop())

                self.run_async(stop)

        expected = stock()
        self.assertEqual(expected, b"")
        self.assertEqual(ours(), expected)


parametrize(globals(), _ReadLimitTests, LOOP_SETUPS)
parametrize(globals(), _OversizedHeaderTests, LOOP_SETUPS)
