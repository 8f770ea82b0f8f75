"""
IOLoop suite: asyncio and Tornado code, the same on every loop.

Each scenario is a coroutine taking the workload sizes and returning one
rate, higher is better; it finds its loop with
C{asyncio.get_running_loop()}.  L{run} builds the target's loop and runs
a scenario on it the way that configuration is normally driven.
"""

from __future__ import annotations

import asyncio
import gc
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from typing import Any, cast

from bench_suites import (
    ASYNCIO_REACTOR_TORNADO,
    STDLIB_ASYNCIO,
    TWISTED_IOLOOP_EPOLL,
    TWISTED_IOLOOP_EPOLL_RUN,
    TWISTED_IOLOOP_GI,
    TWISTED_IOLOOP_GI_RUN,
    TWISTED_IOLOOP_QT,
    TWISTED_IOLOOP_QT_RUN,
    UVLOOP,
)
from bench_util import (
    HELLO,
    HOST,
    IDLE_BACKLOG,
    IDLE_WARM,
    IdleClients,
    Params,
    callFromThreads,
    fitIdleConnections,
    runWrk,
)

Body = Callable[[Params], Awaitable[float]]


def _spreadDelay(i: int) -> float:
    """
    Delays spread evenly-ish over 0-10 ms, in a scrambled order.
    """
    return (i * 7919 % 1000) / 100_000


# --- Callbacks and timers ------------------------------------------------


async def callSoon(p: Params) -> float:
    """
    C{p.chains} chains of C{call_soon(next)} side by side, C{p.immediate}
    calls in all.
    """
    loop = asyncio.get_running_loop()
    done: asyncio.Future[float] = loop.create_future()
    remaining = p.immediate
    start = time.perf_counter()

    def step() -> None:
        nonlocal remaining
        remaining -= 1
        if remaining > p.chains - 1:
            loop.call_soon(step)
        elif remaining == 0:
            done.set_result(p.immediate / (time.perf_counter() - start))

    for _ in range(p.chains):
        loop.call_soon(step)
    return await done


async def callLater(p: Params) -> float:
    """
    C{p.timers} C{call_later}s with varied delays; timers per second from
    the first call_later to the last callback.
    """
    loop = asyncio.get_running_loop()
    done: asyncio.Future[float] = loop.create_future()
    remaining = p.timers
    start = time.perf_counter()

    def fired() -> None:
        nonlocal remaining
        remaining -= 1
        if remaining == 0:
            done.set_result(p.timers / (time.perf_counter() - start))

    for i in range(p.timers):
        loop.call_later(_spreadDelay(i), fired)
    return await done


async def callSoonThreadsafe(p: Params) -> float:
    """
    C{p.threads} threads each call C{call_soon_threadsafe} C{p.threadCalls}
    times, released together; calls run in the loop per second.
    """
    loop = asyncio.get_running_loop()
    done: asyncio.Future[float] = loop.create_future()
    callFromThreads(loop.call_soon_threadsafe, p, done.set_result)
    return await done


# --- TCP -----------------------------------------------------------------

MESSAGE = b"x" * 64


class Echo(asyncio.Protocol):
    """
    Echo server: sends back whatever it receives.
    """

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.transport.write(data)


class EchoClient(asyncio.Protocol):
    """
    Sends L{MESSAGE}, waits for all of it to come back, and again, until
    the deadline; then hangs up.  The one echo client of every target.
    """

    def __init__(self, deadline: float, finished: Callable[[int], None]) -> None:
        self.deadline = deadline
        self.finished = finished
        self.roundTrips = 0
        self.pending = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.send()

    def send(self) -> None:
        self.pending = len(MESSAGE)
        self.transport.write(MESSAGE)

    def data_received(self, data: bytes) -> None:
        self.pending -= len(data)
        if self.pending:
            return
        self.roundTrips += 1
        if time.perf_counter() < self.deadline:
            self.send()
        else:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.finished(self.roundTrips)


