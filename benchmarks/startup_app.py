"""
The hello-world Tornado application of the start-up benchmark
(C{bench_startup.py}), kept to what such an application imports.

    twistd -n tornado --app startup_app:make_app --listen tcp:PORT:interface=127.0.0.1
    python startup_app.py PORT

The second form is a plain Tornado program: C{app.listen(PORT, "127.0.0.1")}
on Tornado's own asyncio loop, the way Tornado's documentation starts one.
"""

from __future__ import annotations

import asyncio
import sys

import tornado.web


class Hello(tornado.web.RequestHandler):
    def get(self) -> None:
        self.write(b"Hello, world")


def make_app() -> tornado.web.Application:
    """
    The application (C{twistd tornado --app startup_app:make_app}).
    """
    return tornado.web.Application([(r"/", Hello)])


async def main(port: int) -> None:
    """
    Serve L{make_app} on 127.0.0.1:C{port} until killed.
    """
    make_app().listen(port, "127.0.0.1")
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
