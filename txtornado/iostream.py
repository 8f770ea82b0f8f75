# -*- test-case-name: txtornado.test.test_iostream,txtornado.test.test_iostream_conformance,txtornado.test.test_iostream_limits -*-
"""
Tornado IOStreams over Twisted transports.

L{TwistedIOStream} is a C{tornado.iostream.BaseIOStream} whose bytes come
from and go to a Twisted transport, through a L{StreamProtocol} connected
to it.  All of Tornado's reading, buffering and write-future logic is
Tornado's own: the stream only implements BaseIOStream's subclass hooks
(C{fileno}, C{close_fd}, C{write_to_fd}, C{read_from_fd}, C{get_fd_error})
and is told of readiness by its protocol (a
L{txtornado._compat.tornado.PushedIOStream}).

Flow control goes both ways through Twisted's producer/consumer API:

  - reading: the protocol buffers what the transport delivers until
    Tornado asks for it; once that and Tornado's own read buffer together
    pass the stream's C{max_buffer_size}, the transport is paused
    (C{pauseProducing}) and resumed when Tornado has consumed half of it.
    No data is ever dropped.
  - writing: the protocol is registered as the transport's producer.  On
    a plain TCP or UNIX transport it is a I{pull} producer: the stream
    hands the transport up to about one C{send}'s worth, then waits until
    the transport has written all of it to the socket (C{resumeProducing}),
    so the transport never copies a large buffer to append to it.  On other
    transports (TLS, ...) it is a I{streaming} producer: the stream writes
    until the transport pauses it.  Either way what the transport has not
    taken stays in Tornado's write buffer (so write futures wait, and
    C{max_write_buffer_size} applies as for Tornado's own streams).

Everything here runs in the thread of the event loop shared by Tornado and
Twisted; nothing is thread-safe.
"""

from __future__ import annotations

import errno
import socket
import ssl
from collections import deque
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from tornado import ioloop
from tornado.concurrent import Future, future_set_result_unless_cancelled
from tornado.iostream import BaseIOStream, SSLIOStream
from tornado.log import gen_log
from twisted.internet.abstract import FileDescriptor
from twisted.internet.error import ConnectionAborted, ConnectionDone
from twisted.internet.interfaces import (
    IHandshakeListener,
    IPullProducer,
    IPushProducer,
    ISSLTransport,
    ITLSTransport,
)
from twisted.internet.protocol import Protocol
from twisted.protocols.tls import BufferingTLSTransport, TLSMemoryBIOProtocol
from twisted.python.failure import Failure
from zope.interface import implementer

from txtornado._compat import tornado as _tornado_private
from txtornado._compat.tornado import PushedIOStream
from txtornado._compat.twisted import started_tls_protocol, transport_socket

__all__ = [
    "StreamProtocol",
    "TwistedIOStream",
    "TwistedSSLIOStream",
    "stream_for_protocol",
]

_CONNECTION_DONE = Failure(ConnectionDone())
_READ = ioloop.IOLoop.READ
_WRITE = ioloop.IOLoop.WRITE

#: What L{StreamProtocol} sets a plain Twisted TCP or UNIX transport's
#: C{bufferSize} to: the most one C{recv} returns (Twisted's default is
#: 64 KiB), so that a bulk transfer takes fewer loop iterations.
TRANSPORT_BUFFER_SIZE = 512 * 1024

#: What L{StreamProtocol} sets such a transport's C{SEND_LIMIT} to: the most
#: one C{doWrite} passes to C{send} (Twisted's default is 128 KiB).
TRANSPORT_SEND_LIMIT = 256 * 1024

#: The most one C{write_to_fd} call hands to the transport.  Larger writes
#: wait in Tornado's buffer, as they would in front of a full socket: their
#: futures stay pending and C{writing()} stays true (Linux lets a TCP
#: socket buffer as much).  A whole C{bytes} object up to this size is
#: handed over without a copy.
WRITE_CHUNK = 4 * 1024 * 1024


def _is_plain_fd_transport(transport: object) -> bool:
    """
    Whether C{transport} is a Twisted file-descriptor transport (TCP, UNIX)
    without TLS started on it.
    """
    return isinstance(transport, FileDescriptor) and not ISSLTransport.providedBy(
        transport
    )


