# -*- test-case-name: txtornado.test.test_hosting,txtornado.test.test_twistd_hosting -*-
"""
Worker processes sharing the listening sockets (C{twistd tornado
--workers N}).

The parent binds every endpoint, stops accepting on them, and starts N
children with C{spawnProcess}, each inheriting the listening sockets
(C{childFDs}) and serving them with the reactor's C{adoptStreamPort}; the
kernel hands each new connection to one of the workers.  The parent logs
the workers' output, restarts a worker that dies, and on stop sends every
worker SIGTERM (each drains gracefully) and waits for all of them.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
from collections.abc import Sequence
from typing import Any

from twisted.application import service
from twisted.internet import protocol
from twisted.internet.address import IPv4Address, IPv6Address, UNIXAddress
from twisted.internet.defer import Deferred, DeferredList, succeed
from twisted.internet.endpoints import serverFromString
from twisted.internet.interfaces import IStreamServerEndpoint
from twisted.logger import Logger, eventFromJSON, globalLogPublisher
from twisted.python.failure import Failure
from zope.interface import implementer

__all__ = ["WORKER_FDS", "AdoptedEndpoint", "WorkerPool", "worker_endpoints"]

#: the environment variable telling a worker its inherited listening
#: sockets: C{fd:family} pairs, comma separated (C{"3:2,4:1"})
WORKER_FDS = "TXTORNADO_WORKER_FDS"

#: the first file descriptor the listening sockets get in a worker
FIRST_FD = 3

#: a worker that dies sooner than this after it started is restarted only
#: after this long (a worker failing at once does not spin the parent)
RESTART_DELAY = 1.0


@implementer(IStreamServerEndpoint)
class AdoptedEndpoint:
    """
    A listening socket inherited from the parent, served with the
    reactor's C{adoptStreamPort}.

    @ivar fd: the socket's file descriptor.
    @ivar family: its address family.
    """

    def __init__(self, reactor: Any, fd: int, family: int) -> None:
        self._reactor = reactor
        self.fd = fd
        self.family = family

    def listen(self, factory: Any) -> Deferred[Any]:
        port = self._reactor.adoptStreamPort(self.fd, self.family, factory)
        # adoptStreamPort duplicates the descriptor: close the inherited one.
        os.close(self.fd)
        return succeed(port)

    def __str__(self) -> str:
        return f"worker socket fd {self.fd}"


def worker_endpoints(reactor: Any, environ: dict[str, str]) -> list[AdoptedEndpoint]:
    """
    The endpoints a worker serves (from L{WORKER_FDS}), or none when this
    process is not a worker.
    """
    value = environ.get(WORKER_FDS, "")
    endpoints = []
    for pair in filter(None, value.split(",")):
        fd, _, family = pair.partition(":")
        endpoints.append(AdoptedEndpoint(reactor, int(fd), int(family)))
    return endpoints


def _family(address: Any) -> int:
    if isinstance(address, IPv4Address):
        return socket.AF_INET
    if isinstance(address, IPv6Address):
        return socket.AF_INET6
    if isinstance(address, UNIXAddress):
        return socket.AF_UNIX
    raise ValueError(f"cannot share a socket listening on {address}")


class _Refuse(protocol.Factory):
    """
    The parent's factory for the ports it binds: it never accepts (its
    ports stop reading at once), so it never builds a protocol.
    """

    def buildProtocol(self, addr: Any) -> None:
        return None


class _Worker(protocol.ProcessProtocol):
    """
    One worker process: its output goes to the parent's log, line by
    line; its end is reported to the pool.

    @ivar index: the worker's number, from 1.
    @ivar ended: fires with the exit status when the process ends.
    """

    def __init__(self, pool: WorkerPool, index: int) -> None:
        self.pool = pool
        self.index = index
        self.ended: Deferred[int | None] = Deferred()
        self.startedAt = pool.reactor.seconds()
        self._buffers = {1: b"", 2: b""}

    def connectionMade(self) -> None:
        transport: Any = self.transport
        transport.closeStdin()

    def childDataReceived(self, childFD: int, data: bytes) -> None:
        buffered = self._buffers.get(childFD, b"") + data
        *lines, self._buffers[childFD] = buffered.split(b"\n")
        for line in lines:
            self.pool.relay(self, line)

    def processEnded(self, reason: Failure) -> None:
        for rest in self._buffers.values():
            if rest:
                self.pool.relay(self, rest)
        code = getattr(reason.value, "exitCode", None)
        signum = getattr(reason.value, "signal", None)
        self.pool.ended(self, code, signum)
        self.ended.callback(code if signum is None else None)


class WorkerPool(service.Service):
    """
    Run C{count} worker processes serving the endpoints: the parent of
    C{twistd tornado --workers}.  Its interface for the plugin matches
    L{TornadoService}'s (C{failed}, C{forced}, L{abort}).

    All methods run in the reactor thread.

    @ivar reactor: the reactor.
    @ivar count: how many workers run.
    @ivar workers: the workers running now, by index.
    @ivar restarts: how many workers were restarted after dying.
    @ivar failed: set when the workers could not be served (never: a worker
        that dies is restarted); C{None}.
    @ivar forced: after a stop, how many workers did not exit with status 0
        (C{None} before).
    @ivar ports: the parent's listening ports (not accepting).
    """

    name = "tornado-workers"
    _log = Logger()

    def __init__(
        self,
        endpoints: Sequence[str],
        count: int,
        workerArgs: Sequence[str],
        reactor: Any,
    ) -> None:
        """
        @param endpoints: endpoint strings (tcp, systemd).
        @param workerArgs: a worker's command line after the interpreter.
        """
        self.reactor = reactor
        self._endpoints = list(endpoints)
        self.count = count
        self._workerArgs = list(workerArgs)
        self.workers: dict[int, _Worker] = {}
        self.restarts = 0
        self.failed: Failure | None = None
        self.forced: int | None = None
        self.ports: list[Any] = []
        self._stopping = False
        self._exitCodes: list[int | None] = []

    def privilegedStartService(self) -> None:
        """
        Bind every endpoint (synchronously, as Twisted's own endpoints do),
        and stop accepting on it: the workers accept.

        @raise Exception: an endpoint's failure to listen, from
            L{ListenError<txtornado.service.ListenError>}.
        """
        from txtornado.service import ListenError

        service.Service.privilegedStartService(self)
        for description in self._endpoints:
            result: list[Any] = []
            try:
                endpoint = serverFromString(self.reactor, description)
                endpoint.listen(_Refuse()).addBoth(result.append)
            except Exception as e:
                raise ListenError(description, e) from e
            if not result or isinstance(result[0], Failure):
                error = result[0].value if result else None
                raise ListenError(description, error or Exception("did not bind"))
            port = result[0]
            fileno = getattr(port, "fileno", None)
            if fileno is None:
                raise ListenError(
                    description, ValueError("its socket cannot be shared")
                )
            try:
                _family(port.getHost())
            except ValueError as e:
                raise ListenError(description, e) from e
            port.stopReading()
            self.ports.append(port)

    def startService(self) -> None:
        """
        Bind (if L{privilegedStartService} did not) and start the workers.
        """
        if not self.ports:
            self.privilegedStartService()
        service.Service.startService(self)
        for index in range(1, self.count + 1):
            self._spawn(index)

    def _spawn(self, index: int) -> None:
        fds: dict[int, Any] = {0: "w", 1: "r", 2: "r"}
        pairs = []
        for offset, port in enumerate(self.ports):
            fd = FIRST_FD + offset
            fds[fd] = port.fileno()
            pairs.append(f"{fd}:{_family(port.getHost())}")
        env = dict(os.environ)
        env[WORKER_FDS] = ",".join(pairs)
        worker = _Worker(self, index)
        argv = [sys.executable, *self._workerArgs]
        self.reactor.spawnProcess(
            worker, sys.executable, argv, env=env, path=os.getcwd(), childFDs=fds
        )
        self.workers[index] = worker
        self._log.info(
            "Worker {index} started (pid {pid})",
            index=index,
            pid=worker.transport.pid,  # type: ignore[union-attr]
        )

    def relay(self, worker: _Worker, line: bytes) -> None:
        """
        Log a line of a worker's output: a JSON event (workers log with
        C{--log-format json}) is published as it is, its system naming the
        worker; any other line (a C{print}, a crash on standard error) is
        logged as text.
        """
        text = line.decode("utf-8", "replace").rstrip("\r")
        if text.startswith("{"):
            try:
                event = eventFromJSON(text)
            except ValueError:
                pass
            else:
                level = getattr(event.get("log_level"), "name", "info")
                namespace = event.get("log_namespace", "-")
                event["log_system"] = f"{namespace}#{level} worker {worker.index}"
                event["txtornado_worker"] = worker.index
                globalLogPublisher(event)
                return
        if text:
            self._log.info("[worker {index}] {text}", index=worker.index, text=text)

    def ended(self, worker: _Worker, code: int | None, signum: int | None) -> None:
        """
        A worker ended: restart it unless the pool is stopping.
        """
        if self.workers.get(worker.index) is worker:
            del self.workers[worker.index]
        how = f"exit status {code}" if signum is None else f"signal {signum}"
        if self._stopping:
            self._exitCodes.append(code if signum is None else None)
            self._log.info(
                "Worker {index} stopped ({how})", index=worker.index, how=how
            )
            return
        self.restarts += 1
        quick = self.reactor.seconds() - worker.startedAt < RESTART_DELAY
        self._log.warn(
            "Worker {index} died ({how}); restarting it", index=worker.index, how=how
        )
        self.reactor.callLater(
            RESTART_DELAY if quick else 0, self._respawn, worker.index
        )

    def _respawn(self, index: int) -> None:
        if not self._stopping and index not in self.workers:
            self._spawn(index)

    def stopService(self) -> Deferred[Any]:
        """
        Send every worker SIGTERM (each stops accepting and drains) and
        fire once all have exited; then close the parent's ports.
        """
        service.Service.stopService(self)
        self._stopping = True
        waits = [w.ended for w in self.workers.values()]
        self._signal(signal.SIGTERM)

        def done(_: object) -> int:
            self.forced = sum(code != 0 for code in self._exitCodes)
            for port in self.ports:
                port.stopListening()
            self.ports = []
            return self.forced

        return DeferredList(waits).addCallback(done)

    def abort(self) -> int:
        """
        During a stop, send the workers SIGTERM again: each aborts its
        connections and ends at once.

        @return: how many workers were signalled.
        """
        if not self._stopping:
            return 0
        return self._signal(signal.SIGTERM)

    def _signal(self, signum: int) -> int:
        sent = 0
        for worker in list(self.workers.values()):
            try:
                transport: Any = worker.transport
                transport.signalProcess(signum)
                sent += 1
            except Exception:  # already gone
                pass
        return sent
