"""
Reactor suite: Twisted code, the same on every reactor.

L{install} installs the target's reactor as the global one (each worker is
a fresh process); each scenario takes that reactor and the workload sizes
and returns a L{Deferred} firing with one rate, higher is better.
"""

from __future__ import annotations

import gc
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from bench_suites import ASYNCIO_SELECTOR, EPOLL, TORNADO_ASYNCIO, TORNADO_UVLOOP
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
from twisted.internet.defer import Deferred, maybeDeferred
from twisted.internet.protocol import ClientFactory, Factory, Protocol, connectionDone
from twisted.internet.threads import deferToThread
from twisted.python.failure import Failure

# The reactor under test: IReactorCore, IReactorTime, IReactorTCP,
# IReactorThreads all at once, which no single interface type says.
Reactor = Any


def install(target: str) -> Reactor:
    """
    Install the target's reactor globally and return it.  Call before
    anything imports C{twisted.internet.reactor}.
    """
    if target == TORNADO_ASYNCIO:
        from tornado.platform.asyncio import AsyncIOLoop

        import txtornado

        return txtornado.install(AsyncIOLoop())
    if target == TORNADO_UVLOOP:
        import uvloop
        from tornado.platform.asyncio import AsyncIOLoop

        import txtornado

        return txtornado.install(AsyncIOLoop(asyncio_loop=uvloop.new_event_loop()))
    if target == ASYNCIO_SELECTOR:
        import asyncio

        from twisted.internet import asyncioreactor

        asyncioreactor.install(asyncio.new_event_loop())
    elif target == EPOLL:
        from twisted.internet import epollreactor

        epollreactor.install()
    else:
        raise KeyError(target)
    from twisted.internet import reactor

    return reactor


# --- Timers and immediate calls ------------------------------------------


def _spreadDelay(i: int) -> float:
    """
    Delays spread evenly-ish over 0-10 ms, in a scrambled order.
    """
    return (i * 7919 % 1000) / 100_000


def timersBatch(reactor: Reactor, p: Params) -> Deferred[float]:
    """
    Schedule C{p.timers} calls with varied delays; the rate is timers per
    second from the first callLater to the last call running.

    Scheduling them takes longer than their 10 ms spread, so they all come
    due together and fire in one pass: this measures Twisted's own timer
    heap (C{DelayedCall} creation and comparison), which every reactor
    built on C{ReactorBase} shares.
    """
    done: Deferred[float] = Deferred()
    remaining = p.timers
    start = time.perf_counter()

    def fired() -> None:
        nonlocal remaining
        remaining -= 1
        if remaining == 0:
            done.callback(p.timers / (time.perf_counter() - start))

    for i in range(p.timers):
        reactor.callLater(_spreadDelay(i), fired)
    return done


def timers(reactor: Reactor, p: Params) -> Deferred[float]:
    """
    Run C{p.timerChains} chains of timed calls side by side, each call
    scheduling the next with a small varied delay (0-99 microseconds), so
    calls come due and fire spread over many loop iterations, the way
    timeouts, C{LoopingCall}s and C{deferLater} sleeps do; C{p.timers} calls
    in all.  The rate is timed calls run per second.
    """
    done: Deferred[float] = Deferred()
    remaining = p.timers
    start = time.perf_counter()

    def step(i: int) -> None:
        nonlocal remaining
        remaining -= 1
        if remaining >= p.timerChains:
            reactor.callLater((i * 7919 % 100) / 1_000_000, step, i + 1)
        elif remaining == 0:
            done.callback(p.timers / (time.perf_counter() - start))

    for c in range(p.timerChains):
        reactor.callLater(0, step, c)
    return done


def timersCancel(reactor: Reactor, p: Params) -> Deferred[float]:
    """
    Schedule C{p.timers} calls 1-2 s away and cancel every one; the rate
    counts schedule+cancel pairs, up to the reactor's next pass.
    """
    done: Deferred[float] = Deferred()
    start = time.perf_counter()

    def fail() -> None:
        done.errback(RuntimeError("a cancelled call ran"))

    calls = [
        reactor.callLater(1.0 + _spreadDelay(i) * 100, fail) for i in range(p.timers)
    ]
    for call in calls:
        call.cancel()

    def after() -> None:
        done.callback(p.timers / (time.perf_counter() - start))

    reactor.callLater(0, after)
    return done


