# -*- test-case-name: txtornado.test.test_twistd -*-
"""
The C{twistd tornado} plugin: command-line options and the service maker
(the dropin is C{twisted/plugins/txtornado_twistd.py}).

    twistd -n tornado --app pkg.module:make_app [--listen ENDPOINT]... [options]
"""

from __future__ import annotations

import atexit
import importlib
import json
import logging
import os
import sys
from typing import Any

from twisted.application import service
from twisted.internet import defer
from twisted.internet.defer import Deferred
from twisted.python import usage

from txtornado._hosting.logs import FORMATS, LEVELS, LogSettings
from txtornado._hosting.proxy import ForwardedAllowIPs

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
        [
            "log-level",
            None,
            None,
            "least level logged: debug, info, warn, error, critical [default: info]",
        ],
        ["log-format", None, None, "text (twistd's lines) or json (one per line)"],
        [
            "workers",
            "w",
            None,
            "worker processes sharing the listening sockets (parent restarts "
            "them, forwards SIGTERM/SIGINT)",
            int,
        ],
        [
            "limit-concurrency",
            None,
            None,
            "most requests in flight at once; beyond it answer 503",
            int,
        ],
        [
            "forwarded-allow-ips",
            None,
            None,
            "comma list of addresses/CIDRs (or *, unix) whose proxy headers are "
            "believed; implies --xheaders [default: $FORWARDED_ALLOW_IPS or "
            "127.0.0.1]",
        ],
        [
            "tls-cert",
            None,
            None,
            "PEM certificate (chain): serve TLS on every --listen",
        ],
        ["tls-key", None, None, "PEM private key of --tls-cert"],
        [
            "tls-ca",
            None,
            None,
            "PEM CA certificates: require client certificates signed by them",
        ],
    ]
    optFlags = [
        [
            "xheaders",
            None,
            "believe X-Real-Ip/X-Forwarded-For/X-Scheme/X-Forwarded-Proto from "
            "--forwarded-allow-ips peers",
        ],
        ["decompress-request", None, "decompress gzip request bodies"],
        ["no-access-log", None, "leave Tornado's access lines out of the log"],
        [
            "reload",
            None,
            "restart when a source file changes (development; needs twistd -n)",
        ],
    ]

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self["listen"] = []
        self["settings"] = {}
        self["static"] = []

    def opt_listen(self, endpoint: str) -> None:
        """
        A Twisted server endpoint string to serve on (repeatable).
        """
        self["listen"].append(endpoint)

    opt_l = opt_listen

    def opt_static(self, value: str) -> None:
        """
        DIR[:URL]: serve DIR's files under URL (default /static/; repeatable)
        """
        directory, sep, prefix = value.rpartition(":")
        if not sep or not prefix.startswith("/"):
            directory, prefix = value, "/static/"
        if not prefix.endswith("/"):
            prefix += "/"
        if not os.path.isdir(directory):
            raise usage.UsageError(f"--static {value}: {directory}: no such directory")
        self["static"].append((os.path.abspath(directory), prefix))

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
        self._checkTLS()
        if self["log-level"] is not None and self["log-level"] not in LEVELS:
            raise usage.UsageError(
                f"--log-level {self['log-level']}: not one of {', '.join(LEVELS)}"
            )
        if self["log-format"] is not None and self["log-format"] not in FORMATS:
            raise usage.UsageError(
                f"--log-format {self['log-format']}: not one of {', '.join(FORMATS)}"
            )
        try:
            ForwardedAllowIPs.fromString(self.forwardedAllowIPs())
        except ValueError as e:
            raise usage.UsageError(f"--forwarded-allow-ips: {e}") from None
        if self["forwarded-allow-ips"] is not None:
            self["xheaders"] = 1

    def forwardedAllowIPs(self) -> str:
        """
        The peers whose proxy headers are believed, as given (or from
        C{$FORWARDED_ALLOW_IPS}, as uvicorn and gunicorn read it; else
        C{127.0.0.1}).
        """
        given = self["forwarded-allow-ips"]
        if given is None:
            given = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
        return str(given)

    def _checkTLS(self) -> None:
        """
        Refuse TLS options that cannot all be honoured: a key or CA without
        a certificate, a certificate without its key, a missing file, or a
        C{--listen} endpoint that is TLS already (C{ssl:}).
        """
        given = [o for o in ("tls-cert", "tls-key", "tls-ca") if self[o]]
        if not given:
            return
        if not self["tls-cert"]:
            raise usage.UsageError(f"--{given[0]} needs --tls-cert")
        if not self["tls-key"]:
            raise usage.UsageError(
                "--tls-cert needs --tls-key (the certificate's private key)"
            )
        for option in given:
            if not os.path.isfile(self[option]):
                raise usage.UsageError(f"--{option} {self[option]}: no such file")
        for endpoint in self["listen"]:
            if endpoint.split(":", 1)[0].strip().lower() == "ssl":
                raise usage.UsageError(
                    f"--tls-cert applies TLS to every --listen endpoint; {endpoint} "
                    "is TLS already (give tcp:..., or leave out the --tls options)"
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
        options = {
            kwarg: bool(self[option]) if option in _FLAGS else self[option]
            for option, kwarg in names.items()
            if self[option] is not None and (option not in _FLAGS or self[option])
        }
        tls = self.sslOptions()
        if tls is not None:
            options["ssl_options"] = tls
        return options

    def workerArguments(self) -> list[str]:
        """
        The C{twistd tornado} arguments of a worker: these options but
        C{--listen} (a worker serves the sockets it inherits) and
        C{--workers}, with C{--log-format json} (its parent logs its
        events).
        """
        args = []
        parameters: Any = self.optParameters
        flags: Any = self.optFlags
        for name, _, default, *_ in parameters:
            value = self[name]
            if name in ("workers", "log-format") or value is None or value == default:
                continue
            if name == "app-dir":
                value = os.path.abspath(value)
            args.append(f"--{name}={value}")
        for name, *_ in flags:
            if self[name]:
                args.append(f"--{name}")
        for key, value in self["settings"].items():
            args.append(f"--setting={key}={json.dumps(value)}")
        for directory, prefix in self["static"]:
            args.append(f"--static={directory}:{prefix}")
        # The parent publishes the workers' events in its own log.
        args.append("--log-format=json")
        return args

    def logSettings(self) -> LogSettings:
        """
        The log options given (twistd's defaults for those not given).
        """
        return LogSettings(
            level=LEVELS[self["log-level"] or "info"],
            accessLog=not self["no-access-log"],
            format=self["log-format"] or "text",
        )

    def sslOptions(self) -> dict[str, Any] | None:
        """
        Tornado's dict form of C{ssl_options} for the C{--tls-*} options
        (translated by L{txtornado.tls.server_options}: ALPN C{http/1.1},
        TLS 1.2 and 1.3), or C{None} without C{--tls-cert}.
        """
        if not self["tls-cert"]:
            return None
        import ssl

        options: dict[str, Any] = {
            "certfile": self["tls-cert"],
            "keyfile": self["tls-key"],
        }
        if self["tls-ca"]:
            options.update(ca_certs=self["tls-ca"], cert_reqs=ssl.CERT_REQUIRED)
        return options


#: Numeric options and the least value each takes; a reason means 0 is
#: refused too (Tornado would read it as "not given" or as "fail at once").
_LIMITS = [
    ("max-body-size", 0, ""),
    ("max-header-size", 0, "Tornado reads 0 as its default, 64 KiB"),
    ("idle-connection-timeout", 0, "Tornado reads 0 as its default, 3600 s"),
    ("body-timeout", 0, "leave it out for no limit"),
    ("shutdown-timeout", 0, ""),
    ("limit-concurrency", 1, ""),
    ("workers", 1, ""),
]
_FLAGS = {"xheaders", "decompress-request"}


def load_app(path: str, appDir: str | None = None) -> Any:
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

    app = load_app(options["app"], options["app-dir"])
    if not (isinstance(app, tornado.web.Application) or callable(app)):
        _die(
            f"--app {options['app']}: {app!r} is neither a tornado.web.Application "
            "nor a callable returning one"
        )
    try:
        check_settings(app, options["settings"])
    except TypeError as e:
        _die(f"--app {options['app']}: --setting: {e}")
    logs = options.logSettings()
    observer = None if logs.isDefault() else _logObserver(logs)
    route_tornado_logs(_STDLIB_LEVELS.get(logs.level.name, logging.INFO))
    settings = options["settings"]
    _prepareReload(
        bool(
            options["reload"]
            or settings.get("autoreload", settings.get("debug", False)) is True
        ),
        reactor,
    )
    from txtornado._hosting.workers import WORKER_FDS, worker_endpoints

    endpoints: list[Any] = list(options["listen"])
    if os.environ.get(WORKER_FDS):
        endpoints = list(worker_endpoints(reactor, dict(os.environ)))
        del os.environ[WORKER_FDS]
        reactor.callWhenRunning(_ignoreSIGINT)
    elif (options["workers"] or 1) > 1:
        return _Checked(_workerPool(options, reactor), ListenError, observer)
    svc = TornadoService(
        app,
        endpoints,
        settings=options["settings"],
        server_options=options.serverOptions(),
        shutdown_timeout=options["shutdown-timeout"],
        reactor=reactor,
        forwarded_allow_ips=options.forwardedAllowIPs().split(","),
        limit_concurrency=options["limit-concurrency"],
        static=options["static"],
    )
    return _Checked(svc, ListenError, observer)


def _workerPool(options: Options, reactor: Any) -> Any:
    """
    The parent of C{--workers}: a L{WorkerPool} running the workers.

    @raise SystemExit: for options workers cannot honour.
    """
    from txtornado._hosting.workers import WorkerPool
    from txtornado.service import DEFAULT_ENDPOINT

    if options["reload"]:
        _die("--reload cannot be combined with --workers")
    endpoints = options["listen"] or [DEFAULT_ENDPOINT]
    for endpoint in endpoints:
        if endpoint.split(":", 1)[0].strip().lower() == "ssl":
            _die(
                f"--workers share plain sockets; {endpoint} is TLS: give "
                "tcp:... with --tls-cert/--tls-key"
            )
        if endpoint.split(":", 1)[0].strip().lower() == "unix":
            # Each worker's adopted port would remove the socket file as it
            # stops, and the later ones fail to.
            _die(
                f"--workers share TCP sockets; {endpoint} is a UNIX socket: run "
                "one twistd per UNIX socket (or a systemd socket unit)"
            )
    twistdArgs = ["-n", "--pidfile=", *_reactorArguments()]
    workerArgs = [
        "-c",
        "from twisted.scripts.twistd import run; run()",
        *twistdArgs,
        "tornado",
        *options.workerArguments(),
    ]
    return WorkerPool(endpoints, options["workers"], workerArgs, reactor)


def _reactorArguments() -> list[str]:
    """
    twistd's C{--reactor} option as this process was given it, if it was.
    """
    args = sys.argv[1:]
    for i, arg in enumerate(args):
        if arg.startswith("--reactor="):
            return [arg]
        if arg in ("--reactor", "-r") and i + 1 < len(args):
            return [f"--reactor={args[i + 1]}"]
        if arg.startswith("-r") and len(arg) > 2:
            return [f"--reactor={arg[2:]}"]
    return []


def _ignoreSIGINT() -> None:
    """
    A worker stops on its parent's SIGTERM; the SIGINT of a terminal's
    Ctrl-C reaches the parent (which forwards it as SIGTERM) and, in the
    same process group, the worker too: the worker ignores it.
    """
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


#: the stdlib logging level for Tornado's loggers at each --log-level
_STDLIB_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
}


