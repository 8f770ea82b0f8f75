"""
The suites as data: their targets, scenarios, baseline and goals.

The harness reads this to plan a run and judge it; a worker reads it to
check its arguments.  Setting a target up and running a scenario on it is
the business of C{bench_reactor} (Twisted side), C{bench_ioloop}
(Tornado/asyncio side) and C{bench_endpoints} (Tornado on Twisted
endpoints).  Nothing here imports an event loop.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass

from bench_util import Scenario, idleConnectionsSizing


def _needsModule(name: str) -> Callable[[], str | None]:
    def probe() -> str | None:
        if importlib.util.find_spec(name) is None:
            return f"{name} is not installed"
        return None

    return probe


def _needsEpoll() -> str | None:
    import select

    if not hasattr(select, "epoll"):
        return "select.epoll is not available on this platform"
    return None


def _needsTwistedIOLoop() -> str | None:
    reason = _needsEpoll()
    if reason is not None:
        return reason
    txtornado = importlib.import_module("txtornado")
    if not hasattr(txtornado, "TwistedIOLoop"):
        return "txtornado.TwistedIOLoop does not exist yet"
    return None


def _always() -> str | None:
    return None


@dataclass(frozen=True)
class Target:
    """
    One event loop configuration benchmarked.

    @ivar probe: Returns why the target cannot run here, or L{None}.  Run
        in a worker process (C{worker.py --probe}), never in the harness.
    """

    name: str
    description: str
    probe: Callable[[], str | None] = _always


@dataclass(frozen=True)
class Goal:
    """
    C{target} should reach at least C{minimum} times C{baseline}'s median
    on C{scenario}.  Reported, never enforced.
    """

    scenario: str
    target: str
    baseline: str
    minimum: float


@dataclass(frozen=True)
class Suite:
    """
    A set of targets run through the same scenarios.  Every table of the
    suite shows ratios against C{baseline}; each goal names its own.
    """

    name: str
    title: str
    targets: tuple[Target, ...]
    scenarios: tuple[Scenario, ...]
    baseline: str
    goals: tuple[Goal, ...]

    def target(self, name: str) -> Target:
        for target in self.targets:
            if target.name == name:
                return target
        raise KeyError(name)

    def scenario(self, name: str) -> Scenario:
        for scenario in self.scenarios:
            if scenario.name == name:
                return scenario
        raise KeyError(name)


def _idleConnectionScenarios(server: str) -> tuple[Scenario, Scenario]:
    """
    The idle-connections scenarios of a suite whose server is C{server}
    ("a Twisted", "an asyncio"): accept rate and memory per connection.
    """
    return (
        Scenario(
            "idle-conns-accept",
            "conn/s",
            "N idle TCP connections (raw client sockets, 100 in flight) to "
            f"{server} server in-process: connections accepted per second",
            sizing=idleConnectionsSizing,
        ),
        Scenario(
            "idle-conns-memory",
            "conn/MiB",
            "the same N idle connections: connections per MiB allocated (tracemalloc)",
            sizing=idleConnectionsSizing,
        ),
    )


# --- Reactor suite (Twisted side) ------------------------------------------

TORNADO_ASYNCIO = "TornadoReactor/asyncio"
TORNADO_UVLOOP = "TornadoReactor/uvloop"
ASYNCIO_SELECTOR = "AsyncioSelectorReactor"
EPOLL = "EPollReactor"

REACTOR = Suite(
    name="reactor",
    title="Reactor suite: Twisted code on each reactor",
    targets=(
        Target(
            TORNADO_ASYNCIO,
            "txtornado.TornadoReactor on tornado AsyncIOLoop(), stdlib asyncio",
        ),
        Target(
            TORNADO_UVLOOP,
            "txtornado.TornadoReactor on AsyncIOLoop(asyncio_loop="
            "uvloop.new_event_loop())",
            _needsModule("uvloop"),
        ),
        Target(
            ASYNCIO_SELECTOR,
            "twisted.internet.asyncioreactor.AsyncioSelectorReactor, stdlib asyncio",
        ),
        Target(EPOLL, "twisted.internet.epollreactor.EPollReactor", _needsEpoll),
    ),
    scenarios=(
        Scenario(
            "timers",
            "ops/s",
            "100 chains of callLater(0-99 us, next): N timed calls firing "
            "over many loop iterations",
        ),
        Scenario(
            "timers-batch",
            "ops/s",
            "callLater N timers with delays spread over 0-10 ms; all come due "
            "at once (Twisted's own heap, shared by every reactor)",
        ),
        Scenario(
            "timers-cancel",
            "ops/s",
            "callLater N timers (1-2 s away), cancel them all, one pass",
        ),
        Scenario(
            "call-later-0",
            "ops/s",
            "10 chains of callLater(0, next), N calls in all",
        ),
        Scenario(
            "call-from-thread",
            "ops/s",
            "callFromThread from 4 threads at once, calls run per second",
        ),
        Scenario(
            "idle-timers-memory",
            "timers/MiB",
            "callLater N timers 60 s away and leave them: timers per MiB "
            "allocated (tracemalloc)",
        ),
        Scenario(
            "idle-timers-tick",
            "ops/s",
            "one chain of callLater(0, next) with N idle timers 60 s away "
            "pending: reactor iterations per second",
        ),
        Scenario(
            "tcp-echo-1",
            "rt/s",
            "round trips of 64 bytes, 1 connection, client+server in-process",
        ),
        Scenario(
            "tcp-echo-50",
            "rt/s",
            "round trips of 64 bytes, 50 connections at once, in-process",
        ),
        Scenario(
            "tcp-bulk",
            "MB/s",
            "one connection, 1 MiB writes driven by a pull producer",
        ),
        *_idleConnectionScenarios("a Twisted"),
        Scenario(
            "agent-fetch",
            "req/s",
            "twisted.web.client.Agent (persistent pool) fetching a twisted.web "
            "hello world in-process, one request at a time, for 1 s",
        ),
        Scenario(
            "http",
            "req/s",
            "twisted.web hello world, wrk -t1 -c8 for 2 s",
            needsWrk=True,
        ),
    ),
    baseline=ASYNCIO_SELECTOR,
    goals=(
        # TornadoReactor against Twisted's native epoll reactor: >= 1.0x on
        # stdlib asyncio everywhere; on uvloop >= 1.2x on I/O, >= 1.0x on
        # timers.
        *(
            Goal(scenario, TORNADO_ASYNCIO, EPOLL, 1.0)
            for scenario in (
                "timers",
                "timers-batch",
                "timers-cancel",
                "call-later-0",
                "call-from-thread",
                "tcp-echo-1",
                "tcp-echo-50",
                "tcp-bulk",
                "http",
            )
        ),
        *(
            Goal(scenario, TORNADO_UVLOOP, EPOLL, 1.2)
            for scenario in ("tcp-echo-1", "tcp-echo-50", "tcp-bulk", "http")
        ),
        *(
            Goal(scenario, TORNADO_UVLOOP, EPOLL, 1.0)
            for scenario in ("timers", "timers-batch", "timers-cancel", "call-later-0")
        ),
    ),
)


# --- IOLoop suite (Tornado / asyncio side) ---------------------------------

TWISTED_IOLOOP_EPOLL = "TwistedIOLoop/EPollReactor"
TWISTED_IOLOOP_EPOLL_RUN = "TwistedIOLoop/EPollReactor/reactor.run"
TWISTED_IOLOOP_GI = "TwistedIOLoop/GIReactor"
TWISTED_IOLOOP_GI_RUN = "TwistedIOLoop/GIReactor/reactor.run"
TWISTED_IOLOOP_QT = "TwistedIOLoop/QtReactor"
TWISTED_IOLOOP_QT_RUN = "TwistedIOLoop/QtReactor/reactor.run"
STDLIB_ASYNCIO = "asyncio"
UVLOOP = "uvloop"
ASYNCIO_REACTOR_TORNADO = "AsyncioSelectorReactor+Tornado"

IOLOOP = Suite(
    name="ioloop",
    title="IOLoop suite: asyncio/Tornado code on each loop",
    targets=(
        Target(
            TWISTED_IOLOOP_EPOLL,
            "txtornado.TwistedIOLoop(reactor) on an installed EPollReactor, "
            "run with IOLoop.run_sync",
            _needsTwistedIOLoop,
        ),
        Target(
            TWISTED_IOLOOP_EPOLL_RUN,
            "the same, the scenario a task on the IOLoop's asyncio loop, "
            "driven by reactor.run() (the Twisted-hosted way)",
            _needsTwistedIOLoop,
        ),
        Target(
            TWISTED_IOLOOP_GI,
            "txtornado.TwistedIOLoop(reactor) on an installed GIReactor "
            "(Twisted's GLib reactor), run with IOLoop.run_sync (driving "
            "mode runs GLib's main loop)",
            _needsModule("gi"),
        ),
        Target(
            TWISTED_IOLOOP_GI_RUN,
            "the same, the scenario a task on the IOLoop's asyncio loop, "
            "driven by reactor.run() (how a GTK program runs)",
            _needsModule("gi"),
        ),
        Target(
            TWISTED_IOLOOP_QT,
            "txtornado.TwistedIOLoop(reactor) on an installed qt5reactor "
            "QtReactor (on a QCoreApplication), run with IOLoop.run_sync "
            "(driving mode runs a QEventLoop)",
            _needsModule("qt5reactor"),
        ),
        Target(
            TWISTED_IOLOOP_QT_RUN,
            "the same, the scenario a task driven by reactor.run() (how a "
            "Qt program runs)",
            _needsModule("qt5reactor"),
        ),
        Target(
            STDLIB_ASYNCIO,
            "tornado AsyncIOLoop() on a new stdlib asyncio loop, run_sync",
        ),
        Target(
            UVLOOP,
            "tornado AsyncIOLoop(asyncio_loop=uvloop.new_event_loop()), run_sync",
            _needsModule("uvloop"),
        ),
        Target(
            ASYNCIO_REACTOR_TORNADO,
            "what a Twisted user picks today: asyncioreactor.install(loop), "
            "Tornado on that loop, reactor.run()",
        ),
    ),
    scenarios=(
        Scenario(
            "call-soon",
            "ops/s",
            "10 chains of loop.call_soon(next), N calls in all",
        ),
        Scenario(
            "call-later",
            "ops/s",
            "loop.call_later N timers with delays spread over 0-10 ms",
        ),
        Scenario(
            "call-soon-threadsafe",
            "ops/s",
            "call_soon_threadsafe from 4 threads at once, calls run per second",
        ),
        Scenario(
            "tcp-echo-1",
            "rt/s",
            "asyncio protocols, 64-byte round trips, 1 connection, in-process",
        ),
        Scenario(
            "tcp-echo-50",
            "rt/s",
            "asyncio protocols, 64-byte round trips, 50 connections, in-process",
        ),
        Scenario(
            "tcp-bulk",
            "MB/s",
            "asyncio protocols, one connection, 1 MiB writes with flow control",
        ),
        *_idleConnectionScenarios("an asyncio"),
        Scenario(
            "websocket-echo",
            "rt/s",
            "tornado.websocket server and websocket_connect client in-process, "
            "64-byte binary messages, one at a time, for 1 s",
        ),
        Scenario(
            "http",
            "req/s",
            "tornado.web hello world, wrk -t1 -c8 for 2 s",
            needsWrk=True,
        ),
    ),
    baseline=STDLIB_ASYNCIO,
    goals=(
        # asyncio and Tornado code on EPollReactor, driven and hosted, at
        # least as fast as on stdlib asyncio.
        *(
            Goal(scenario, target, STDLIB_ASYNCIO, 1.0)
            for target in (TWISTED_IOLOOP_EPOLL, TWISTED_IOLOOP_EPOLL_RUN)
            for scenario in (
                "call-soon",
                "call-later",
                "call-soon-threadsafe",
                "tcp-echo-1",
                "tcp-echo-50",
                "tcp-bulk",
                "http",
            )
        ),
    ),
)


# --- Endpoints suite (Tornado served through Twisted endpoints) -------------


def _needsEndpoints() -> str | None:
    txtornado = importlib.import_module("txtornado")
    try:
        txtornado.listen  # noqa: B018 (imported on first use)
    except (AttributeError, ImportError) as e:
        return f"txtornado.listen is not available: {e!r}"
    return None


TWISTED_ENDPOINT = "Twisted endpoint"
TORNADO_LISTEN = "Tornado HTTPServer.listen"

#: Connections per MiB is 1/(bytes per connection): "within 1.1x of
#: Tornado's bytes per connection" is a ratio of at least 1/1.1.
IDLE_MEMORY_MINIMUM = round(1 / 1.1, 3)

ENDPOINTS = Suite(
    name="endpoints",
    title="Endpoints suite: Tornado served through Twisted endpoints",
    targets=(
        Target(
            TWISTED_ENDPOINT,
            "txtornado.listen(server, 'tcp:0:interface=127.0.0.1', reactor) and "
            "txtornado.connect: TwistedIOStream, TornadoReactor on AsyncIOLoop()",
            _needsEndpoints,
        ),
        Target(
            TORNADO_LISTEN,
            "Tornado's own HTTPServer.listen (bind_sockets + add_sockets) and "
            "TCPClient: IOStream, on the same TornadoReactor + AsyncIOLoop()",
        ),
    ),
    scenarios=(
        Scenario(
            "http",
            "req/s",
            "tornado.web hello world, wrk -t1 -c8 for 2 s",
            needsWrk=True,
        ),
        Scenario(
            "bulk",
            "MB/s",
            "one connection, the server writes 1 GiB in 1 MiB chunks awaiting "
            "each write; the client read_into()s",
        ),
        Scenario(
            "idle-memory",
            "conn/MiB",
            "1000 idle keep-alive HTTP connections (one request each): "
            "connections per MiB the server allocated (tracemalloc)",
        ),
        Scenario(
            "websocket-echo",
            "rt/s",
            "tornado.websocket echo served the target's way; client "
            "websocket_connect (Tornado's TCPClient); 64-byte round trips, 1 s",
        ),
    ),
    baseline=TORNADO_LISTEN,
    goals=(
        Goal("http", TWISTED_ENDPOINT, TORNADO_LISTEN, 1.0),
        Goal("bulk", TWISTED_ENDPOINT, TORNADO_LISTEN, 1.0),
        Goal("idle-memory", TWISTED_ENDPOINT, TORNADO_LISTEN, IDLE_MEMORY_MINIMUM),
    ),
)

SUITES: dict[str, Suite] = {suite.name: suite for suite in (REACTOR, IOLOOP, ENDPOINTS)}