def callLaterZero(reactor: Reactor, p: Params) -> Deferred[float]:
    """
    Run C{p.chains} chains of C{callLater(0, next)} side by side,
    C{p.immediate} calls in all.
    """
    done: Deferred[float] = Deferred()
    remaining = p.immediate
    start = time.perf_counter()

    def step() -> None:
        nonlocal remaining
        remaining -= 1
        if remaining > p.chains - 1:
            reactor.callLater(0, step)
        elif remaining == 0:
            done.callback(p.immediate / (time.perf_counter() - start))

    for _ in range(p.chains):
        reactor.callLater(0, step)
    return done


def callFromThread(reactor: Reactor, p: Params) -> Deferred[float]:
    """
    C{p.threads} threads each call C{callFromThread} C{p.threadCalls}
    times, released together; the rate is calls run in the reactor thread
    per second, up to the last.
    """
    done: Deferred[float] = Deferred()
    callFromThreads(reactor.callFromThread, p, done.callback)
    return done


# --- Idle timers ---------------------------------------------------------

#: Idle timers scheduled, and left, before measuring (not counted).
IDLE_TIMERS_WARM = 100


def _idleDelay(i: int) -> float:
    """
    60-61 s: never due while a worker runs (its limit is 60 s).
    """
    return 60.0 + (i * 7919 % 1000) / 1000


def _idleTimer() -> None:
    raise RuntimeError("an idle timer ran")


def idleTimersMemory(reactor: Reactor, p: Params) -> Deferred[float]:
    """
    Timers per MiB: schedule C{p.idleTimers} C{callLater}s 60-61 s away
    (the reactor keeps the only reference to each) and divide them into
    what the process allocated for them, net, measured with C{tracemalloc}
    after the next reactor pass and a C{gc.collect()}.
    """
    done: Deferred[float] = Deferred()
    for i in range(IDLE_TIMERS_WARM):
        reactor.callLater(_idleDelay(i), _idleTimer)
    gc.collect()
    tracemalloc.start()

    def measure() -> None:
        gc.collect()
        allocated, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        if allocated <= 0:
            done.errback(RuntimeError(f"no memory allocated ({allocated} bytes)?"))
        else:
            done.callback(p.idleTimers / (allocated / 2**20))

    for i in range(p.idleTimers):
        reactor.callLater(_idleDelay(i), _idleTimer)
    reactor.callLater(0, measure)
    return done


def idleTimersTick(reactor: Reactor, p: Params) -> Deferred[float]:
    """
    The cost of a reactor iteration among many idle timers: with
    C{p.idleTimers} C{callLater}s 60-61 s away pending, one chain of
    C{callLater(0, next)}, C{p.idleTimerTicks} calls: calls/s, timed from
    the reactor pass after the idle timers were scheduled.
    """
    done: Deferred[float] = Deferred()
    for i in range(p.idleTimers):
        reactor.callLater(_idleDelay(i), _idleTimer)
    remaining = p.idleTimerTicks
    start = 0.0

    def step() -> None:
        nonlocal remaining
        remaining -= 1
        if remaining:
            reactor.callLater(0, step)
        else:
            done.callback(p.idleTimerTicks / (time.perf_counter() - start))

    def begin() -> None:
        nonlocal start
        start = time.perf_counter()
        step()

    reactor.callLater(0, begin)
    return done


# --- TCP -----------------------------------------------------------------

MESSAGE = b"x" * 64


class Echo(Protocol):
    """
    Echo server: sends back whatever it receives.
    """

    transport: Any

    def connectionMade(self) -> None:
        self.transport.setTcpNoDelay(True)

    def dataReceived(self, data: bytes) -> None:
        self.transport.write(data)


class EchoClient(Protocol):
    """
    Sends L{MESSAGE}, waits for all of it to come back, and again, until
    the deadline; then hangs up.  The one echo client of every target.
    """

    transport: Any

    def __init__(self, deadline: float, finished: Callable[[int], None]) -> None:
        self.deadline = deadline
        self.finished = finished
        self.roundTrips = 0
        self.pending = 0

    def connectionMade(self) -> None:
        self.transport.setTcpNoDelay(True)
        self.send()

    def send(self) -> None:
        self.pending = len(MESSAGE)
        self.transport.write(MESSAGE)

    def dataReceived(self, data: bytes) -> None:
        self.pending -= len(data)
        if self.pending:
            return
        self.roundTrips += 1
        if time.perf_counter() < self.deadline:
            self.send()
        else:
            self.transport.loseConnection()

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self.finished(self.roundTrips)


