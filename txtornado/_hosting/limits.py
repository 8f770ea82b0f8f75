# -*- test-case-name: txtornado.test.test_hosting,txtornado.test.test_twistd_hosting -*-
"""
A limit on the requests in flight (C{--limit-concurrency}): beyond it,
requests are answered 503 at once, as uvicorn's option of that name does.
"""

from __future__ import annotations

from typing import Any

from tornado import httputil
from tornado.httputil import (
    HTTPConnection,
    HTTPHeaders,
    HTTPMessageDelegate,
    HTTPServerConnectionDelegate,
    RequestStartLine,
    ResponseStartLine,
)

__all__ = ["ConcurrencyLimit"]


class ConcurrencyLimit(HTTPServerConnectionDelegate):
    """
    An C{HTTPServerConnectionDelegate} in front of another that lets at
    most C{limit} requests be in flight at once and answers the others
    C{503 Service Unavailable} without passing them on.

    A request is in flight from its headers' arrival until its
    response is finished (the handler's C{finish}), its connection is
    detached (a websocket, once upgraded, no longer counts) or closed.
    Runs in the IOLoop's thread, as the server does.

    @ivar limit: the most requests in flight at once.
    @ivar in_flight: how many are in flight now.
    @ivar refused: how many were answered 503.
    """

    def __init__(self, delegate: Any, limit: int) -> None:
        """
        @param delegate: what serves requests within the limit (an
            C{Application}, or an C{HTTPServerConnectionDelegate}).
        """
        self._delegate = delegate
        self.limit = limit
        self.in_flight = 0
        self.refused = 0

    def start_request(
        self, server_conn: object, request_conn: HTTPConnection
    ) -> HTTPMessageDelegate:
        # Called as a connection waits for its next request (an idle
        # keep-alive connection too): the request counts from its headers.
        counted = _CountedConnection(request_conn, self._release)
        inner = self._delegate.start_request(server_conn, counted)
        return _LimitedRequest(self, inner, counted)

    def on_close(self, server_conn: object) -> None:
        self._delegate.on_close(server_conn)

    def admit(self) -> bool:
        """
        Count a request whose headers arrived, if there is room for it.

        @return: whether it was admitted (else it is counted as refused).
        """
        if self.in_flight >= self.limit:
            self.refused += 1
            return False
        self.in_flight += 1
        return True

    def _release(self) -> None:
        self.in_flight -= 1


class _CountedConnection(HTTPConnection):
    """
    The request's connection as the application sees it: the real one,
    which tells L{ConcurrencyLimit} (once) when the request is done.
    """

    def __init__(self, connection: HTTPConnection, release: Any) -> None:
        self._connection = connection
        self._release = release
        self._admitted = False
        self._done = False
        self._closeCallback: Any = None
        set_close_callback = getattr(connection, "set_close_callback", None)
        if set_close_callback is not None:
            set_close_callback(self._closed)

    def set_close_callback(self, callback: Any) -> None:
        """
        The application's callback for the connection closing before its
        response is finished (the limit keeps its own registered).
        """
        self._closeCallback = callback

    def _closed(self) -> None:
        try:
            if self._closeCallback is not None:
                self._closeCallback()
        finally:
            self.done()

    def __getattr__(self, name: str) -> Any:
        # context, stream, set_max_body_size, ...: the real connection's
        return getattr(self._connection, name)

    def admitted(self) -> None:
        """
        The request counts from now on, until L{done}.
        """
        self._admitted = True

    def done(self) -> None:
        """
        The request no longer counts (it releases its place once).
        """
        if self._admitted and not self._done:
            self._done = True
            self._release()

    def write_headers(self, *args: Any, **kwargs: Any) -> Any:
        return self._connection.write_headers(*args, **kwargs)

    def write(self, *args: Any, **kwargs: Any) -> Any:
        return self._connection.write(*args, **kwargs)

    def finish(self) -> None:
        try:
            self._connection.finish()
        finally:
            self.done()

    def detach(self) -> Any:
        self.done()
        return self._connection.detach()  # type: ignore[attr-defined]


class _LimitedRequest(HTTPMessageDelegate):
    """
    One request: passed on to the application's delegate if
    L{ConcurrencyLimit} admits it when its headers arrive, else answered
    503 by an L{_Unavailable}.  It releases its place when the connection
    closes before the response is finished.
    """

    def __init__(
        self,
        limit: ConcurrencyLimit,
        delegate: HTTPMessageDelegate,
        counted: _CountedConnection,
    ) -> None:
        self._limit = limit
        self._delegate = delegate
        self._counted = counted
        self._refusal: _Unavailable | None = None

    def headers_received(
        self,
        start_line: RequestStartLine | ResponseStartLine,
        headers: HTTPHeaders,
    ) -> Any:
        if not self._limit.admit():
            self._refusal = _Unavailable(self._counted)
            return self._refusal.headers_received(start_line, headers)
        self._counted.admitted()
        return self._delegate.headers_received(start_line, headers)

    def data_received(self, chunk: bytes) -> Any:
        if self._refusal is not None:
            return self._refusal.data_received(chunk)
        return self._delegate.data_received(chunk)

    def finish(self) -> None:
        if self._refusal is not None:
            self._refusal.finish()
        else:
            self._delegate.finish()

    def on_connection_close(self) -> None:
        if self._refusal is not None:
            return
        try:
            self._delegate.on_connection_close()
        finally:
            self._counted.done()


class _Unavailable(HTTPMessageDelegate):
    """
    A request beyond the limit: its body is discarded and it is answered
    C{503 Service Unavailable} once read.
    """

    def __init__(self, connection: HTTPConnection) -> None:
        self._connection = connection
        self._head = False

    def headers_received(
        self,
        start_line: RequestStartLine | ResponseStartLine,
        headers: HTTPHeaders,
    ) -> None:
        self._head = getattr(start_line, "method", "") == "HEAD"

    def data_received(self, chunk: bytes) -> None:
        pass

    def finish(self) -> None:
        body = b"Service Unavailable\n"
        headers = httputil.HTTPHeaders(
            {"Content-Type": "text/plain", "Content-Length": str(len(body))}
        )
        self._connection.write_headers(
            ResponseStartLine("HTTP/1.1", 503, "Service Unavailable"),
            headers,
            None if self._head else body,
        )
        self._connection.finish()

    def on_connection_close(self) -> None:
        pass
