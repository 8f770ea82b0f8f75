"""
Applications for the C{twistd tornado} tests (C{test_twistd}).
"""

from __future__ import annotations

import os
from typing import Any

import tornado.web
import tornado.websocket
from tornado import gen
from tornado.concurrent import Future


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


#: the requests /hold keeps waiting
_held: list[Future[None]] = []


class Hold(tornado.web.RequestHandler):
    """
    Sends a first line, then waits (for its client to go away).
    """

    async def get(self) -> None:
        self.write("held\n")
        await self.flush()
        waiting: Future[None] = Future()
        _held.append(waiting)
        await waiting

    def on_connection_close(self) -> None:
        print("hold closed", flush=True)


class Pid(tornado.web.RequestHandler):
    def get(self) -> None:
        self.write(str(os.getpid()))


def make_app(greeting: str = "hello", **settings: Any) -> tornado.web.Application:
    """
    The test application; C{greeting} comes from C{--setting greeting=...}.
    """
    return tornado.web.Application(
        [
            (r"/", Hello, {"greeting": greeting}),
            (r"/slow", Slow),
            (r"/ws", Echo),
            (r"/hold", Hold),
            (r"/pid", Pid),
        ],
        **settings,
    )


def broken_factory() -> tornado.web.Application:
    raise RuntimeError("the factory failed")


not_an_app = 42
application = make_app("instance")
