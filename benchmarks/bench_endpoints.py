"""
Endpoints suite: Tornado served through Twisted endpoints, against
Tornado's own listening sockets and IOStream, on the same loop.

Both targets run a L{txtornado.TornadoReactor} on a new
C{tornado.platform.asyncio.AsyncIOLoop()} (stdlib asyncio), driven by
C{IOLoop.run_sync}; they differ only in how the server listens and the
client connects:

- L{TWISTED_ENDPOINT}: C{txtornado.listen(server, "tcp:0:interface=127.0.0.1",
  reactor)}, C{txtornado.connect("tcp:127.0.0.1:PORT", reactor)}: every
  stream is a C{TwistedIOStream} over a Twisted TCP transport.
- L{TORNADO_LISTEN}: what C{HTTPServer.listen} does (C{bind_sockets} then
  C{add_sockets}, here with the port the kernel picked) and
  C{tornado.tcpclient.TCPClient}: Tornado's C{IOStream}.

Each scenario is a coroutine taking the target's L{Server} and the
workload sizes and returning one number, higher is better.
"""

from __future__ import annotations

import asyncio
import gc
import socket
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from typing import Any

from bench_suites import TORNADO_LISTEN, TWISTED_ENDPOINT
from bench_util import HELLO, HOST, Params, raiseFileLimit, runWrk

#: The request each idle connection sends once, keeping the connection.
REQUEST = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"

#: Connections opened (and kept) before measuring memory, so that what
#: the first connections set up once (caches, lazy imports) is not
#: counted against each connection.
WARM_CONNECTIONS = 20


class Server:
    """
    How a target listens and connects.
    """

    def __init__(self, target: str, reactor: Any) -> None:
        self.target = target
        self.reactor = reactor
        self._stop: Callable[[], Any] = lambda: None

    async def listen(self, server: Any) -> int:
        """
        Serve the Tornado C{TCPServer} C{server} on 127.0.0.1; return the
        port the kernel picked.
        """
        if self.target == TWISTED_ENDPOINT:
            from txtornado.endpoints import listen

            listening = await listen(server, f"tcp:0:interface={HOST}", self.reactor)
            self._stop = listening.stopListening
            port: int = listening.getHost().port
            return port
        from tornado.netutil import bind_sockets

        # HTTPServer.listen(port, address) is bind_sockets + add_sockets;
        # split here to learn the port the kernel picked.
        sockets = bind_sockets(0, HOST)
        server.add_sockets(sockets)
        self._stop = server.stop
        port = sockets[0].getsockname()[1]
        return port

    def stop(self) -> None:
        self._stop()

    async def connect(self, port: int) -> Any:
        """
        A client stream to C{port}, the same kind as the server's.
        """
        if self.target == TWISTED_ENDPOINT:
            from txtornado.endpoints import connect

            return await connect(f"tcp:{HOST}:{port}", self.reactor)
        from tornado.tcpclient import TCPClient

        return await TCPClient().connect(HOST, port)


Body = Callable[[Server, Params], Awaitable[float]]


def _helloApp() -> Any:
    from tornado.web import Application, RequestHandler

    class Hello(RequestHandler):
        def get(self) -> None:
            self.set_header("Content-Type", "text/plain")
            self.write(HELLO)

    return Application([("/", Hello)])


# --- HTTP ----------------------------------------------------------------


async def http(server: Server, p: Params) -> float:
    """
    Requests per second wrk gets from a tornado.web hello world.
    """
    from tornado.httpserver import HTTPServer

    port = await server.listen(HTTPServer(_helloApp()))
    loop = asyncio.get_running_loop()
    try:
        report = await loop.run_in_executor(
            None, runWrk, f"http://{HOST}:{port}/", p.httpSeconds, p.httpConnections
        )
    finally:
        server.stop()
    rate: float = report["requestsPerSecond"]
    return rate


# --- Bulk ----------------------------------------------------------------