def _logObserver(logs: LogSettings) -> Any:
    """
    The log observer for the log options, where twistd would log.

    @raise SystemExit: outside twistd, with twistd's C{--logger} (whose
        observer twistd takes instead), or for a destination the format
        cannot go to.
    """
    from txtornado._hosting.logs import log_observer

    config = _twistdConfig()
    if config is None:
        _die("--log-level, --log-format and --no-access-log need twistd's log")
    if config["logger"]:
        _die(
            "--log-level, --log-format and --no-access-log filter twistd's own "
            "log: leave out twistd's --logger"
        )
    try:
        return log_observer(logs, config)
    except ValueError as e:
        _die(str(e))


def _twistdConfig() -> Any:
    """
    twistd's own options for this process's command line, or C{None} when
    it is not twistd's (the plugin used from code).
    """
    from txtornado._compat.twisted import twistd_server_options

    # Not --reactor again: that would install a second reactor.
    args: list[str] = []
    skip = False
    for arg in sys.argv[1:]:
        if skip:
            skip = False
        elif arg in ("--reactor", "-r"):
            skip = True
        elif not arg.startswith(("--reactor=", "-r")):
            args.append(arg)
    config = twistd_server_options()()
    try:
        config.parseOptions(args)
    except (usage.UsageError, SystemExit):
        return None
    return config