class _Clients(ClientFactory):
    def __init__(self, build: Callable[[], Protocol], failed: Deferred[float]) -> None:
        self.build = build
        self.failed = failed

    def buildProtocol(self, addr: object) -> Protocol:
        return self.build()

    def clientConnectionFailed(self, connector: object, reason: Failure) -> None:
        if not self.failed.called:
            self.failed.errback(reason)


def _listen(reactor: Reactor, protocol: type[Protocol]) -> tuple[Any, int]:
    port = reactor.listenTCP(0, Factory.forProtocol(protocol), interface=HOST)
    return port, port.getHost().port


def tcpEcho(connections: int) -> Callable[[Reactor, Params], Deferred[float]]:
    """
    Round trips per second over C{connections} echo connections at once.
    """

    def scenario(reactor: Reactor, p: Params) -> Deferred[float]:
        done: Deferred[float] = Deferred()
        listening, portNumber = _listen(reactor, Echo)
        start = time.perf_counter()
        deadline = start + p.ioSeconds
        counts: list[int] = []

        def finished(roundTrips: int) -> None:
            counts.append(roundTrips)
            if len(counts) == connections and not done.called:
                elapsed = time.perf_counter() - start
                listening.stopListening()
                done.callback(sum(counts) / elapsed)

        factory = _Clients(lambda: EchoClient(deadline, finished), done)
        for _ in range(connections):
            reactor.connectTCP(HOST, portNumber, factory)
        return done

    return scenario


class Sink(Protocol):
    """
    Bulk receiver: counts bytes until the sender hangs up.
    """

    transport: Any

    received = 0
    onDone: Callable[[int], None]

    def dataReceived(self, data: bytes) -> None:
        self.received += len(data)

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self.onDone(self.received)


class Firehose(Protocol):
    """
    Bulk sender: a pull producer writing C{chunk} each time the transport
    drains, until the deadline.
    """

    transport: Any

    def __init__(self, chunk: bytes, deadline: float) -> None:
        self.chunk = chunk
        self.deadline = deadline

    def connectionMade(self) -> None:
        self.transport.registerProducer(self, False)

    def resumeProducing(self) -> None:
        if time.perf_counter() < self.deadline:
            self.transport.write(self.chunk)
        else:
            self.transport.unregisterProducer()
            self.transport.loseConnection()

    def stopProducing(self) -> None:
        pass


def tcpBulk(reactor: Reactor, p: Params) -> Deferred[float]:
    """
    MB/s (10**6 bytes) received over one connection in C{p.ioSeconds}.
    """
    done: Deferred[float] = Deferred()
    start = time.perf_counter()

    def received(total: int) -> None:
        listening.stopListening()
        done.callback(total / (time.perf_counter() - start) / 1e6)

    class _Sink(Sink):
        onDone = staticmethod(received)

    listening, portNumber = _listen(reactor, _Sink)
    chunk = b"\0" * p.bulkChunk
    factory = _Clients(lambda: Firehose(chunk, start + p.ioSeconds), done)
    reactor.connectTCP(HOST, portNumber, factory)
    return done


def idleConns(traced: bool) -> Callable[[Reactor, Params], Deferred[float]]:
    """
    C{p.idleConns} idle TCP connections to a Twisted server in the same
    process, from raw non-blocking client sockets made beforehand
    (L{IdleClients}: batches of 100 in flight, paced by the server's
    accepts), after L{IDLE_WARM} uncounted ones.  The server's protocol
    does nothing but count its C{connectionMade}s.

    Untraced: connections accepted per second, from the first connect
    to the last C{connectionMade}.  Traced: connections per MiB the
    process allocated for them, net (C{tracemalloc}, after 0.1 s to
    settle and a C{gc.collect()}).
    """

    def scenario(reactor: Reactor, p: Params) -> Deferred[float]:
        done: Deferred[float] = Deferred()
        count = fitIdleConnections(p.idleConns)
        clients = IdleClients(count + IDLE_WARM)

        class Counted(Protocol):
            def connectionMade(self) -> None:
                clients.accepted()

        listening = reactor.listenTCP(
            0, Factory.forProtocol(Counted), backlog=IDLE_BACKLOG, interface=HOST
        )
        portNumber = listening.getHost().port

        def finish(value: float) -> None:
            listening.stopListening()
            done.callback(value)

        def measure() -> None:
            gc.collect()
            if traced:
                tracemalloc.start()
            clients.open(portNumber, count + IDLE_WARM, opened)

        def opened(elapsed: float) -> None:
            if traced:
                reactor.callLater(0.1, settled)
            else:
                finish(count / elapsed)

        def settled() -> None:
            gc.collect()
            allocated, _ = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            finish(count / (allocated / 2**20))

        clients.open(portNumber, IDLE_WARM, lambda _: reactor.callLater(0.1, measure))
        return done

    return scenario