def _tune_transport(transport: object) -> None:
    """
    Give a plain file-descriptor transport the larger read and send sizes
    above, on the instance only.  C{bufferSize} and C{SEND_LIMIT} are
    C{twisted.internet.abstract.FileDescriptor}'s class attributes, read by
    C{doRead} and C{doWrite}; C{test_iostream.TransportTuningTests} fails if
    they stop having that effect.
    """
    if _is_plain_fd_transport(transport):
        transport.bufferSize = TRANSPORT_BUFFER_SIZE  # type: ignore[attr-defined]
        transport.SEND_LIMIT = TRANSPORT_SEND_LIMIT  # type: ignore[attr-defined]


def _map_loss(reason: Failure | None, writing: bool) -> OSError | None:
    """
    The exception a socket would have raised for a connection lost for
    C{reason}: C{None} for a clean close seen while reading (EOF), an
    C{OSError} whose errno Tornado counts as a reset otherwise, and an
    C{ssl.SSLError} for a TLS failure.  The Twisted exception is kept as
    C{__cause__}.
    """
    value = reason.value if reason is not None else None
    if isinstance(value, ConnectionDone) or value is None:
        if not writing:
            return None
        error: OSError = BrokenPipeError(errno.EPIPE, "connection closed by peer")
    elif isinstance(value, ConnectionAborted):
        error = ConnectionAbortedError(errno.ECONNABORTED, str(value))
    elif _is_verification_error(value):
        error = ssl.SSLCertVerificationError(str(value))
    elif _is_tls_error(value):
        error = ssl.SSLError(str(value))
    elif isinstance(value, OSError):
        return value
    else:
        error = ConnectionResetError(errno.ECONNRESET, str(value))
    error.__cause__ = value
    return error


def _is_verification_error(value: BaseException) -> bool:
    """
    Whether C{value} says the peer's certificate was refused: a host name
    mismatch (C{service_identity}) or an OpenSSL verification failure
    (an untrusted or expired certificate).
    """
    try:
        from service_identity import VerificationError
    except ImportError:  # pragma: no cover (TLS extras not installed)
        return False
    if isinstance(value, VerificationError):
        return True
    return _is_tls_error(value) and "certificate verify failed" in str(value)


def _is_tls_error(value: BaseException) -> bool:
    try:
        from OpenSSL.SSL import Error
    except ImportError:  # pragma: no cover (TLS extras not installed)
        return False
    return isinstance(value, Error)


