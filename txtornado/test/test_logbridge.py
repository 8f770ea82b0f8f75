"""
Tests for L{txtornado.logbridge}.
"""

from __future__ import annotations

import logging
from typing import Any

from twisted.logger import LogLevel, formatEvent, globalLogPublisher
from twisted.trial.unittest import SynchronousTestCase

from txtornado.logbridge import (
    TORNADO_LOGGERS,
    route_tornado_logs,
    unroute_tornado_logs,
)


class RouteTests(SynchronousTestCase):
    """
    L{route_tornado_logs}.
    """

    def setUp(self) -> None:
        self.events: list[dict[str, Any]] = []
        globalLogPublisher.addObserver(self.events.append)
        self.addCleanup(globalLogPublisher.removeObserver, self.events.append)
        handler = route_tornado_logs()
        self.addCleanup(unroute_tornado_logs, handler)

    def test_levelsAndNamespaces(self) -> None:
        """
        Each Tornado logger's records arrive once, with the logger's name as
        namespace and the matching Twisted level; below INFO nothing does.
        """
        logging.getLogger("tornado.access").info("200 GET / (127.0.0.1) 1.0ms")
        logging.getLogger("tornado.access").warning("404 GET /x (127.0.0.1) 1.0ms")
        logging.getLogger("tornado.general").error("general trouble")
        logging.getLogger("tornado.general").debug("not shown")
        got = [
            (e["log_namespace"], e["log_level"], formatEvent(e))
            for e in self.events
            if e.get("log_namespace", "").startswith("tornado.")
        ]
        self.assertEqual(
            got,
            [
                ("tornado.access", LogLevel.info, "200 GET / (127.0.0.1) 1.0ms"),
                ("tornado.access", LogLevel.warn, "404 GET /x (127.0.0.1) 1.0ms"),
                ("tornado.general", LogLevel.error, "general trouble"),
            ],
        )
        for name in TORNADO_LOGGERS:
            self.assertFalse(logging.getLogger(name).propagate)

    def test_exceptionBecomesFailure(self) -> None:
        """
        A record with exc_info carries the exception as C{log_failure}, with
        its traceback.
        """
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("tornado.application").exception("Uncaught exception")
        (event,) = [
            e for e in self.events if e.get("log_namespace") == "tornado.application"
        ]
        self.assertEqual(event["log_level"], LogLevel.error)
        self.assertIsInstance(event["log_failure"].value, ValueError)
        self.assertIn(
            "test_exceptionBecomesFailure", event["log_failure"].getTraceback()
        )
        self.flushLoggedErrors(ValueError)

    def test_routeTwiceLogsOnce(self) -> None:
        """
        Routing again replaces the handler: still one event per record.
        """
        handler = route_tornado_logs()
        self.addCleanup(unroute_tornado_logs, handler)
        logging.getLogger("tornado.access").info("once")
        self.assertEqual(len([e for e in self.events if formatEvent(e) == "once"]), 1)
