"""
Applications for the C{twistd tornado} tests (C{test_twistd}).
"""

from __future__ import annotations

from typing import Any

import tornado.web
from tornado import gen


class Hello(tornado.web.RequestHandler):
    def initialize(self, greeting: str) -> None:
        self.greeting = greeting

    def get(self) -> None:
        self.write(
            f"{self.greeting} from {self.request.remote_ip} {self.request.protocol}"
        )


class Slow(tornado.web.RequestHandler):
    async def get(self) -> None:
        self.write("slow started\n")
        await self.flush()
        await gen.sleep(float(self.get_argument("seconds")))
        self.write("slow done")


def make_app(greeting: str = "hello", **settings: Any) -> tornado.web.Application:
    """
    The test application; C{greeting} comes from C{--setting greeting=...}.
    """
    return tornado.web.Application(
        [(r"/", Hello, {"greeting": greeting}), (r"/slow", Slow)], **settings
    )


def broken_factory() -> tornado.web.Application:
    raise RuntimeError("the factory failed")


not_an_app = 42
application = make_app("instance")