@implementer(IPushProducer, IPullProducer, IHandshakeListener)
class StreamProtocol(Protocol):
    """
    The Twisted half of a L{TwistedIOStream}: a protocol that keeps what
    its transport delivers until the stream reads it, and tells the stream
    when data arrives, when the transport can take more, and when the
    connection is lost.

    @ivar stream: the stream attached to this protocol, or C{None} (before
        C{on_connect} made one, and between the two streams of a
        C{start_tls}).
    @ivar on_connect: called with this protocol in C{connectionMade}.
    @ivar on_lost: called with this protocol in C{connectionLost}, after
        the stream.
    """

    stream: TwistedIOStream | None = None
    transport: Any
    #: writes to the transport (see L{refresh_writer})
    write: Callable[[bytes], object]

    def __init__(
        self, on_connect: Callable[[StreamProtocol], None] | None = None
    ) -> None:
        self.on_connect = on_connect
        self._pending: deque[bytes] = deque()
        self._pending_size = 0
        self._offset = 0
        self.lost: Failure | None = None
        self.write_paused = False
        #: registered as a pull producer (see L{register_producer})
        self.pull = False
        #: bytes handed to a pull-producer transport since it last drained
        self._unsent = 0
        self.read_paused = False
        self.handshake_done = False
        self.on_handshake: Callable[[], None] | None = None
        self.on_lost: Callable[[StreamProtocol], None] | None = None

    # IProtocol

    def connectionMade(self) -> None:
        """
        Register as the transport's producer, then call C{on_connect}.
        """
        _tune_transport(self.transport)
        self.register_producer()
        if self.on_connect is not None:
            on_connect, self.on_connect = self.on_connect, None
            on_connect(self)

    def dataReceived(self, data: bytes) -> None:
        """
        Keep C{data} for the stream, pause the transport if too much is
        buffered, and wake a stream waiting to read.
        """
        self._pending.append(data)
        self._pending_size += len(data)
        stream = self.stream
        if stream is not None:
            if (
                not self.read_paused
                and self._pending_size + _tornado_private.read_buffer_size(stream)
                > stream.max_buffer_size
            ):
                self.read_paused = True
                self.transport.pauseProducing()
            stream._ready(_READ)

    def connectionLost(self, reason: Failure = _CONNECTION_DONE) -> None:
        """
        Remember why, and let the stream find out.
        """
        self.lost = reason
        self.write_paused = False
        if self.stream is not None:
            self.stream._connection_lost()
        if self.on_lost is not None:
            on_lost, self.on_lost = self.on_lost, None
            on_lost(self)

    # IPushProducer and IPullProducer (for the transport's write buffer)

    def pauseProducing(self) -> None:
        """
        The transport's buffer is full (streaming producer): keep further
        writes in Tornado's buffer.
        """
        self.write_paused = True

    def resumeProducing(self) -> None:
        """
        The transport's buffer drained (streaming producer), or it has
        written out everything it was given (pull producer): let the stream
        write again.
        """
        self.write_paused = False
        self._unsent = 0
        if self.stream is not None:
            self.stream._ready(_WRITE)

    def stopProducing(self) -> None:
        """
        The transport is going away; C{connectionLost} follows.
        """

    # IHandshakeListener

    def handshakeCompleted(self) -> None:
        """
        The TLS handshake completed, unless the TLS layer has aborted the
        connection already: Twisted's TLS checks the host name once the
        handshake is done (in an info callback) and, on a mismatch, calls
        C{failVerification} (C{abortConnection}) and then still
        C{handshakeCompleted}.  C{connectionLost} follows with the
        C{VerificationError}, which fails C{wait_for_handshake} with
        C{ssl.SSLCertVerificationError}.  The C{disconnecting} check can go
        once the oldest supported Twisted no longer reports a handshake
        after failing its verification.
        """
        tls = self._tls_layer()
        if tls is not None and tls.disconnecting:
            return
        self.handshake_done = True
        if self.on_handshake is not None:
            on_handshake, self.on_handshake = self.on_handshake, None
            on_handshake()

    # for the stream

    def register_producer(self) -> None:
        """
        Register with the transport (again, after C{startTLS}): as a pull
        producer on a plain TCP or UNIX transport, as a streaming producer
        otherwise, and find how to write to it (L{refresh_writer}).

        As a pull producer the stream hands the transport up to about one
        C{send}'s worth, then waits for C{resumeProducing}, which a
        file-descriptor transport calls once it has written everything to
        the socket: large writes are then never appended to a partly sent
        buffer (which costs a copy of it).  Other transports adapt pull
        producers with a timer of the I{global} reactor, so they get a
        streaming producer.
        """
        self.pull = _is_plain_fd_transport(self.transport)
        self.write_paused = False
        self._unsent = 0
        self.transport.registerProducer(self, not self.pull)
        self.refresh_writer()

    def wrote(self, size: int) -> None:
        """
        The stream handed the transport C{size} bytes.  As a pull producer,
        once that makes L{TRANSPORT_SEND_LIMIT} (what the transport sends at
        once) since it last drained, wait for C{resumeProducing}.
        """
        if self.pull:
            self._unsent += size
            if self._unsent >= TRANSPORT_SEND_LIMIT:
                self.write_paused = True

    def refresh_writer(self) -> None:
        """
        Find how to write to the transport (again, after C{startTLS}):
        C{write}, or, for Twisted's C{BufferingTLSTransport}, the TLS
        layer's unbuffered C{write}.  That transport holds small writes back
        until its factory's clock next calls, and a TLS layer that Twisted
        made (C{startTLS}, C{ssl:}/C{tls:} endpoint strings) has the
        I{global} reactor's, which never calls when the connection runs on
        another reactor.  This is the one place that problem is solved, for
        every TLS layer; Tornado's write buffer already coalesces writes.
        """
        tls = self._tls_layer()
        if isinstance(tls, BufferingTLSTransport):
            self.write = partial(TLSMemoryBIOProtocol.write, tls)
        else:
            self.write = self.transport.write

    def _tls_layer(self) -> TLSMemoryBIOProtocol | None:
        """
        The transport's TLS layer: the transport itself, or, for a TCP
        transport after C{startTLS}, its protocol; C{None} without TLS.
        """
        tls = self.transport
        if not isinstance(tls, TLSMemoryBIOProtocol):
            tls = started_tls_protocol(tls)
        return tls if isinstance(tls, TLSMemoryBIOProtocol) else None

    def read_into(self, buf: bytearray | memoryview, max_buffer_size: int) -> int:
        """
        Move up to C{len(buf)} received bytes into C{buf}, and resume a
        paused transport once less than half of C{max_buffer_size} is
        buffered here.  Returns how many; 0 if none are buffered.
        """
        want = len(buf)
        got = 0
        pending = self._pending
        while pending and got < want:
            chunk = pending[0]
            offset = self._offset
            n = len(chunk) - offset
            if n <= want - got:
                buf[got : got + n] = memoryview(chunk)[offset:] if offset else chunk
                pending.popleft()
                self._offset = 0
            else:
                n = want - got
                buf[got:want] = memoryview(chunk)[offset : offset + n]
                self._offset = offset + n
            got += n
        self._pending_size -= got
        if self.read_paused and self._pending_size <= max_buffer_size // 2:
            self.read_paused = False
            if self.lost is None:
                self.transport.resumeProducing()
        return got

    @property
    def pending_size(self) -> int:
        """
        How many received bytes wait here for the stream.
        """
        return self._pending_size


