# -*- test-case-name: txtornado.test.test_logbridge -*-
"""
Tornado's loggers into Twisted's logging system.

Tornado logs through the standard library (C{tornado.access},
C{tornado.application}, C{tornado.general}); Twisted programs log through
C{twisted.logger}, whose observers (twistd's C{--logfile}, C{--syslog},
JSON files) are where operators look.  L{route_tornado_logs} sends the
former to the latter, keeping each record's level and logger name.
"""

from __future__ import annotations

import logging

from twisted.logger import Logger, LogLevel
from twisted.python.failure import Failure

__all__ = ["TORNADO_LOGGERS", "TwistedLogHandler", "route_tornado_logs"]

#: The loggers Tornado writes to.
TORNADO_LOGGERS = ("tornado.access", "tornado.application", "tornado.general")

_LEVELS: tuple[tuple[int, LogLevel], ...] = (
    (logging.CRITICAL, LogLevel.critical),
    (logging.ERROR, LogLevel.error),
    (logging.WARNING, LogLevel.warn),
    (logging.INFO, LogLevel.info),
)


def _twisted_level(levelno: int) -> LogLevel:
    for threshold, level in _LEVELS:
        if levelno >= threshold:
            return level
    debug: LogLevel = LogLevel.debug
    return debug


class TwistedLogHandler(logging.Handler):
    """
    A C{logging.Handler} that emits each record as a C{twisted.logger}
    event: same level, the logger's name as the namespace, the formatted
    message as the text, and a record's C{exc_info} as C{log_failure}.

    Any thread may log; Twisted's global log publisher is thread-safe.
    """

    def emit(self, record: logging.LogRecord) -> None:
        try:
            log = Logger(namespace=record.name)
            message = record.getMessage()
            level = _twisted_level(record.levelno)
            if record.exc_info and record.exc_info[1] is not None:
                _, value, tb = record.exc_info
                failure = Failure(value, type(value), tb)
                log.failure("{text}", failure, level, text=message)
            else:
                log.emit(level, "{text}", text=message)
        except Exception:
            self.handleError(record)


def route_tornado_logs(level: int = logging.INFO) -> TwistedLogHandler:
    """
    Send Tornado's loggers to Twisted's log, at C{level} and above, and
    stop them propagating to the root logger (so nothing is logged twice).
    Idempotent: a second call replaces the first call's handler.

    @return: the handler, to remove it with C{unroute_tornado_logs}.
    """
    handler = TwistedLogHandler(level)
    for name in TORNADO_LOGGERS:
        logger = logging.getLogger(name)
        for old in [h for h in logger.handlers if isinstance(h, TwistedLogHandler)]:
            logger.removeHandler(old)
        logger.addHandler(handler)
        logger.setLevel(level)
        logger.propagate = False
    return handler


def unroute_tornado_logs(handler: TwistedLogHandler) -> None:
    """
    Undo L{route_tornado_logs}: remove C{handler} and let Tornado's loggers
    propagate again.
    """
    for name in TORNADO_LOGGERS:
        logger = logging.getLogger(name)
        logger.removeHandler(handler)
        logger.propagate = True