# --- HTTP ----------------------------------------------------------------


def _helloSite() -> Any:
    """
    A twisted.web hello world, access log off (it would time Twisted's
    logging, the same on every reactor).
    """
    from twisted.web.resource import Resource
    from twisted.web.server import Request, Site

    class Hello(Resource):
        isLeaf = True

        def render_GET(self, request: Request) -> bytes:
            request.setHeader(b"content-type", b"text/plain")
            return HELLO

    class QuietSite(Site):
        def log(self, request: Any) -> None:
            pass

    return QuietSite(Hello())  # type: ignore[no-untyped-call]


def agentFetch(reactor: Reactor, p: Params) -> Deferred[float]:
    """
    Requests per second a C{twisted.web.client.Agent} on a persistent
    C{HTTPConnectionPool} gets from a twisted.web hello world in the same
    process, one request at a time (each response read with C{readBody})
    for C{p.ioSeconds}.  Any response but a 200 with the hello body fails.
    """
    from twisted.web.client import Agent, HTTPConnectionPool, readBody

    listening = reactor.listenTCP(0, _helloSite(), interface=HOST)
    url = f"http://{HOST}:{listening.getHost().port}/".encode()
    pool = HTTPConnectionPool(reactor, persistent=True)
    agent = Agent(reactor, pool=pool)

    async def fetch() -> float:
        requests = 0
        start = time.perf_counter()
        deadline = start + p.ioSeconds
        try:
            while time.perf_counter() < deadline:
                response = await agent.request(b"GET", url)
                body = await readBody(response)
                if response.code != 200 or body != HELLO:
                    raise RuntimeError(f"got {response.code} {body!r}")
                requests += 1
            return requests / (time.perf_counter() - start)
        finally:
            await pool.closeCachedConnections()
            await listening.stopListening()

    return Deferred.fromCoroutine(fetch())


def http(reactor: Reactor, p: Params) -> Deferred[float]:
    """
    Requests per second wrk gets from a twisted.web hello world (access log
    off: it would measure Twisted's logging, the same on every reactor).
    """
    site = _helloSite()
    listening = reactor.listenTCP(0, site, interface=HOST)
    url = f"http://{HOST}:{listening.getHost().port}/"
    d: Deferred[dict[str, Any]] = deferToThread(
        runWrk, url, p.httpSeconds, p.httpConnections
    )

    def stop(report: dict[str, Any]) -> float:
        listening.stopListening()
        rate: float = report["requestsPerSecond"]
        return rate

    return d.addCallback(stop)


SCENARIOS: dict[str, Callable[[Reactor, Params], Deferred[float]]] = {
    "timers": timers,
    "timers-batch": timersBatch,
    "timers-cancel": timersCancel,
    "call-later-0": callLaterZero,
    "call-from-thread": callFromThread,
    "idle-timers-memory": idleTimersMemory,
    "idle-timers-tick": idleTimersTick,
    "tcp-echo-1": tcpEcho(1),
    "tcp-echo-50": tcpEcho(50),
    "tcp-bulk": tcpBulk,
    "idle-conns-accept": idleConns(traced=False),
    "idle-conns-memory": idleConns(traced=True),
    "agent-fetch": agentFetch,
    "http": http,
}


def run(target: str, scenario: str, p: Params) -> float:
    """
    Install C{target}, run C{scenario} on it inside C{reactor.run()}, and
    return its rate.

    @raise Exception: whatever the scenario failed with.
    """
    reactor = install(target)
    body = SCENARIOS[scenario]
    outcome: list[float | Failure] = []

    def go() -> None:
        d = maybeDeferred(body, reactor, p)
        d.addBoth(outcome.append)
        d.addBoth(lambda _: reactor.stop())

    reactor.callWhenRunning(go)
    reactor.run(installSignalHandlers=False)
    if not outcome:
        raise RuntimeError("reactor stopped before the scenario finished")
    result = outcome[0]
    if isinstance(result, Failure):
        result.raiseException()
    assert isinstance(result, float)
    return result