def _prepareReload(asked: bool, reactor: Any) -> None:
    """
    Make development reload restart twistd cleanly.

    Tornado's autoreload (started by an application's C{debug} or
    C{autoreload} setting) re-executes the process with the same pid and
    command line; a hook removes twistd's pid file first if it names this
    process, so the new twistd does not refuse with "Another twistd server
    is running".  When C{asked} (C{--reload}, or C{--setting debug=true} /
    C{autoreload=true}), a L{_Reloader} also watches the imported source
    files from the moment the reactor runs.

    @raise SystemExit: C{--reload} without C{twistd -n} (a daemon's
        re-execution would daemonize again).
    """
    from tornado import autoreload

    config = _twistdConfig()
    if asked and config is not None and not config["nodaemon"]:
        _die("--reload needs twistd -n (--nodaemon)")
    reloader = _Reloader(reactor, None if config is None else config["pidfile"])
    autoreload.add_reload_hook(reloader.beforeRestart)
    if asked:
        reactor.callWhenRunning(reloader.start)


class _Reloader:
    """
    Re-execute twistd when an imported source file changes, as Tornado's
    autoreload does, but with the files' times recorded at once when
    watching starts (so a change made after the log line is never missed).

    @ivar interval: seconds between checks.
    """

    interval = 0.5

    def __init__(self, reactor: Any, pidfile: str | None) -> None:
        self._reactor = reactor
        self._pidfile = pidfile
        self._pid = os.getpid()
        self._times: dict[str, float] = {}

    def _scan(self) -> dict[str, float]:
        times = {}
        for module in list(sys.modules.values()):
            path = getattr(module, "__file__", None)
            if not path:
                continue
            if path.endswith((".pyc", ".pyo")):
                path = path[:-1]
            try:
                times[path] = os.stat(path).st_mtime
            except OSError:
                continue
        return times

    def start(self) -> None:
        """
        Record the source files' times now, then check every C{interval}.
        Runs in the reactor thread, once the reactor runs.
        """
        from twisted.internet.task import LoopingCall
        from twisted.logger import Logger

        self._times = self._scan()
        Logger().info(
            "Reload: watching {count} source files for changes", count=len(self._times)
        )
        check = LoopingCall(self._check)
        check.clock = self._reactor
        check.start(self.interval, now=False)

    def _check(self) -> None:
        for path, mtime in self._scan().items():
            if self._times.get(path, mtime) != mtime:
                from twisted.logger import Logger

                Logger().info("Reload: {path} changed, restarting", path=path)
                self.restart()

    def beforeRestart(self) -> None:
        """
        Remove twistd's pid file if it names this process; flush output.
        """
        if self._pidfile:
            try:
                with open(self._pidfile) as f:
                    ours = f.read().strip() == str(self._pid)
                if ours:
                    os.remove(self._pidfile)
            except OSError:
                pass
        sys.stdout.flush()
        sys.stderr.flush()

    def restart(self) -> None:
        """
        Re-execute this process with its command line (with C{-m} when it
        was started as C{python -m module}).
        """
        self.beforeRestart()
        argv = list(sys.argv)
        spec = getattr(sys.modules["__main__"], "__spec__", None)
        if spec is not None and spec.name != "__main__":
            argv = ["-m", spec.name, *argv[1:]]
        os.execv(sys.executable, [sys.executable, *argv])