def stream_for_protocol(protocol: StreamProtocol, **kwargs: Any) -> TwistedIOStream:
    """
    Make the stream for a connected L{StreamProtocol}: a
    L{TwistedSSLIOStream} if its transport is TLS (C{ISSLTransport}), a
    L{TwistedIOStream} otherwise.  C{kwargs} are C{BaseIOStream}'s
    (C{max_buffer_size}, C{read_chunk_size}, C{max_write_buffer_size}).
    """
    if ISSLTransport.providedBy(protocol.transport):
        return TwistedSSLIOStream(protocol, **kwargs)
    return TwistedIOStream(protocol, **kwargs)


class TwistedIOStream(PushedIOStream):
    """
    A Tornado C{BaseIOStream} over a Twisted transport.

    It has C{BaseIOStream}'s whole API (C{read_bytes}, C{read_until},
    C{read_until_regex}, C{read_into}, C{read_until_close}, C{write},
    C{close}, C{set_close_callback}, ...), with Tornado's semantics: a
    write's future resolves when the transport has taken the data; a
    connection lost by a reset fails pending futures with
    C{StreamClosedError} whose C{real_error} is a C{ConnectionResetError}
    (its C{__cause__} the Twisted exception).

    Like Tornado's C{IOStream} it has C{socket} (the socket under the
    transport, if any; C{HTTPServer} reads its C{family}), C{set_nodelay}
    and C{start_tls}.  Create one with L{stream_for_protocol}, or let
    L{txtornado.endpoints} do it.  Use it in the event loop's thread only.
    """

    def __init__(self, protocol: StreamProtocol, **kwargs: Any) -> None:
        """
        @param protocol: a connected L{StreamProtocol}; the stream attaches
            itself to it.
        @param kwargs: C{BaseIOStream}'s.
        """
        # not super(): for TwistedSSLIOStream the next class is SSLIOStream,
        # whose socket set-up must not run
        BaseIOStream.__init__(self, **kwargs)
        self._protocol = protocol
        #: the IOLoop events Tornado waits for (None: not registered yet,
        #: as BaseIOStream's _state before its first _add_io_state)
        self._wanted: int | None = None
        self._dispatching = False
        self._again = 0
        protocol.stream = self
        if protocol.lost is not None:
            self._connection_lost()

    @property
    def protocol(self) -> StreamProtocol:
        """
        The L{StreamProtocol} this stream reads from and writes to.
        """
        return self._protocol

    @property
    def transport(self) -> Any:
        """
        The Twisted transport under this stream.
        """
        return self._protocol.transport

    @property
    def socket(self) -> socket.socket | None:
        """
        The socket under the transport (looking through wrapping transports
        such as TLS), or C{None} if it has none or the stream is closed.
        """
        if self.closed():
            return None
        return transport_socket(self._protocol.transport)

    # BaseIOStream's subclass hooks

    def fileno(self) -> Any:
        """
        The socket under the transport (Tornado only logs it), or the
        transport.
        """
        return self.socket or self._protocol.transport

    def close_fd(self) -> None:
        """
        Detach from the protocol and close the transport: cleanly, sending
        what it has buffered, or, if the stream closes because of an
        error, at once (C{abortConnection}).
        """
        protocol = self._protocol
        if protocol.stream is self:
            protocol.stream = None
        transport = protocol.transport
        if protocol.lost is None and transport is not None:
            transport.unregisterProducer()
            if self.error is not None and hasattr(transport, "abortConnection"):
                transport.abortConnection()
            else:
                transport.loseConnection()

    def write_to_fd(self, data: memoryview) -> int:
        """
        Hand up to L{WRITE_CHUNK} bytes of C{data} to the transport; 0 while
        it has paused us.  Raises the C{OSError} a socket would
        (C{BrokenPipeError}, C{ConnectionResetError}, ...) once the
        connection is lost.
        """
        protocol = self._protocol
        if protocol.lost is not None:
            error = _map_loss(protocol.lost, writing=True)
            assert error is not None
            raise error
        if protocol.write_paused:
            return 0
        n = len(data)
        if n > WRITE_CHUNK:
            n = WRITE_CHUNK
            data = data[:n]
        obj = data.obj
        if type(obj) is bytes and len(obj) == n:
            # The whole of an immutable bytes object (Tornado keeps large
            # writes as views of the caller's bytes): no copy.
            protocol.write(obj)
        else:
            protocol.write(data.tobytes())
        protocol.wrote(n)
        return n

    def read_from_fd(self, buf: bytearray | memoryview) -> int | None:
        """
        Move received bytes into C{buf}: how many, C{None} if none have
        arrived, 0 at end of stream; raises an C{OSError} for a connection
        lost otherwise than cleanly.
        """
        protocol = self._protocol
        n = protocol.read_into(buf, self.max_buffer_size)
        if n:
            return n
        if protocol.lost is not None:
            error = _map_loss(protocol.lost, writing=False)
            if error is not None:
                raise error
            return 0
        return None

    def get_fd_error(self) -> Exception | None:
        """
        Why the connection was lost, as a socket error would say, if it was
        not a clean close.
        """
        return _map_loss(self._protocol.lost, writing=False)

    # readiness: told by the protocol, not by the IOLoop

    def _wait_for_events(self, state: int) -> None:
        """
        Wait for C{state} (C{IOLoop.READ}/C{WRITE}): the protocol's events
        come to L{_ready}.
        """
        if self.closed():
            return
        wanted = (self._wanted or 0) | state
        self._wanted = wanted
        protocol = self._protocol
        if state & _READ and protocol.read_paused and not protocol.pending_size:
            # Tornado consumed what we had while the transport was paused.
            protocol.read_into(bytearray(), self.max_buffer_size)
        if (
            (state & _READ and (protocol.pending_size or protocol.lost))
            or (state & _WRITE and not protocol.write_paused)
        ) and not self._dispatching:
            # Ready already: the transport will not tell us again.
            self.io_loop.add_callback(self._ready, state)

    def _ready(self, events: int) -> None:
        """
        The protocol has data (C{IOLoop.READ}) or room (C{IOLoop.WRITE}):
        do what C{BaseIOStream._handle_events} does for those events.  As
        for a socket in a level-triggered poll, the stream stays readable
        while the protocol holds received bytes (or has lost the
        connection) and Tornado waits to read: Tornado's read loop stops
        once it has C{max_bytes} or the bytes a read wants, and its next
        step (C{UnsatisfiableReadError}, the next read) must not wait for
        more data to arrive.
        """
        wanted = self._wanted
        if self.closed() or wanted is None:
            return
        if self._dispatching:
            self._again |= events
            return
        self._dispatching = True
        protocol = self._protocol
        try:
            while True:
                if events & _READ and wanted & _READ:
                    _tornado_private.handle_read(self)
                    if self.closed():
                        return
                if events & _WRITE and wanted & _WRITE:
                    _tornado_private.handle_write(self)
                    if self.closed():
                        return
                state = 0
                if self.reading():
                    state |= _READ
                if self.writing():
                    state |= _WRITE
                if state == 0 and _tornado_private.read_buffer_size(self) == 0:
                    # Idle: listen for reads to notice a close.
                    state = _READ
                self._wanted = wanted = state
                events, self._again = self._again, 0
                if state & _READ and (protocol.pending_size or protocol.lost):
                    # Level-triggered, as a socket is: bytes still buffered
                    # here (Tornado's read loop stops at max_bytes or the
                    # bytes it wants) are readable now, not at the next
                    # dataReceived.
                    events |= _READ
                if not events:
                    break
        except Exception as e:
            from tornado.iostream import UnsatisfiableReadError

            if isinstance(e, UnsatisfiableReadError):
                gen_log.info("Unsatisfiable read, closing connection: %s", e)
            else:
                gen_log.error("Uncaught exception, closing connection.", exc_info=True)
            self.close(exc_info=e)
        finally:
            self._dispatching = False

    def _connection_lost(self) -> None:
        """
        The transport lost the connection: wake whatever waits, and close a
        registered stream that will not otherwise find out about a reset.
        """
        if self.closed() or self._wanted is None:
            return
        self._ready(_READ | _WRITE)
        if not self.closed() and self.get_fd_error() is not None:
            self.error = self.get_fd_error()
            self.io_loop.add_callback(self.close)

    # IOStream's extras

    def set_nodelay(self, value: bool) -> None:
        """
        Set C{TCP_NODELAY} on a TCP connection (nothing otherwise).
        """
        sock = self.socket
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            try:
                sock.setsockopt(
                    socket.IPPROTO_TCP, socket.TCP_NODELAY, 1 if value else 0
                )
            except OSError as e:
                # Sometimes setsockopt will fail if the socket is closed
                # at the wrong time; Tornado ignores EINVAL here too.
                if e.errno != errno.EINVAL and not _tornado_private.is_connreset(
                    self, e
                ):
                    raise

    def start_tls(
        self,
        server_side: bool,
        ssl_options: Any = None,
        server_hostname: str | None = None,
    ) -> Awaitable[SSLIOStream]:
        """
        Start TLS on this connection (C{ITLSTransport.startTLS}), as
        Tornado's C{IOStream.start_tls}: the stream must be idle, must not
        be used afterwards, and the returned future resolves to a new
        L{TwistedSSLIOStream} once the handshake has completed (or fails
        with the TLS error).

        C{ssl_options} is an C{ssl.SSLContext}, Tornado's dict form or a
        Twisted TLS options object; see L{txtornado.tls} for what is
        honoured.  A client verifies the server's certificate and
        C{server_hostname} unless told otherwise.
        """
        from txtornado.tls import client_creator, serve_alpn, server_options

        if _tornado_private.has_pending_io(self):
            raise ValueError("IOStream is not idle; cannot convert to SSL")
        protocol = self._protocol
        transport = protocol.transport
        if not ITLSTransport.providedBy(transport):
            raise ValueError(f"{transport!r} cannot start TLS")
        if server_side:
            options: Any = server_options(ssl_options)
        else:
            options = client_creator(ssl_options, server_hostname)
        close_callback = _tornado_private.take_close_callback(self)
        protocol.stream = None
        # startTLS re-registers the producer with the TLS layer as it was
        # registered; register afresh instead (see register_producer).
        transport.unregisterProducer()
        transport.startTLS(options)
        if server_side:
            # the stream's protocol is the application's: no ALPN name
            serve_alpn(protocol._tls_layer(), ())
        protocol.register_producer()
        ssl_stream = TwistedSSLIOStream(
            protocol,
            max_buffer_size=self.max_buffer_size,
            read_chunk_size=self.read_chunk_size,
            max_write_buffer_size=self.max_write_buffer_size,
        )
        ssl_stream.set_close_callback(close_callback)
        # This stream no longer owns the connection.
        _tornado_private.hand_over(self)
        return ssl_stream.wait_for_handshake()