async def bulk(server: Server, p: Params) -> float:
    """
    MB/s (10**6 bytes) over one connection: the server writes
    C{p.bulkBytes} in C{p.bulkChunk} writes, awaiting each; the client
    C{read_into}s a reused buffer until it has them all.
    """
    from tornado.iostream import StreamClosedError
    from tornado.tcpserver import TCPServer

    chunk = b"\0" * p.bulkChunk
    writes = p.bulkBytes // p.bulkChunk
    total = writes * p.bulkChunk

    class Sender(TCPServer):
        async def handle_stream(self, stream: Any, address: Any) -> None:
            try:
                for _ in range(writes):
                    await stream.write(chunk)
            except StreamClosedError:
                pass
            finally:
                stream.close()

    port = await server.listen(Sender())
    try:
        start = time.perf_counter()
        client = await server.connect(port)
        buffer = bytearray(p.bulkChunk)
        received = 0
        try:
            while received < total:
                received += await client.read_into(buffer, partial=True)
        finally:
            client.close()
        return received / (time.perf_counter() - start) / 1e6
    finally:
        server.stop()


# --- Idle connections' memory --------------------------------------------


async def _openIdle(port: int, sock: socket.socket) -> None:
    """
    Connect C{sock}, send one keep-alive request, read the whole response
    (it ends with the hello body), and leave the connection open.
    """
    loop = asyncio.get_running_loop()
    await loop.sock_connect(sock, (HOST, port))
    await loop.sock_sendall(sock, REQUEST)
    response = b""
    while not response.endswith(HELLO):
        data = await loop.sock_recv(sock, 4096)
        if not data:
            raise RuntimeError(f"connection closed after {response!r}")
        response += data
    if not response.startswith(b"HTTP/1.1 200 "):
        raise RuntimeError(f"unexpected response {response!r}")


async def idleMemory(server: Server, p: Params) -> float:
    """
    Connections per MiB: C{p.idleConnections} idle keep-alive connections
    to a tornado.web hello world, each after one request, divided into
    what the process allocated meanwhile (tracemalloc, net).  The clients
    are raw non-blocking sockets made before measuring, so nearly all of
    it is the server's.
    """
    from tornado.httpserver import HTTPServer

    count = p.idleConnections
    raiseFileLimit(2 * (count + WARM_CONNECTIONS) + 256)
    port = await server.listen(HTTPServer(_helloApp()))
    sockets = [socket.socket() for _ in range(count + WARM_CONNECTIONS)]
    for sock in sockets:
        sock.setblocking(False)
    try:
        for sock in sockets[:WARM_CONNECTIONS]:
            await _openIdle(port, sock)
        await asyncio.sleep(0.2)
        gc.collect()
        tracemalloc.start()
        try:
            for sock in sockets[WARM_CONNECTIONS:]:
                await _openIdle(port, sock)
            # Let the server settle: each connection waiting for its next
            # request.
            await asyncio.sleep(0.2)
            gc.collect()
            allocated, _ = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    finally:
        for sock in sockets:
            sock.close()
        server.stop()
    if allocated <= 0:
        raise RuntimeError(f"no memory allocated ({allocated} bytes)?")
    return count / (allocated / 2**20)


# --- WebSocket -----------------------------------------------------------


async def websocketEcho(server: Server, p: Params) -> float:
    """
    The IOLoop suite's websocket echo (C{bench_ioloop.websocketEcho}),
    served the target's way; the client is Tornado's C{websocket_connect}
    on both targets.
    """
    import bench_ioloop

    try:
        return await bench_ioloop.websocketEcho(p, server.listen)
    finally:
        server.stop()


SCENARIOS: dict[str, Body] = {
    "http": http,
    "bulk": bulk,
    "idle-memory": idleMemory,
    "websocket-echo": websocketEcho,
}


def run(target: str, scenario: str, p: Params) -> float:
    """
    Build the loop (a TornadoReactor on a new AsyncIOLoop), run
    C{scenario} the way C{target} serves and connects, return its number.

    @raise Exception: whatever the scenario failed with.
    """
    if target not in (TWISTED_ENDPOINT, TORNADO_LISTEN):
        raise KeyError(target)
    from tornado.platform.asyncio import AsyncIOLoop

    import txtornado

    body = SCENARIOS[scenario]
    ioLoop = AsyncIOLoop()
    reactor = txtornado.TornadoReactor(ioLoop)
    server = Server(target, reactor)
    result: float = ioLoop.run_sync(lambda: body(server, p))
    return result
