# -*- test-case-name: txtornado.test.test_compat_tornado -*-
"""
The one place where txtornado touches Tornado names that are not public
API.

L{txtornado.iostream.TwistedIOStream} is a C{tornado.iostream.BaseIOStream}
subclass.  The documented subclass hooks (C{fileno}, C{close_fd},
C{write_to_fd}, C{read_from_fd}, C{get_fd_error}) cover reading and
writing, but not how a stream waits for readiness: C{BaseIOStream} asks the
IOLoop for file descriptor events through C{_add_io_state} and dispatches
them in C{_handle_events}.  A Twisted transport pushes data and writability
to its protocol instead, so the stream is a L{PushedIOStream}, whose
C{_add_io_state} tells the subclass what Tornado waits for, and calls
L{handle_read}/L{handle_write} itself when the protocol reports data or
drained buffers.  The other functions below read or change the state of a
C{BaseIOStream} as Tornado's own C{IOStream.start_tls} does.

The HTTP client side (L{txtornado.endpoints.EndpointHTTPClient}) is a
L{ConnectionClassHTTPClient} whose connections are
L{SSLOptionsHTTPConnection}s, so that a request's client certificate
reaches Twisted's TLS as the C{ssl_options} dict form (an C{ssl.SSLContext}
does not reveal the certificate loaded into it).  Its websocket client
(L{txtornado.endpoints.websocket_connect}) fills a request's defaults in as
C{tornado.websocket.websocket_connect} does (L{request_with_defaults}).

C{txtornado.test.test_compat_tornado} fails, naming the name, if a Tornado
release changes one of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tornado.concurrent import Future
from tornado.httpclient import HTTPRequest, _RequestProxy
from tornado.ioloop import IOLoop
from tornado.iostream import BaseIOStream
from tornado.simple_httpclient import SimpleAsyncHTTPClient, _HTTPConnection

__all__ = [
    "BASE_IOSTREAM_ATTRIBUTES",
    "BASE_IOSTREAM_METHODS",
    "HTTP_CLIENT_METHODS",
    "ConnectionClassHTTPClient",
    "PushedIOStream",
    "SSLOptionsHTTPConnection",
    "hand_over",
    "handle_read",
    "handle_write",
    "has_pending_io",
    "ioloops_by_asyncio_loop",
    "is_connreset",
    "make_current",
    "read_buffer_size",
    "read_regex_pending",
    "request_with_defaults",
    "set_ssl_connect_future",
    "ssl_connect_future",
    "take_close_callback",
]

#: Private methods of C{BaseIOStream} called or overridden here, with the
#: parameter names relied on (besides C{self}).
BASE_IOSTREAM_METHODS: dict[str, tuple[str, ...]] = {
    "_add_io_state": ("state",),
    "_handle_read": (),
    "_handle_write": (),
    "_is_connreset": ("exc",),
    "_signal_closed": (),
}

#: Private instance attributes of C{BaseIOStream} read or set here.
#: C{_state} is not touched: it stays C{None} because C{_add_io_state} is
#: overridden, so that C{close} never asks the IOLoop to remove a handler.
BASE_IOSTREAM_ATTRIBUTES = (
    "_state",
    "_read_buffer_size",
    "_read_regex",
    "_read_future",
    "_write_futures",
    "_close_callback",
    "_closed",
    "_ssl_connect_future",
)

#: Private methods of Tornado's simple HTTP client overridden here.
HTTP_CLIENT_METHODS: dict[str, tuple[str, ...]] = {
    "SimpleAsyncHTTPClient._connection_class": (),
    "_HTTPConnection._get_ssl_options": ("scheme",),
}


def make_current(io_loop: IOLoop) -> None:
    """
    Make C{io_loop} the current IOLoop of this thread, and an asyncio
    IOLoop's event loop asyncio's current event loop, without the
    deprecation warning of C{IOLoop.make_current} (C{IOLoop._make_current},
    which C{make_current} calls after warning).
    """
    io_loop._make_current()


class PushedIOStream(BaseIOStream):
    """
    A C{BaseIOStream} that its subclass tells of readiness, instead of
    registering a file descriptor with the IOLoop.

    C{BaseIOStream} asks for the IOLoop events it waits for through
    C{_add_io_state}; here that calls L{_wait_for_events}, which the
    subclass implements, and C{_state} stays C{None} (so C{close} asks the
    IOLoop to remove nothing).  The subclass then calls L{handle_read} and
    L{handle_write} when the events come.  C{_handle_read},
    C{_handle_write} (which Tornado's C{write} also calls) and
    C{_is_connreset} are C{BaseIOStream}'s also when C{SSLIOStream} follows
    this class in the MRO: the subclass's TLS is not Tornado's, so there is
    no handshake to run on them, and its errors are never C{ssl} module
    errors of a socket.
    """

    def _wait_for_events(self, state: int) -> None:
        """
        Tornado waits for C{state} (C{IOLoop.READ}/C{WRITE}, or both): call
        L{handle_read}/L{handle_write} once the stream can read or write.
        Called in the IOLoop's thread.
        """
        raise NotImplementedError

    def _add_io_state(self, state: int) -> None:
        self._wait_for_events(state)

    def _handle_read(self) -> None:
        BaseIOStream._handle_read(self)

    def _handle_write(self) -> None:
        BaseIOStream._handle_write(self)

    def _is_connreset(self, exc: BaseException) -> bool:
        return BaseIOStream._is_connreset(self, exc)


def handle_read(stream: BaseIOStream) -> None:
    """
    Run C{BaseIOStream}'s handling of a readable descriptor on C{stream}
    (C{_handle_read}: read into the buffer, resolve a satisfied read).
    """
    stream._handle_read()


def handle_write(stream: BaseIOStream) -> None:
    """
    Run C{BaseIOStream}'s handling of a writable descriptor on C{stream}
    (C{_handle_write}: write from the buffer, resolve write futures).
    """
    stream._handle_write()


def is_connreset(stream: BaseIOStream, exc: BaseException) -> bool:
    """
    Whether C{stream} counts C{exc} as a connection reset
    (C{BaseIOStream._is_connreset}), to close quietly.
    """
    return bool(stream._is_connreset(exc))


def read_buffer_size(stream: BaseIOStream) -> int:
    """
    How many bytes C{stream} holds in its read buffer
    (C{BaseIOStream._read_buffer_size}).
    """
    size: int = stream._read_buffer_size
    return size


def read_regex_pending(stream: BaseIOStream) -> bool:
    """
    Whether C{stream} waits in a C{read_until_regex} (C{_read_regex} is
    set): for an HTTP connection, the headers of a next request.
    """
    return stream._read_regex is not None


def has_pending_io(stream: BaseIOStream) -> bool:
    """
    Whether C{stream} is not idle as C{IOStream.start_tls} requires: a read
    or write future waits, it is closed, its read buffer holds bytes, or it
    is writing.
    """
    return bool(
        stream._read_future
        or stream._write_futures
        or stream.closed()
        or stream._read_buffer_size
        or stream.writing()
    )


def take_close_callback(stream: BaseIOStream) -> Callable[[], None] | None:
    """
    Remove C{stream}'s close callback (C{set_close_callback}'s) and return
    it, as C{IOStream.start_tls} does to give it to the new stream.
    """
    callback: Callable[[], None] | None = stream._close_callback
    stream._close_callback = None
    return callback


def hand_over(stream: BaseIOStream) -> None:
    """
    C{stream} no longer owns its connection (another stream took it over,
    as after C{start_tls}): mark it closed without closing the descriptor
    (C{close_fd} is not called), fail what still waits on it with
    C{StreamClosedError} and run no close callback.
    """
    stream._closed = True
    stream._close_callback = None
    stream._signal_closed()


def ssl_connect_future(stream: BaseIOStream) -> Future[Any] | None:
    """
    The future C{stream} fails with its error when it closes before its
    TLS handshake completed (C{_ssl_connect_future}, which
    C{_signal_closed} fails with C{stream.error}, not C{StreamClosedError}),
    or C{None}.
    """
    future: Future[Any] | None = stream._ssl_connect_future
    return future


def set_ssl_connect_future(stream: BaseIOStream, future: Future[Any] | None) -> None:
    """
    Set (or, with C{None}, clear) L{ssl_connect_future}.
    """
    stream._ssl_connect_future = future


class SSLOptionsHTTPConnection(_HTTPConnection):
    """
    Tornado's simple HTTP client connection (C{_HTTPConnection}), which asks
    L{ssl_options_for} for a connection's TLS settings before working them
    out from the request as Tornado does (C{_get_ssl_options}).
    """

    def ssl_options_for(self, scheme: str) -> Any:
        """
        The TLS settings (C{ssl_options}) for a connection to a URL of
        C{scheme}, or C{None} for Tornado's own (from the request's
        C{ssl_options}, C{validate_cert}, C{ca_certs}, ...).
        """
        return None

    def _get_ssl_options(self, scheme: str) -> Any:
        options = self.ssl_options_for(scheme)
        if options is not None:
            return options
        return super()._get_ssl_options(scheme)


class ConnectionClassHTTPClient(SimpleAsyncHTTPClient):
    """
    Tornado's C{SimpleAsyncHTTPClient} whose connections are of the class
    L{connection_class} (C{SimpleAsyncHTTPClient._connection_class}).

    @cvar connection_class: a subclass of L{SSLOptionsHTTPConnection}.
    """

    connection_class: type[SSLOptionsHTTPConnection] = SSLOptionsHTTPConnection

    def _connection_class(self) -> type:
        return self.connection_class


def request_with_defaults(request: HTTPRequest) -> HTTPRequest:
    """
    C{request} with Tornado's defaults for what it leaves unset
    (C{HTTPRequest._DEFAULTS} through C{httpclient._RequestProxy}), as
    C{tornado.websocket.websocket_connect} hands it to a connection.
    """
    proxied: HTTPRequest = _RequestProxy(request, HTTPRequest._DEFAULTS)  # type: ignore[assignment]
    return proxied


def ioloops_by_asyncio_loop() -> dict[Any, Any]:
    """
    Tornado's registry of the IOLoop wrapping each asyncio loop
    (C{IOLoop._ioloop_for_asyncio}, which C{BaseAsyncIOLoop.initialize}
    fills and C{IOLoop.current()} reads), as a new dict.  It lets
    L{txtornado._loop_on_reactor.stranded} look at the IOLoops that exist
    without C{IOLoop.current()}, which may create an asyncio loop.
    """
    return dict(IOLoop._ioloop_for_asyncio)