class TwistedSSLIOStream(TwistedIOStream, SSLIOStream):  # type: ignore[misc]
    """
    A L{TwistedIOStream} over a TLS transport (Twisted's
    C{TLSMemoryBIOProtocol}, a C{tls:}/C{ssl:} endpoint or C{startTLS}).

    It is an C{SSLIOStream} for C{isinstance} checks (so C{HTTPServer}
    reports C{request.protocol} as C{"https"}), but TLS is Twisted's: none
    of C{SSLIOStream}'s socket code runs.  C{wait_for_handshake} resolves
    once the handshake has completed; certificate checks are the TLS
    options' (see L{txtornado.tls}).
    """

    def __init__(self, protocol: StreamProtocol, **kwargs: Any) -> None:
        self._handshake_future: Future[SSLIOStream] | None = None
        TwistedIOStream.__init__(self, protocol, **kwargs)

    def reading(self) -> bool:
        return BaseIOStream.reading(self)

    def writing(self) -> bool:
        return BaseIOStream.writing(self)

    def connect(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            "connect through txtornado.endpoints.connect(endpoint, ...)"
        )

    def get_ssl_certificate(self, binary_form: bool = False) -> Any:
        """
        The peer's certificate: DER bytes with C{binary_form}, otherwise a
        dict in the form of C{ssl.SSLSocket.getpeercert} (C{subject},
        C{issuer}, C{subjectAltName}, C{notBefore}, C{notAfter},
        C{serialNumber}, C{version}); C{None} if the peer sent none.
        """
        cert = self._protocol.transport.getPeerCertificate()
        if cert is None:
            return None
        from cryptography.hazmat.primitives.serialization import Encoding

        x509 = cert.to_cryptography()
        if binary_form:
            return x509.public_bytes(Encoding.DER)
        return _getpeercert_dict(x509)

    def wait_for_handshake(self) -> Future[SSLIOStream]:
        """
        A future resolving to this stream once the TLS handshake has
        completed, or failing as the connection does (with the TLS error
        for a refused certificate).
        """
        if self._handshake_future is not None:
            raise RuntimeError("Already waiting")
        future: Future[SSLIOStream] = Future()
        self._handshake_future = future
        protocol = self._protocol
        if protocol.handshake_done:
            future_set_result_unless_cancelled(future, self)
        elif self.closed() or protocol.lost is not None:
            future.set_exception(
                _map_loss(protocol.lost, writing=True) or self.error or OSError()
            )
        else:
            protocol.on_handshake = self._handshake_completed
            # a connection lost before the handshake fails the future
            _tornado_private.set_ssl_connect_future(self, future)
        return future

    def _handshake_completed(self) -> None:
        _tornado_private.set_ssl_connect_future(self, None)
        future = self._handshake_future
        if future is not None and not future.done():
            future_set_result_unless_cancelled(future, self)

    def _connection_lost(self) -> None:
        if _tornado_private.ssl_connect_future(self) is not None and not self.closed():
            # Report the TLS error itself to wait_for_handshake, as
            # Tornado's SSLIOStream does, and close.
            self.close(exc_info=self.get_fd_error() or _map_loss(None, True))
            return
        super()._connection_lost()


