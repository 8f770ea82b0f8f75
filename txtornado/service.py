# -*- test-case-name: txtornado.test.test_twistd -*-
"""
L{TornadoService}: a Twisted C{IService} that hosts a Tornado application
on Twisted server endpoints, for C{.tac} files, C{MultiService}s and the
C{twistd tornado} plugin.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Sequence
from typing import Any

import tornado.web
from tornado.httputil import (
    HTTPConnection,
    HTTPMessageDelegate,
    HTTPServerConnectionDelegate,
)
from twisted.application import service
from twisted.internet.defer import Deferred, DeferredList, maybeDeferred
from twisted.internet.interfaces import IStreamServerEndpoint
from twisted.logger import Logger
from twisted.python.failure import Failure

from txtornado._hosting.limits import ConcurrencyLimit
from txtornado._hosting.proxy import ForwardedAllowIPs, ForwardedHTTPServer
from txtornado.endpoints import ListeningServer, listen

__all__ = [
    "DEFAULT_ENDPOINT",
    "AppFactory",
    "ListenError",
    "TornadoService",
    "check_settings",
    "make_application",
]

#: Where a service listens when given no endpoint: loopback only.
DEFAULT_ENDPOINT = "tcp:8888:interface=127.0.0.1"

AppFactory = Callable[..., tornado.web.Application]


class _LateApplication(HTTPServerConnectionDelegate):
    """
    The delegate the servers are built with: it forwards every request to
    the application, which L{TornadoService} creates once the reactor runs,
    after the ports are bound.
    """

    def __init__(self) -> None:
        self.app: tornado.web.Application | None = None

    def start_request(
        self, server_conn: object, request_conn: HTTPConnection
    ) -> HTTPMessageDelegate:
        assert self.app is not None, "a request arrived before the application was made"
        return self.app.start_request(server_conn, request_conn)

    def on_close(self, server_conn: object) -> None:
        if self.app is not None:
            self.app.on_close(server_conn)


def make_application(
    app: tornado.web.Application | AppFactory, settings: dict[str, Any]
) -> tornado.web.Application:
    """
    Return C{app}, or call it to make one, passing C{settings} as keyword
    arguments (a factory that takes none may only be given none).

    @raise TypeError: C{app} is neither an Application nor a callable
        returning one, or settings cannot be passed to it.
    """
    check_settings(app, settings)
    if isinstance(app, tornado.web.Application):
        return app
    made = app(**settings)
    if not isinstance(made, tornado.web.Application):
        raise TypeError(
            f"{_name(app)} returned {made!r}, not a tornado.web.Application"
        )
    return made


def check_settings(
    app: tornado.web.Application | AppFactory, settings: dict[str, Any]
) -> None:
    """
    Check, without calling it, that C{app} can be made with C{settings}.

    @raise TypeError: as L{make_application} would, before the call: C{app}
        is neither an Application nor callable, settings are given for an
        Application instance, or the factory takes no parameter of a
        setting's name (and no C{**kwargs}).
    """
    if isinstance(app, tornado.web.Application):
        if settings:
            raise TypeError(
                "settings can only be passed to a factory, not to an Application "
                f"instance (given: {', '.join(sorted(settings))})"
            )
        return
    if not callable(app):
        raise TypeError(f"{app!r} is neither a tornado.web.Application nor callable")
    if settings:
        try:
            parameters = inspect.signature(app).parameters.values()
        except (TypeError, ValueError):  # no signature to check: call it
            return
        takesAny = any(p.kind is p.VAR_KEYWORD for p in parameters)
        names = {
            p.name
            for p in parameters
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        }
        unknown = sorted(set(settings) - names)
        if unknown and not takesAny:
            raise TypeError(f"{_name(app)} takes no setting {', '.join(unknown)}")


def _name(obj: Any) -> str:
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', obj)}"


class TornadoService(service.Service):
    """
    Host a Tornado application on Twisted server endpoints.

    The ports are bound in L{privilegedStartService} (before twistd drops
    privileges, as Twisted's own port services do), and the application is
    made once the reactor runs, so a factory may create clients and
    schedule work.  L{stopService} stops accepting at once, lets requests in
    flight finish for up to C{shutdown_timeout} seconds, then closes what is
    left; twistd waits for it before the reactor stops.

    On a reactor other than L{TornadoReactor<txtornado.TornadoReactor>}
    Tornado runs on a L{TwistedIOLoop<txtornado.TwistedIOLoop>} over it,
    made current when the service starts.

    All methods run in the reactor thread.

    @param app: a C{tornado.web.Application}, or a callable returning one.
    @param endpoints: Twisted server endpoints or endpoint strings.
    @param settings: keyword arguments for the factory.
    @param server_options: C{HTTPServer} keyword arguments (C{xheaders},
        C{max_body_size}, C{idle_connection_timeout}, ...).
    @param shutdown_timeout: seconds requests in flight may take on stop;
        C{None} waits for them however long they take.
    @param forwarded_allow_ips: with C{server_options} C{xheaders}, the
        peers whose proxy headers are believed (addresses, CIDR networks,
        C{"*"} for all, C{"unix"} for UNIX-socket peers); C{None}: every
        peer (Tornado's C{xheaders} alone).
    @param limit_concurrency: the most requests in flight at once, over
        every endpoint; beyond it requests are answered 503 (see
        L{ConcurrencyLimit<txtornado._hosting.limits.ConcurrencyLimit>});
        C{None}: no limit.
    @param static: (directory, URL prefix) pairs: each directory's files
        are served under its prefix (C{"/static/"}) by Tornado's
        C{StaticFileHandler}, before the application's own routes.

    @ivar listening: the L{ListeningServer}s, once bound.
    @ivar application: the application, once made.
    @ivar failed: the failure that stopped the service from serving, if any.
    @ivar forced: how many connections the last stop aborted while busy
        (because C{shutdown_timeout} passed), or C{None} before a stop.
    """

    name = "tornado"
    _log = Logger()

    def __init__(
        self,
        app: tornado.web.Application | AppFactory,
        endpoints: Sequence[IStreamServerEndpoint | str] = (DEFAULT_ENDPOINT,),
        *,
        settings: dict[str, Any] | None = None,
        server_options: dict[str, Any] | None = None,
        shutdown_timeout: float | None = 10.0,
        reactor: Any = None,
        forwarded_allow_ips: Sequence[str] | None = None,
        limit_concurrency: int | None = None,
        static: Sequence[tuple[str, str]] = (),
    ) -> None:
        if reactor is None:
            from twisted.internet import reactor as globalReactor

            reactor = globalReactor
        self._reactor = reactor
        self._app = app
        self._endpoints = list(endpoints) or [DEFAULT_ENDPOINT]
        self._settings = dict(settings or {})
        self._serverOptions = dict(server_options or {})
        self.shutdown_timeout = shutdown_timeout
        self._allowIPs = (
            None
            if forwarded_allow_ips is None
            else ForwardedAllowIPs(forwarded_allow_ips)
        )
        self._static = list(static)
        self._delegate = _LateApplication()
        self._served: HTTPServerConnectionDelegate = self._delegate
        if limit_concurrency is not None:
            self._served = ConcurrencyLimit(self._delegate, limit_concurrency)
        self._ioLoop: Any = None
        self.listening: list[ListeningServer] = []
        self.application: tornado.web.Application | None = None
        self.failed: Failure | None = None
        self.forced: int | None = None
        self._stopping: list[ListeningServer] = []
        self._aborted = 0

    def _ensureIOLoop(self) -> None:
        """
        Make sure Tornado code runs on this reactor's loop.
        """
        from txtornado.ioloop import io_loop_for_reactor

        self._ioLoop = io_loop_for_reactor(self._reactor)

    def privilegedStartService(self) -> None:
        """
        Bind every endpoint.  Binding is synchronous for Twisted's own
        endpoints (tcp, ssl, unix, systemd); an error raises here.

        @raise Exception: the first endpoint's failure to listen, with the
            endpoint in the message.
        """
        service.Service.privilegedStartService(self)
        self._ensureIOLoop()
        for endpoint in self._endpoints:
            result: list[Any] = []
            try:
                target, kwargs = self._target()
                d = listen(target, endpoint, self._reactor, **kwargs)
            except Exception as e:  # an endpoint string serverFromString rejects
                raise ListenError(endpoint, e) from e
            d.addBoth(result.append)
            if not result:
                # An endpoint that binds later: keep it, report on failure.
                d.addCallback(self.listening.append)
                d.addErrback(self._listenFailed, endpoint)
                continue
            if isinstance(result[0], Failure):
                raise ListenError(endpoint, result[0].value or Exception(result[0]))
            self.listening.append(result[0])

    def _target(self) -> tuple[Any, dict[str, Any]]:
        """
        What L{listen} serves and its server keyword arguments: the
        application's delegate (behind the concurrency limit) with
        C{server_options}, or a server made for
        it that believes proxy headers from trusted peers only.
        """
        if self._allowIPs is None or not self._serverOptions.get("xheaders"):
            return self._served, self._serverOptions
        server = ForwardedHTTPServer(
            self._served, forwarded_allow_ips=self._allowIPs, **self._serverOptions
        )
        return server, {}

    def startService(self) -> None:
        """
        Bind (if L{privilegedStartService} did not) and make the
        application once the reactor runs.
        """
        if not self.listening:
            self.privilegedStartService()
        service.Service.startService(self)
        self._reactor.callWhenRunning(self._makeApplication)

    def _makeApplication(self) -> None:
        try:
            self.application = make_application(self._app, self._settings)
        except Exception:
            self._fail(Failure(), "could not make the application")
            return
        for directory, prefix in self._static:
            self.application.add_handlers(
                r".*",
                [
                    (
                        re.escape(prefix) + "(.*)",
                        tornado.web.StaticFileHandler,
                        {"path": directory, "default_filename": "index.html"},
                    )
                ],
            )
        self._delegate.app = self.application
        for server in self.listening:
            self._log.info(
                "Tornado application serving on {address}",
                address=describe(server),
            )

    def _listenFailed(self, failure: Failure, endpoint: object) -> None:
        self._fail(failure, f"cannot listen on {endpoint}")

    def _fail(self, failure: Failure, what: str) -> None:
        self.failed = failure
        self._log.failure("txtornado: {what}", failure, what=what)
        if self._reactor.running:
            self._reactor.stop()

    def stopService(self) -> Deferred[Any]:
        """
        Stop accepting, send open websockets a close frame (1001, going
        away), let requests in flight finish and websockets close (up to
        C{shutdown_timeout}), close the rest.  Fires when all are closed.
        """
        service.Service.stopService(self)
        self._stopping = self.listening
        self._aborted = 0
        open = sum(len(server.factory.connections) for server in self._stopping)
        if open:
            self._log.info(
                "Stopping: {open} connection(s) open, waiting up to {timeout} s "
                "(websockets get a close frame)",
                open=open,
                timeout=self.shutdown_timeout,
            )
        stops = [
            maybeDeferred(server.stop, self.shutdown_timeout, close_websockets=True)
            for server in self._stopping
        ]
        self.listening = []

        def count(results: list[tuple[bool, Any]]) -> int:
            for ok, r in results:
                if not ok:
                    self._log.failure("Stopping a server failed", r)
            late = sum(r if ok else 1 for ok, r in results)
            self.forced = late + self._aborted
            self._stopping = []
            if late:
                self._log.warn(
                    "{forced} connection(s) still busy after {timeout} s were closed",
                    forced=late,
                    timeout=self.shutdown_timeout,
                )
            return self.forced

        return DeferredList(stops, consumeErrors=True).addCallback(count)

    def abort(self) -> int:
        """
        During a L{stopService}, abort every connection still open at once
        (they count in L{forced}); otherwise do nothing.

        @return: how many connections were aborted.
        """
        aborted = 0
        for server in self._stopping:
            for protocol in list(server.factory.connections):
                protocol.transport.abortConnection()
                aborted += 1
        self._aborted += aborted
        if aborted:
            self._log.warn("{aborted} connection(s) aborted at once", aborted=aborted)
        return aborted


class ListenError(Exception):
    """
    An endpoint could not listen.
    """

    def __init__(self, endpoint: object, error: BaseException) -> None:
        detail = str(error) or type(error).__name__
        if isinstance(error, (IndexError, KeyError, TypeError)):
            detail = f"{type(error).__name__}: {detail}"
        super().__init__(f"cannot listen on {endpoint}: {detail}")
        self.endpoint = endpoint
        self.error = error


def describe(server: ListeningServer) -> str:
    """
    A URL (or UNIX socket path) for a listening server, for the log line.
    """
    address = server.getHost()
    scheme = "https" if _usesTLS(server) else "http"
    host = getattr(address, "host", None)
    port = getattr(address, "port", None)
    if host is not None and port is not None:
        if ":" in host:
            host = f"[{host}]"
        return f"{scheme}://{host}:{port}/"
    name = getattr(address, "name", None)
    if name is not None:
        return f"unix:{name.decode() if isinstance(name, bytes) else name}"
    return str(address)


def _usesTLS(server: ListeningServer) -> bool:
    from twisted.protocols.tls import TLSMemoryBIOFactory

    factory = getattr(server.port, "factory", None)
    return server.server.ssl_options is not None or isinstance(
        factory, TLSMemoryBIOFactory
    )