class _Checked(service.MultiService):
    """
    Wraps the service so that endpoint errors found while binding end
    twistd with a one-line message instead of a traceback.
    """

    def __init__(
        self, svc: Any, errors: type[Exception], log_observer: Any = None
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.tornado = svc
        self._errors = errors
        self._logObserver = log_observer
        svc.setServiceParent(self)

    def setServiceParent(self, parent: Any) -> None:
        """
        Join twistd's application; give it the log observer of the log
        options as its C{ILogObserver} component, which twistd then logs
        to (it does so before it starts logging).
        """
        if self._logObserver is not None:
            from twisted.logger import ILogObserver
            from twisted.python.components import Componentized

            if not isinstance(parent, Componentized):
                _die("--log-level, --log-format and --no-access-log need twistd's log")
            parent.setComponent(ILogObserver, self._logObserver)
        super().setServiceParent(parent)  # type: ignore[no-untyped-call]

    def stopService(self) -> Deferred[Any]:
        """
        Stop gracefully; if every request finished in time and the
        application did not fail, let twistd exit 0 even when a signal
        (SIGTERM, SIGINT) started the stop.
        """
        from twisted.internet import reactor

        from txtornado._compat.twisted import forget_exit_signal

        def graceful(_: object) -> None:
            if self.tornado.failed is not None:
                atexit.register(_exitFailed)
            elif self.tornado.forced == 0:
                forget_exit_signal(reactor)

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
