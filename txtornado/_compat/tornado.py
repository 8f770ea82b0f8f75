"""
The one place where txtornado names Tornado attributes that are not public
API.

L{txtornado.iostream.TwistedIOStream} is a C{tornado.iostream.BaseIOStream}
subclass.  The documented subclass hooks (C{fileno}, C{close_fd},
C{write_to_fd}, C{read_from_fd}, C{get_fd_error}) cover reading and
writing, but not how a stream waits for readiness: C{BaseIOStream} asks the
IOLoop for file descriptor events through C{_add_io_state} and dispatches
them in C{_handle_events}.  A Twisted transport pushes data and writability
to its protocol instead, so the stream overrides C{_add_io_state} (to
record what it waits for) and calls C{_handle_read}/C{_handle_write}
itself when the protocol reports data or drained buffers.  The attributes
below are everything of that kind the stream reads, calls or overrides;
C{txtornado.test.test_iostream.TornadoPrivateNamesTests} fails, naming the
attribute, if a Tornado release changes one of them.

The HTTP client side (L{txtornado.endpoints.EndpointHTTPClient}) overrides
C{SimpleAsyncHTTPClient._connection_class} and
C{_HTTPConnection._get_ssl_options}, so that a request's client certificate
reaches Twisted's TLS as the C{ssl_options} dict form (an C{ssl.SSLContext}
does not reveal the certificate loaded into it).  Its websocket client
(L{txtornado.endpoints.websocket_connect}) does what
C{tornado.websocket.websocket_connect} does with a request, wrapping it in
C{tornado.httpclient._RequestProxy} over C{HTTPRequest._DEFAULTS}, and
replaces the C{TCPClient} that C{WebSocketClientConnection} makes through
its C{tcp_client} attribute.
"""

from __future__ import annotations

from tornado.httpclient import _RequestProxy
from tornado.simple_httpclient import _HTTPConnection

__all__ = [
    "BASE_IOSTREAM_ATTRIBUTES",
    "BASE_IOSTREAM_METHODS",
    "HTTP_CLIENT_METHODS",
    "_HTTPConnection",
    "_RequestProxy",
]

#: Private methods of C{BaseIOStream} that the stream calls or overrides,
#: with the parameter names it relies on (besides C{self}).
BASE_IOSTREAM_METHODS: dict[str, tuple[str, ...]] = {
    # overridden: record the events the stream waits for, instead of
    # registering the descriptor with the IOLoop
    "_add_io_state": ("state",),
    # called when the transport delivered data / drained its buffer
    "_handle_read": (),
    "_handle_write": (),
    # overridden by SSLIOStream; the Twisted TLS stream restores the base
    # behaviour
    "_is_connreset": ("exc",),
}

#: Private instance attributes of C{BaseIOStream} that the stream reads or
#: sets: C{_state} stays C{None} (so C{close} never asks the IOLoop to
#: remove a handler), C{_read_buffer_size} is the amount already buffered by
#: Tornado (for flow control), C{_read_regex} tells
#: L{txtornado.endpoints.ListeningServer.stop} that an HTTP connection waits
#: for a request's headers, the others are checked and moved by
#: C{start_tls} as Tornado's own C{IOStream.start_tls} does.
BASE_IOSTREAM_ATTRIBUTES = (
    "_state",
    "_read_buffer_size",
    "_read_regex",
    "_read_future",
    "_write_futures",
    "_close_callback",
    "_closed",
)

#: Private methods of Tornado's simple HTTP client that
#: L{txtornado.endpoints.EndpointHTTPClient} overrides.
HTTP_CLIENT_METHODS: dict[str, tuple[str, ...]] = {
    "SimpleAsyncHTTPClient._connection_class": (),
    "_HTTPConnection._get_ssl_options": ("scheme",),
}


def make_current(io_loop: object) -> None:
    """
    Make C{io_loop} the current IOLoop of this thread without the
    deprecation warning of the public C{IOLoop.make_current}: Tornado's own
    C{IOLoop._make_current}, which C{make_current} calls after warning.
    """
    io_loop._make_current()  # type: ignore[attr-defined]
