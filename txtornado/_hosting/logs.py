# -*- test-case-name: txtornado.test.test_hosting,txtornado.test.test_twistd_hosting -*-
"""
The log of C{twistd tornado}: a level, the access log on or off, and text
or JSON lines (C{--log-level}, C{--no-access-log}, C{--log-format}).

twistd takes an application's C{ILogObserver} component as its log
observer (C{AppLogger.start}); L{log_observer} makes that observer for the
same destination twistd would pick from its own options (C{--logfile},
C{--syslog}, C{-n}), with a filter in front.
"""

from __future__ import annotations

import signal
import sys
from typing import Any

from twisted.logger import (
    FilteringLogObserver,
    ILogFilterPredicate,
    LegacyLogObserverWrapper,
    LogLevel,
    LogLevelFilterPredicate,
    PredicateResult,
    jsonFileLogObserver,
    textFileLogObserver,
)
from twisted.python import logfile
from zope.interface import implementer

__all__ = ["FORMATS", "LEVELS", "LogSettings", "log_observer"]

#: the names --log-level takes
LEVELS = {
    "debug": LogLevel.debug,
    "info": LogLevel.info,
    "warn": LogLevel.warn,
    "warning": LogLevel.warn,
    "error": LogLevel.error,
    "critical": LogLevel.critical,
}

#: the names --log-format takes
FORMATS = ("text", "json")

#: the namespace of Tornado's access log (see L{txtornado.logbridge})
ACCESS_NAMESPACE = "tornado.access"


class LogSettings:
    """
    What the log options ask for.

    @ivar level: the least level logged.
    @ivar accessLog: whether Tornado's access lines are logged.
    @ivar format: C{"text"} (twistd's lines) or C{"json"} (one JSON object
        per line, Twisted's C{eventAsJSON}).
    """

    def __init__(
        self,
        level: LogLevel = LogLevel.info,
        accessLog: bool = True,
        format: str = "text",
    ) -> None:
        self.level = level
        self.accessLog = accessLog
        self.format = format

    def isDefault(self) -> bool:
        """
        Whether these are twistd's own defaults (nothing to change).
        """
        return self.level is LogLevel.info and self.accessLog and self.format == "text"


@implementer(ILogFilterPredicate)
class _NoAccessLog:
    """
    A filter predicate that drops Tornado's access lines.
    """

    def __call__(self, event: dict[str, Any]) -> PredicateResult:
        result: PredicateResult = PredicateResult.maybe
        if event.get("log_namespace") == ACCESS_NAMESPACE:
            result = PredicateResult.no
        return result


def log_observer(settings: LogSettings, config: Any) -> Any:
    """
    The log observer for C{settings}, writing where twistd would for its
    options C{config}: syslog with C{--syslog} (text only), the
    C{--logfile} (C{-} or none with C{-n}: standard output; none as a
    daemon: C{twistd.log}, reopened by SIGUSR1 as twistd does).

    @raise ValueError: JSON lines with C{--syslog}, or to standard output
        as a daemon.
    """
    observer: Any
    if config.get("syslog"):
        if settings.format == "json":
            raise ValueError("--log-format json cannot go to --syslog")
        from twisted.python import syslog

        legacy: Any = syslog.SyslogObserver(config.get("prefix", "")).emit
        observer = LegacyLogObserverWrapper(legacy)
    else:
        name = config.get("logfile") or ""
        nodaemon = config.get("nodaemon", False)
        out: Any
        if name == "-" or (nodaemon and not name):
            if not nodaemon:
                raise ValueError("daemons cannot log to stdout")
            out = sys.stdout
        else:
            out = logfile.LogFile.fromFullPath(name or "twistd.log")
            _rotate_on_sigusr1(out)
        if settings.format == "json":
            observer = jsonFileLogObserver(out, recordSeparator="")
        else:
            observer = textFileLogObserver(out)
    predicates: list[Any] = [LogLevelFilterPredicate(defaultLogLevel=settings.level)]
    if not settings.accessLog:
        predicates.insert(0, _NoAccessLog())
    return FilteringLogObserver(observer, predicates)


def _rotate_on_sigusr1(out: logfile.LogFile) -> None:
    """
    Rotate the log file on SIGUSR1, as twistd does for its own, unless a
    handler is set already.
    """
    if signal.getsignal(signal.SIGUSR1) in (None, signal.SIG_DFL):

        def rotate(signum: int, frame: object) -> None:
            from twisted.internet import reactor

            reactor.callFromThread(out.rotate)

        signal.signal(signal.SIGUSR1, rotate)