#: RFC 4514 attribute names as OpenSSL's long names, which getpeercert uses
_LONG_NAMES = {
    "CN": "commonName",
    "C": "countryName",
    "L": "localityName",
    "ST": "stateOrProvinceName",
    "O": "organizationName",
    "OU": "organizationalUnitName",
    "STREET": "streetAddress",
    "DC": "domainComponent",
    "UID": "userId",
    "1.2.840.113549.1.9.1": "emailAddress",
}


def _getpeercert_dict(cert: Any) -> dict[str, Any]:
    """
    A C{cryptography} certificate as C{ssl.SSLSocket.getpeercert()} shows
    one.
    """
    from cryptography import x509

    def name(n: Any) -> tuple[tuple[tuple[str, str], ...], ...]:
        return tuple(
            tuple(
                (
                    _LONG_NAMES.get(a.rfc4514_attribute_name, a.rfc4514_attribute_name),
                    str(a.value),
                )
                for a in rdn
            )
            for rdn in n.rdns
        )

    def when(t: Any) -> str:
        return str(t.strftime("%b %d %H:%M:%S %Y GMT"))

    result: dict[str, Any] = {
        "subject": name(cert.subject),
        "issuer": name(cert.issuer),
        "version": cert.version.value + 1,
        "serialNumber": f"{cert.serial_number:X}",
        "notBefore": when(cert.not_valid_before_utc),
        "notAfter": when(cert.not_valid_after_utc),
    }
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return result
    names: list[tuple[str, str]] = []
    for entry in san.value:
        if isinstance(entry, x509.DNSName):
            names.append(("DNS", entry.value))
        elif isinstance(entry, x509.IPAddress):
            names.append(("IP Address", str(entry.value)))
    result["subjectAltName"] = tuple(names)
    return result
