"""
Applications for the C{twistd tornado} tests (C{test_twistd}).
"""

from __future__ import annotations

from typing import Any

import tornado.web
import tornado.websocket
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


class Echo(tornado.websocket.WebSocketHandler):
    def on_message(self, message: str | bytes) -> None:
        self.write_message(message)

    def on_close(self) -> None:
        print(f"websocket closed by {self.close_code}", flush=True)


def make_app(greeting: str = "hello", **settings: Any) -> tornado.web.Application:
    """
    The test application; C{greeting} comes from C{--setting greeting=...}.
    """
    return tornado.web.Application(
        [(r"/", Hello, {"greeting": greeting}), (r"/slow", Slow), (r"/ws", Echo)],
        **settings,
    )


def broken_factory() -> tornado.web.Application:
    raise RuntimeError("the factory failed")


not_an_app = 42
application = make_app("instance")