def tcpEcho(connections: int) -> Body:
    """
    Round trips per second over C{connections} echo connections at once.
    """

    async def scenario(p: Params) -> float:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[float] = loop.create_future()
        server = await loop.create_server(Echo, HOST, 0)
        portNumber = server.sockets[0].getsockname()[1]
        start = time.perf_counter()
        deadline = start + p.ioSeconds
        counts: list[int] = []

        def finished(roundTrips: int) -> None:
            counts.append(roundTrips)
            if len(counts) == connections and not done.done():
                done.set_result(sum(counts) / (time.perf_counter() - start))

        await asyncio.gather(
            *(
                loop.create_connection(
                    lambda: EchoClient(deadline, finished), HOST, portNumber
                )
                for _ in range(connections)
            )
        )
        try:
            return await done
        finally:
            server.close()

    return scenario


class Sink(asyncio.Protocol):
    """
    Bulk receiver: counts bytes until the sender hangs up.
    """

    def __init__(self, onDone: Callable[[int], None]) -> None:
        self.onDone = onDone
        self.received = 0

    def data_received(self, data: bytes) -> None:
        self.received += len(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.onDone(self.received)


class Firehose(asyncio.Protocol):
    """
    Bulk sender: writes C{chunk} whenever the transport is not paused (the
    transport's own flow control), until the deadline.
    """

    def __init__(self, chunk: bytes, deadline: float) -> None:
        self.chunk = chunk
        self.deadline = deadline
        self.paused = False
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.pump()

    def pump(self) -> None:
        while not (self.paused or self.closed):
            if time.perf_counter() >= self.deadline:
                self.closed = True
                # Not close() right here: called from resume_writing with
                # an empty buffer, CPython 3.11's selector transport would
                # run connection_lost twice (its _write_ready also does).
                asyncio.get_running_loop().call_soon(self.transport.close)
            else:
                self.transport.write(self.chunk)

    def pause_writing(self) -> None:
        self.paused = True

    def resume_writing(self) -> None:
        self.paused = False
        self.pump()


async def tcpBulk(p: Params) -> float:
    """
    MB/s (10**6 bytes) received over one connection in C{p.ioSeconds}.
    """
    loop = asyncio.get_running_loop()
    done: asyncio.Future[float] = loop.create_future()
    start = time.perf_counter()

    def received(total: int) -> None:
        done.set_result(total / (time.perf_counter() - start) / 1e6)

    server = await loop.create_server(lambda: Sink(received), HOST, 0)
    portNumber = server.sockets[0].getsockname()[1]
    chunk = b"\0" * p.bulkChunk
    await loop.create_connection(
        lambda: Firehose(chunk, start + p.ioSeconds), HOST, portNumber
    )
    try:
        return await done
    finally:
        server.close()


class _Counted(asyncio.Protocol):
    """
    Idle server side: tells the clients it accepted, then does nothing.
    """

    def __init__(self, clients: IdleClients) -> None:
        self.clients = clients

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.clients.accepted()


def idleConns(traced: bool) -> Body:
    """
    C{p.idleConns} idle TCP connections to an asyncio server
    (C{create_server}) in the same process, from raw non-blocking client
    sockets made beforehand (L{IdleClients}: batches of 100 in flight,
    paced by the server's accepts), after L{IDLE_WARM} uncounted ones.

    Untraced: connections accepted per second, from the first connect to
    the last C{connection_made}.  Traced: connections per MiB the process
    allocated for them, net (C{tracemalloc}, after 0.1 s to settle and a
    C{gc.collect()}).
    """

    async def scenario(p: Params) -> float:
        loop = asyncio.get_running_loop()
        count = fitIdleConnections(p.idleConns)
        clients = IdleClients(count + IDLE_WARM)
        server = await loop.create_server(
            lambda: _Counted(clients), HOST, 0, backlog=IDLE_BACKLOG
        )
        portNumber = server.sockets[0].getsockname()[1]

        async def openUpTo(stop: int) -> float:
            opened: asyncio.Future[float] = loop.create_future()
            clients.open(portNumber, stop, opened.set_result)
            return await opened

        try:
            await openUpTo(IDLE_WARM)
            await asyncio.sleep(0.1)
            gc.collect()
            if not traced:
                return count / await openUpTo(IDLE_WARM + count)
            tracemalloc.start()
            try:
                await openUpTo(IDLE_WARM + count)
                await asyncio.sleep(0.1)
                gc.collect()
                allocated, _ = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
            return count / (allocated / 2**20)
        finally:
            server.close()

    return scenario


# --- WebSocket -----------------------------------------------------------


async def _bindAndServe(server: Any) -> int:
    """
    Serve the Tornado C{HTTPServer} on a port the kernel picks (what
    C{HTTPServer.listen} does, split to learn the port); return the port.
    """
    from tornado.netutil import bind_sockets

    sockets = bind_sockets(0, HOST)
    server.add_sockets(sockets)
    port: int = sockets[0].getsockname()[1]
    return port


async def websocketEcho(
    p: Params, listen: Callable[[Any], Awaitable[int]] = _bindAndServe
) -> float:
    """
    Round trips per second of L{MESSAGE} (binary) over one Tornado
    websocket: a C{WebSocketHandler} that echoes every message, served by
    an C{HTTPServer} that C{listen} starts, and a
    C{tornado.websocket.websocket_connect} client that writes a message
    and reads the echo, one at a time, for C{p.ioSeconds} (timed once
    connected).
    """
    from tornado.httpserver import HTTPServer
    from tornado.web import Application
    from tornado.websocket import WebSocketHandler, websocket_connect

    class EchoHandler(WebSocketHandler):
        def on_message(self, message: str | bytes) -> None:
            self.write_message(message, binary=isinstance(message, bytes))

    server = HTTPServer(Application([("/ws", EchoHandler)]))
    port = await listen(server)
    try:
        client = await websocket_connect(f"ws://{HOST}:{port}/ws")
        roundTrips = 0
        start = time.perf_counter()
        deadline = start + p.ioSeconds
        try:
            while time.perf_counter() < deadline:
                await client.write_message(MESSAGE, binary=True)
                reply = await client.read_message()
                if reply != MESSAGE:
                    raise RuntimeError(f"echo {reply!r}")
                roundTrips += 1
            return roundTrips / (time.perf_counter() - start)
        finally:
            client.close()
    finally:
        server.stop()


# --- HTTP ----------------------------------------------------------------


async def http(p: Params) -> float:
    """
    Requests per second wrk gets from a tornado.web hello world.
    """
    from tornado.httpserver import HTTPServer
    from tornado.netutil import bind_sockets
    from tornado.web import Application, RequestHandler

    class Hello(RequestHandler):
        def get(self) -> None:
            self.set_header("Content-Type", "text/plain")
            self.write(HELLO)

    sockets = bind_sockets(0, HOST)
    server = HTTPServer(Application([("/", Hello)]))
    server.add_sockets(sockets)
    url = f"http://{HOST}:{sockets[0].getsockname()[1]}/"
    loop = asyncio.get_running_loop()
    try:
        report = await loop.run_in_executor(
            None, runWrk, url, p.httpSeconds, p.httpConnections
        )
    finally:
        server.stop()
    rate: float = report["requestsPerSecond"]
    return rate


SCENARIOS: dict[str, Body] = {
    "call-soon": callSoon,
    "call-later": callLater,
    "call-soon-threadsafe": callSoonThreadsafe,
    "tcp-echo-1": tcpEcho(1),
    "tcp-echo-50": tcpEcho(50),
    "tcp-bulk": tcpBulk,
    "idle-conns-accept": idleConns(traced=False),
    "idle-conns-memory": idleConns(traced=True),
    "websocket-echo": websocketEcho,
    "http": http,
}


# --- Running a scenario on a target --------------------------------------


def _runSync(ioLoop: Any, body: Body, p: Params) -> float:
    result: float = ioLoop.run_sync(lambda: body(p))
    return result


def _runOnReactor(
    reactor: Any, loop: asyncio.AbstractEventLoop, body: Body, p: Params
) -> float:
    """
    Run the scenario as a task on C{loop}, everything driven by
    C{reactor.run()}, which must be hosting C{loop}.
    """
    tasks: list[asyncio.Future[float]] = []

    def go() -> None:
        task = asyncio.ensure_future(body(p), loop=loop)
        task.add_done_callback(lambda _: reactor.stop())
        tasks.append(task)

    reactor.callWhenRunning(go)
    reactor.run(installSignalHandlers=False)
    if not tasks or not tasks[0].done():
        raise RuntimeError("reactor stopped before the scenario finished")
    return tasks[0].result()


def _installEPollReactor() -> Any:
    from twisted.internet import epollreactor

    epollreactor.install()
    from twisted.internet import reactor

    return reactor


def _installGUIReactor(target: str) -> Any:
    """
    Install the GUI reactor of C{target}: Twisted's GLib reactor, or
    qt5reactor's on a new C{QCoreApplication}.
    """
    if target in (TWISTED_IOLOOP_QT, TWISTED_IOLOOP_QT_RUN):
        from PyQt5.QtCore import QCoreApplication

        _keep.append(QCoreApplication([]))
        import qt5reactor

        qt5reactor.install()
    else:
        from twisted.internet import gireactor

        gireactor.install()
    from twisted.internet import reactor

    return reactor


#: The targets on a GUI reactor, in driving and hosted mode.
_GUI_TARGETS = (
    TWISTED_IOLOOP_GI,
    TWISTED_IOLOOP_GI_RUN,
    TWISTED_IOLOOP_QT,
    TWISTED_IOLOOP_QT_RUN,
)

#: What a worker keeps alive for its life (the Qt application).
_keep: list[Any] = []


def run(target: str, scenario: str, p: Params) -> float:
    """
    Build C{target}'s loop, run C{scenario} on it, and return its rate.

    @raise Exception: whatever the scenario failed with.
    """
    body = SCENARIOS[scenario]
    if target == ASYNCIO_REACTOR_TORNADO:
        # Twisted's AsyncioSelectorReactor on a new asyncio loop; Tornado
        # finds that loop with IOLoop.current().
        from twisted.internet import asyncioreactor

        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        asyncioreactor.install(loop)
        from twisted.internet import reactor

        return _runOnReactor(reactor, loop, body, p)
    if target in (TWISTED_IOLOOP_EPOLL, TWISTED_IOLOOP_EPOLL_RUN):
        reactor = _installEPollReactor()
        import txtornado

        # Any: these targets only run once txtornado has TwistedIOLoop.
        package: Any = txtornado
        ioLoop = package.TwistedIOLoop(reactor)
        if target == TWISTED_IOLOOP_EPOLL:
            return _runSync(ioLoop, body, p)
        return _runOnReactor(reactor, ioLoop.asyncio_loop, body, p)
    if target in _GUI_TARGETS:
        reactor = _installGUIReactor(target)
        import txtornado

        ioLoop = txtornado.TwistedIOLoop(reactor)
        if target in (TWISTED_IOLOOP_GI, TWISTED_IOLOOP_QT):
            return _runSync(ioLoop, body, p)
        return _runOnReactor(reactor, ioLoop.asyncio_loop, body, p)
    from tornado.platform.asyncio import AsyncIOLoop

    if target == STDLIB_ASYNCIO:
        return _runSync(AsyncIOLoop(), body, p)
    if target == UVLOOP:
        import uvloop

        return _runSync(AsyncIOLoop(asyncio_loop=uvloop.new_event_loop()), body, p)
    raise KeyError(target)
