"""
The C{twistd tornado} plugin: command-line options and the service maker
(the dropin is C{twisted/plugins/txtornado_twistd.py}).

    twistd -n tornado --app pkg.module:make_app [--listen ENDPOINT]... [options]
"""

from __future__ import annotations

import atexit
import importlib
import json
import os
import sys
from typing import Any

from twisted.application import service
from twisted.internet import defer
from twisted.internet.defer import Deferred
from twisted.python import usage

__all__ = ["Options", "makeService"]


def _jsonOrString(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


class Options(usage.Options):
    """
    Options of C{twistd tornado}.
    """

    synopsis = "--app pkg.module:make_app [--listen ENDPOINT]... [options]"
    longdesc = (
        "Host a Tornado application under twistd.  --app names a "
        "tornado.web.Application, or a callable returning one (called once, "
        "in the running reactor, with the --setting values as keyword "
        "arguments).  The current directory (or --app-dir) is put first on "
        "sys.path for the import.  --listen takes any Twisted server endpoint "
        "string (tcp:8888:interface=127.0.0.1, "
        "ssl:8443:privateKey=key.pem:certKey=cert.pem, unix:/run/app.sock, "
        "systemd:domain=INET:index=0) and may be repeated; a tcp: or ssl: "
        "endpoint without interface= binds every interface (Twisted's "
        "default).  Without --listen the app listens on "
        "tcp:8888:interface=127.0.0.1 (loopback only)."
    )
    optParameters = [
        ["app", "a", None, "pkg.module:name of the Application or its factory"],
        [
            "app-dir",
            None,
            ".",
            "directory put first on sys.path before importing --app",
        ],
        ["max-body-size", None, None, "largest request body, in bytes", int],
        ["max-header-size", None, None, "largest request header, in bytes", int],
        [
            "idle-connection-timeout",
            None,
            None,
            "seconds a keep-alive connection may idle",
            float,
        ],
        [
            "body-timeout",
            None,
            None,
            "seconds a request body may take to arrive",
            float,
        ],
        [
            "shutdown-timeout",
            None,
            10.0,
            "seconds requests in flight may take on stop",
            float,
        ],
    ]
    optFlags = [
        ["xheaders", None, "trust X-Real-Ip/X-Forwarded-For and X-Scheme headers"],
        ["decompress-request", None, "decompress gzip request bodies"],
    ]

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self["listen"] = []
        self["settings"] = {}

    def opt_listen(self, endpoint: str) -> None:
        """
        A Twisted server endpoint string to serve on (repeatable).
        """
        self["listen"].append(endpoint)

    opt_l = opt_listen

    def opt_setting(self, pair: str) -> None:
        """
        key=value for the app factory (repeatable; JSON values parsed).
        """
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise usage.UsageError(f"--setting wants key=value, not {pair!r}")
        self["settings"][key] = _jsonOrString(value)

    def postOptions(self) -> None:
        if not self["app"]:
            raise usage.UsageError("--app is required (pkg.module:make_app)")
        for option, minimum, why in _LIMITS:
            value = self[option]
            if value is not None and (value < minimum or (why and value == 0)):
                bound = "greater than 0" if why else f"at least {minimum}"
                extra = f" ({why})" if why else ""
                raise usage.UsageError(
                    f"--{option} must be {bound}, not {value}{extra}"
                )

    def serverOptions(self) -> dict[str, Any]:
        """
        The C{HTTPServer} keyword arguments the options ask for.
        """
        names = {
            "xheaders": "xheaders",
            "decompress-request": "decompress_request",
            "max-body-size": "max_body_size",
            "max-header-size": "max_header_size",
            "idle-connection-timeout": "idle_connection_timeout",
            "body-timeout": "body_timeout",
        }
        # None: not given.  A flag not given is 0; a value given is kept
        # whatever it is (0 included: --max-body-size 0 allows no body).
        return {
            kwarg: bool(self[option]) if option in _FLAGS else self[option]
            for option, kwarg in names.items()
            if self[option] is not None and (option not in _FLAGS or self[option])
        }


#: Numeric options and the least value each takes; a reason means 0 is
#: refused too (Tornado would read it as "not given" or as "fail at once").
_LIMITS = [
    ("max-body-size", 0, ""),
    ("max-header-size", 0, "Tornado reads 0 as its default, 64 KiB"),
    ("idle-connection-timeout", 0, "Tornado reads 0 as its default, 3600 s"),
    ("body-timeout", 0, "leave it out for no limit"),
    ("shutdown-timeout", 0, ""),
]
_FLAGS = {"xheaders", "decompress-request"}


def loadApp(path: str, appDir: str | None = None) -> Any:
    """
    Import C{pkg.module:name} (or C{pkg.module.name}) and return the object.

    @param appDir: a directory put first on C{sys.path} before the import
        (as uvicorn's and gunicorn's C{--app-dir}/C{--chdir} do; twistd
        itself puts only its script's directory there).
    @raise SystemExit: with a one-line message naming what is missing.
    """
    if appDir is not None:
        if not os.path.isdir(appDir):
            _die(f"--app-dir {appDir}: no such directory")
        directory = os.path.abspath(appDir)
        if directory not in sys.path:
            sys.path.insert(0, directory)
    module, sep, name = path.partition(":")
    if not sep:
        module, _, name = path.rpartition(".")
    if not module or not name:
        _die(f"--app {path!r}: expected pkg.module:name")
    try:
        imported = importlib.import_module(module)
    except ImportError as e:
        _die(f"--app {path}: cannot import {module}: {e}")
    try:
        return getattr(imported, name)
    except AttributeError:
        _die(f"--app {path}: module {module} has no {name!r}")


def _exitFailed() -> None:
    """
    End the process with status 1, at exit, after twistd's own clean-up
    (its pid file, its log): the application could not be served.  twistd
    has no exit status of its own for that.
    """
    import logging

    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(1)


def _die(message: str) -> Any:
    raise SystemExit(f"twistd tornado: {message}")


def makeService(options: Options) -> Any:
    """
    Make the L{TornadoService} the options describe.  Problems a user can
    fix (a bad --app, a bad endpoint string, a busy port) end twistd with
    a one-line message and exit status 1.
    """
    import tornado.web
    from twisted.internet import reactor

    from txtornado.logbridge import route_tornado_logs
    from txtornado.service import ListenError, TornadoService, check_settings

    app = loadApp(options["app"], options["app-dir"])
    if not (isinstance(app, tornado.web.Application) or callable(app)):
        _die(
            f"--app {options['app']}: {app!r} is neither a tornado.web.Application "
            "nor a callable returning one"
        )
    try:
        check_settings(app, options["settings"])
    except TypeError as e:
        _die(f"--app {options['app']}: --setting: {e}")
    route_tornado_logs()
    svc = TornadoService(
        app,
        options["listen"],
        settings=options["settings"],
        server_options=options.serverOptions(),
        shutdown_timeout=options["shutdown-timeout"],
        reactor=reactor,
    )
    return _Checked(svc, ListenError)


class _Checked(service.MultiService):
    """
    Wraps the service so that endpoint errors found while binding end
    twistd with a one-line message instead of a traceback.
    """

    def __init__(self, svc: Any, errors: type[Exception]) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.tornado = svc
        self._errors = errors
        svc.setServiceParent(self)

    def stopService(self) -> Deferred[Any]:
        """
        Stop gracefully; if every request finished in time and the
        application did not fail, let twistd exit 0 even when a signal
        (SIGTERM, SIGINT) started the stop.
        """
        from twisted.internet import reactor

        from txtornado._twisted_private import forgetExitSignal

        def graceful(_: object) -> None:
            if self.tornado.failed is not None:
                atexit.register(_exitFailed)
            elif self.tornado.forced == 0:
                forgetExitSignal(reactor)

        self._abortOnSecondSignal(reactor)
        d: Deferred[Any] = defer.maybeDeferred(super().stopService)
        return d.addCallback(graceful)

    def _abortOnSecondSignal(self, reactor: Any) -> None:
        """
        From now on (the drain), SIGINT or SIGTERM aborts the connections
        still open, so the stop ends at once (and twistd by the first
        signal), instead of twistd's handler calling C{reactor.stop()}
        again (C{ReactorNotRunning}).
        """
        import signal
        import threading

        if threading.current_thread() is not threading.main_thread():
            return

        def handler(signum: int, frame: object) -> None:
            reactor.callFromThread(self.tornado.abort)

        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, handler)

    def privilegedStartService(self) -> None:
        try:
            super().privilegedStartService()  # type: ignore[no-untyped-call]
        except self._errors as e:
            _die(str(e))


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use: twistd tornado --help")
