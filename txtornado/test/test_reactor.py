"""
Tests for L{txtornado.reactor.TornadoReactor}.

Twisted's own reactor suite (C{conformance/twisted_reactor_suite.py}, run by
C{test_conformance_twisted}) covers the reactor interfaces in depth; these
tests cover what is particular to running on a Tornado IOLoop, on stdlib
asyncio and on uvloop.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import threading
from collections.abc import Callable
from typing import Any

from tornado import gen
from tornado.ioloop import IOLoop
from tornado.platform.asyncio import AsyncIOLoop
from twisted.internet import error, interfaces, protocol
from twisted.internet.abstract import FileDescriptor
from twisted.logger import LogLevel, globalLogPublisher
from twisted.trial.unittest import SynchronousTestCase
from zope.interface.verify import verifyObject

from txtornado.reactor import TornadoReactor
from txtornado.test._subprocess import runPython

#: Every interface PosixReactorBase provides on Linux, plus IReactorFDSet.
INTERFACES = [
    interfaces.IReactorCore,
    interfaces.IReactorTime,
    interfaces.IReactorFDSet,
    interfaces.IReactorThreads,
    interfaces.IReactorFromThreads,
    interfaces.IReactorInThreads,
    interfaces.IReactorTCP,
    interfaces.IReactorSSL,
    interfaces.IReactorUNIX,
    interfaces.IReactorUNIXDatagram,
    interfaces.IReactorUDP,
    interfaces.IReactorMulticast,
    interfaces.IReactorProcess,
    interfaces.IReactorSocket,
    interfaces.IReactorPluggableNameResolver,
    interfaces.IReactorPluggableResolver,
]


class _LogCatcher:
    """
    Collects the critical/error events logged while it is attached.
    """

    def __init__(self, case: SynchronousTestCase) -> None:
        self.events: list[dict[str, Any]] = []
        globalLogPublisher.addObserver(self)
        case.addCleanup(globalLogPublisher.removeObserver, self)

    def __call__(self, event: dict[str, Any]) -> None:
        if event.get("log_level") in (LogLevel.critical, LogLevel.error):
            self.events.append(event)


class ReactorTestsMixin:
    """
    Tests run on TornadoReactor over each kind of asyncio loop.
    """

    loopFactory: Callable[[], asyncio.AbstractEventLoop]

    # Provided by SynchronousTestCase.
    addCleanup: Callable[..., None]
    assertEqual: Callable[..., None]
    assertTrue: Callable[..., None]
    assertFalse: Callable[..., None]
    assertIs: Callable[..., None]
    assertRaises: Callable[..., Any]
    flushLoggedErrors: Callable[..., list[Any]]

    def buildReactor(self) -> TornadoReactor:
        ioLoop = AsyncIOLoop(asyncio_loop=self.loopFactory())
        reactor = TornadoReactor(ioLoop)

        def cleanUp() -> None:
            reactor.disconnectAll()
            for call in reactor.getDelayedCalls():
                call.cancel()
            ioLoop.close()

        self.addCleanup(cleanUp)
        return reactor

    def runUntil(self, reactor: TornadoReactor, timeout: float = 10.0) -> None:
        """
        Run C{reactor} until it stops; fail if it is still running after
        C{timeout} seconds.
        """
        timedOut: list[bool] = []

        def giveUp() -> None:
            timedOut.append(True)
            reactor.stop()

        call = reactor.callLater(timeout, giveUp)
        reactor.run(installSignalHandlers=False)
        self.assertFalse(timedOut, "reactor was still running after the timeout")
        if call.active():
            call.cancel()

    def test_interfaces(self) -> None:
        """
        The reactor provides every interface PosixReactorBase declares.
        """
        reactor = self.buildReactor()
        for iface in INTERFACES:
            self.assertTrue(verifyObject(iface, reactor), iface)

    def test_ioLoopStartDrivesReactor(self) -> None:
        """
        Starting the IOLoop instead of the reactor fires the startup
        triggers and runs timed calls; C{reactor.stop()} fires the shutdown
        triggers and stops the IOLoop.
        """
        reactor = self.buildReactor()
        events: list[object] = []
        reactor.callWhenRunning(events.append, "running")
        reactor.addSystemEventTrigger("after", "shutdown", events.append, "shutdown")
        reactor.callLater(0.01, reactor.stop)
        reactor.io_loop.start()
        self.assertEqual(events, ["running", "shutdown"])
        self.assertFalse(reactor.running)

    def test_runUntilCompleteDrivesReactor(self) -> None:
        """
        asyncio's C{run_until_complete} on the IOLoop's loop runs Twisted
        timed calls and Tornado coroutines together.
        """
        reactor = self.buildReactor()
        fired: list[str] = []
        reactor.callLater(0.01, fired.append, "twisted")

        async def main() -> None:
            await gen.sleep(0.05)
            fired.append("tornado")

        reactor.io_loop.asyncio_loop.run_until_complete(main())  # type: ignore[attr-defined]
        self.assertEqual(fired, ["twisted", "tornado"])
        self.assertTrue(reactor.running)
        # The reactor can now be run and stopped as usual.
        reactor.callLater(0, reactor.stop)
        self.runUntil(reactor)
        self.assertFalse(reactor.running)

    def test_runStartsIOLoop(self) -> None:
        """
        C{reactor.run()} runs the IOLoop: Tornado callbacks run, and
        C{IOLoop.current()} inside the loop is the reactor's IOLoop.
        """
        reactor = self.buildReactor()
        seen: list[object] = []

        def tornadoCallback() -> None:
            seen.append(IOLoop.current())
            reactor.stop()

        reactor.callWhenRunning(reactor.io_loop.add_callback, tornadoCallback)
        self.runUntil(reactor)
        self.assertEqual(seen, [reactor.io_loop])

    def test_startupTriggersRunInRunningLoop(self) -> None:
        """
        Startup triggers and C{callWhenRunning} calls run inside the running
        asyncio loop, so asyncio and Tornado APIs that need it work there.
        """
        reactor = self.buildReactor()
        seen: list[object] = []

        def running() -> None:
            seen.append(asyncio.get_running_loop())
            reactor.stop()

        reactor.callWhenRunning(running)
        self.runUntil(reactor)
        self.assertEqual(seen, [reactor.io_loop.asyncio_loop])  # type: ignore[attr-defined]

    def test_callFromThread(self) -> None:
        """
        Calls from several threads all run in the loop thread, each
        thread's calls in order.
        """
        reactor = self.buildReactor()
        loopThread = threading.get_ident()
        results: dict[int, list[int]] = {n: [] for n in range(4)}
        threadsSeen: set[int] = set()
        perThread = 200
        done = [0]

        def record(n: int, i: int) -> None:
            threadsSeen.add(threading.get_ident())
            results[n].append(i)
            if i == perThread - 1:
                done[0] += 1
                if done[0] == len(results):
                    reactor.stop()

        def worker(n: int) -> None:
            for i in range(perThread):
                reactor.callFromThread(record, n, i)

        threads = [threading.Thread(target=worker, args=(n,)) for n in results]
        reactor.callWhenRunning(lambda: [t.start() for t in threads])
        self.runUntil(reactor)
        for t in threads:
            t.join()
        self.assertEqual(threadsSeen, {loopThread})
        for calls in results.values():
            self.assertEqual(calls, list(range(perThread)))

    def test_callFromThreadBurstSharesWakeUp(self) -> None:
        """
        Calls from a thread made while the loop has not yet run the earlier
        ones share one loop wake-up; they run in order, an exception in one
        is logged and the others still run; a later call wakes the loop
        again.
        """
        reactor = self.buildReactor()
        wakes: list[object] = []
        callSoonThreadsafe = reactor._driver.callSoonThreadsafe

        def counting(f: Any, *args: Any) -> Any:
            wakes.append(f)
            return callSoonThreadsafe(f, *args)

        reactor._driver.callSoonThreadsafe = counting  # type: ignore[method-assign]
        ran: list[int] = []

        def call(i: int) -> None:
            ran.append(i)
            if i == 5:
                raise ValueError("call 5")

        def burst() -> None:
            # The loop's thread waits for the thread: nothing queued runs.
            thread = threading.Thread(
                target=lambda: [reactor.callFromThread(call, i) for i in range(50)]
            )
            thread.start()
            thread.join()
            reactor.callLater(0.001, later)

        def later() -> None:
            thread = threading.Thread(
                target=reactor.callFromThread, args=(reactor.stop,)
            )
            thread.start()
            thread.join()

        reactor.callWhenRunning(burst)
        self.runUntil(reactor)
        self.assertEqual(ran, list(range(50)))
        self.assertEqual(len(wakes), 2)
        self.assertEqual(len(self.flushLoggedErrors(ValueError)), 1)

    def test_dueTimedCallsRunAfterThreadCalls(self) -> None:
        """
        As in Twisted's C{runUntilCurrent}, the timed calls due when a batch
        of thread calls has run come before the thread calls that batch
        queued (Twisted's own C{CallFromThreadStopsAndWakeUpTests}).
        """
        reactor = self.buildReactor()
        events: list[str] = []

        def first() -> None:
            reactor.callFromThread(second)
            reactor.callLater(0, events.append, "timed call")

        def second() -> None:
            events.append("second thread call")
            reactor.stop()

        reactor.callWhenRunning(reactor.callFromThread, first)
        self.runUntil(reactor)
        self.assertEqual(events, ["timed call", "second thread call"])

    def test_callbackExceptionsAreLogged(self) -> None:
        """
        An exception in a timed call, a thread call or a descriptor's
        C{doRead} is logged through Twisted's logger and the loop goes on.
        """
        reactor = self.buildReactor()
        caught = _LogCatcher(self)  # type: ignore[arg-type]
        after: list[str] = []

        def boom(what: str) -> None:
            raise RuntimeError(what)

        rsock, wsock = socket.socketpair()
        self.addCleanup(rsock.close)
        self.addCleanup(wsock.close)

        class Exploding(FileDescriptor):
            def fileno(self) -> int:
                return rsock.fileno()

            def doRead(self) -> None:
                raise RuntimeError("doRead")

            def connectionLost(self, reason: Any) -> None:
                after.append("connectionLost")
                reactor.callLater(0.01, reactor.stop)

        reactor.callLater(0, boom, "timed")
        reactor.callFromThread(boom, "thread")
        reactor.addReader(Exploding(reactor))
        wsock.send(b"x")
        self.runUntil(reactor)
        self.assertEqual(after, ["connectionLost"])
        messages = {
            str(e.get("log_failure").value) for e in caught.events if "log_failure" in e
        }
        self.assertEqual(messages, {"timed", "thread", "doRead"})
        self.flushLoggedErrors(RuntimeError)

    def _lostDescriptorTest(self, closeAfterPoll: bool) -> None:
        """
        Register a reader, close its socket behind the reactor's back (right
        away, or once the loop has polled with the reader registered), and
        check it is disconnected exactly once, with C{doRead} never called.
        """
        reactor = self.buildReactor()
        reactor.lostDescriptorInterval = 0.01
        rsock, wsock = socket.socketpair()
        self.addCleanup(wsock.close)
        calls: list[str] = []

        class Victim(FileDescriptor):
            def fileno(self) -> int:
                return rsock.fileno()

            def doRead(self) -> None:
                calls.append("doRead")

            def connectionLost(self, reason: Any) -> None:
                calls.append(type(reason.value).__name__)
                # Give a busy loop or a second disconnect time to show.
                reactor.callLater(0.1, reactor.stop)

        reactor.addReader(Victim(reactor))
        if closeAfterPoll:
            # An event on another socket proves the loop has polled since
            # the victim was registered.
            prsock, pwsock = socket.socketpair()
            self.addCleanup(prsock.close)
            self.addCleanup(pwsock.close)

            class Closer(FileDescriptor):
                def fileno(self) -> int:
                    return prsock.fileno()

                def doRead(self) -> None:
                    reactor.removeReader(self)
                    rsock.close()

            reactor.addReader(Closer(reactor))
            pwsock.send(b"x")
        else:
            reactor.callLater(0, rsock.close)
        self.runUntil(reactor)
        self.assertEqual(calls, ["ConnectionFdescWentAway"])
        self.assertEqual(reactor.getReaders(), [])

    def test_lostDescriptorDisconnectedOnce(self) -> None:
        """
        A descriptor whose socket is closed behind the reactor's back (so
        epoll forgets it silently) is disconnected exactly once, and its
        C{doRead} is never called.
        """
        self._lostDescriptorTest(closeAfterPoll=True)

    def _reusedNumberTest(self, oldIsWriter: bool) -> None:
        """
        Register a reader (or a writer) on a socket, close the socket
        behind the reactor's back once the loop has polled, register a
        reader on a new socket that gets the same fd number, and check the
        new reader gets its events before and after the lost-descriptor
        check, which disconnects the old descriptor once.
        """
        reactor = self.buildReactor()
        # Only the test's own calls run the check.
        reactor.lostDescriptorInterval = 3600.0
        cleanup = self.addCleanup
        oldSock, oldPeer = socket.socketpair()
        cleanup(oldPeer.close)
        pollRead, pollWrite = socket.socketpair()
        cleanup(pollRead.close)
        cleanup(pollWrite.close)
        number = oldSock.fileno()
        events: list[str] = []
        sockets: list[socket.socket] = []

        class Old(FileDescriptor):
            def fileno(self) -> int:
                return oldSock.fileno()

            def doRead(self) -> None:
                events.append("old doRead")

            def doWrite(self) -> None:
                events.append("old doWrite")

            def connectionLost(self, reason: Any) -> None:
                events.append(f"old {type(reason.value).__name__}")

        class New(FileDescriptor):
            def fileno(self) -> int:
                return sockets[0].fileno()

            def doRead(self) -> None:
                data = sockets[0].recv(100)
                events.append(f"new {data.decode()}")
                if data == b"first":
                    # The check finds the old descriptor lost: it must not
                    # take the new one's registration with it.
                    reactor._sweep.sweep()
                    events.append(f"listed {self in reactor.getReaders()}")
                    sockets[1].send(b"second")
                else:
                    reactor.removeReader(self)
                    reactor.stop()

        class Closer(FileDescriptor):
            # Its event proves the loop has polled with Old registered.
            def fileno(self) -> int:
                return pollRead.fileno()

            def doRead(self) -> None:
                reactor.removeReader(self)
                oldSock.close()
                sockets.extend(socket.socketpair())
                for sock in sockets:
                    cleanup(sock.close)
                events.append(f"reused {sockets[0].fileno() == number}")
                new = New(reactor)
                reactor.addReader(new)
                events.append(f"listed {new in reactor.getReaders()}")
                sockets[1].send(b"first")

        if oldIsWriter:
            # A full send buffer: registered for writing, never writable.
            oldSock.setblocking(False)
            try:
                while True:
                    oldSock.send(b"x" * 65536)
            except BlockingIOError:
                pass
            reactor.addWriter(Old(reactor))
        else:
            reactor.addReader(Old(reactor))
        reactor.addReader(Closer(reactor))
        pollWrite.send(b"x")
        self.runUntil(reactor, timeout=5.0)
        self.assertEqual(
            events,
            [
                "reused True",
                "listed True",
                "new first",
                "old ConnectionFdescWentAway",
                "listed True",
                "new second",
            ],
        )
        self.assertEqual(reactor.getReaders(), [])
        self.assertEqual(reactor.getWriters(), [])

    def test_lostReaderNumberReused(self) -> None:
        """
        A reader on a new socket that got the fd number of a lost reader
        gets its events, also after the lost reader is disconnected.
        """
        self._reusedNumberTest(oldIsWriter=False)

    def test_lostWriterNumberReused(self) -> None:
        """
        A reader on a new socket that got the fd number of a lost writer
        gets its events, also after the lost writer is disconnected.
        """
        self._reusedNumberTest(oldIsWriter=True)

    def test_regularFileReader(self) -> None:
        """
        A regular file (which epoll refuses) can be added as a reader; it
        is read until the end.
        """
        reactor = self.buildReactor()
        path = self.mktemp()  # type: ignore[attr-defined]
        with open(path, "wb") as f:
            f.write(b"contents of a regular file")
        fd = os.open(path, os.O_RDONLY)
        self.addCleanup(os.close, fd)
        read: list[bytes] = []

        class FileReader(FileDescriptor):
            def fileno(self) -> int:
                return fd

            def doRead(self) -> None:
                data = os.read(fd, 1024)
                if not data:
                    reactor.removeReader(self)
                    reactor.stop()
                read.append(data)

        reader = FileReader(reactor)
        reactor.addReader(reader)
        self.assertEqual(reactor.getReaders(), [reader])
        self.runUntil(reactor)
        self.assertEqual(b"".join(read), b"contents of a regular file")

    def test_iterate(self) -> None:
        """
        C{iterate()} runs due calls and returns without the reactor running.
        """
        reactor = self.buildReactor()
        fired: list[int] = []
        reactor.callLater(0, fired.append, 1)
        for _ in range(5):
            reactor.iterate(0.01)
            if fired:
                break
        self.assertEqual(fired, [1])
        self.assertFalse(reactor.running)

    def test_wallClockJumpBackNeitherFloodsNorFiresEarly(self) -> None:
        """
        Only relative delays cross from Twisted's clock to the loop's: when
        Twisted's clock jumps back, a timed call is not run early, and the
        loop's timer is not re-armed in a tight loop meanwhile.
        """
        reactor = self.buildReactor()
        offset = [0.0]
        realSeconds = reactor.seconds
        reactor.seconds = lambda: realSeconds() + offset[0]  # type: ignore[method-assign]
        wakeUps = [0]
        realFire = reactor._timer.fire

        def countingFire() -> None:
            wakeUps[0] += 1
            realFire()

        reactor._timer.fire = countingFire  # type: ignore[method-assign]
        fired: list[str] = []
        call = reactor.callLater(0.02, fired.append, "early")

        def jumpBack() -> None:
            offset[0] = -3600.0

        reactor.callWhenRunning(jumpBack)
        reactor.callWhenRunning(
            reactor.io_loop.call_later,
            0.2,
            reactor.stop,  # type: ignore[arg-type]
        )
        self.runUntil(reactor)
        self.assertEqual(fired, [])
        self.assertTrue(call.active())
        call.cancel()
        # The original timer, and the stop: no flood of wake-ups.
        self.assertTrue(wakeUps[0] <= 3, wakeUps[0])

    def test_tcpEcho(self) -> None:
        """
        A Twisted TCP server and client exchange data over 127.0.0.1.
        """
        reactor = self.buildReactor()
        received: list[bytes] = []

        class Echo(protocol.Protocol):
            def dataReceived(self, data: bytes) -> None:
                self.transport.write(data)  # type: ignore[union-attr]

        class Client(protocol.Protocol):
            def connectionMade(self) -> None:
                self.transport.write(b"ping" * 10000)  # type: ignore[union-attr]

            def dataReceived(self, data: bytes) -> None:
                received.append(data)
                if len(b"".join(received)) == 40000:
                    self.transport.loseConnection()  # type: ignore[union-attr]
                    reactor.stop()

        port = reactor.listenTCP(
            0, protocol.Factory.forProtocol(Echo), interface="127.0.0.1"
        )
        self.addCleanup(port.stopListening)
        protocol.ClientCreator(reactor, Client).connectTCP(
            "127.0.0.1", port.getHost().port
        )
        self.runUntil(reactor)
        self.assertEqual(b"".join(received), b"ping" * 10000)

    def test_writesWithoutRegistering(self) -> None:
        """
        A connected TCP transport's writes that the socket takes at once
        never register it with the loop; a write the socket cannot take
        (nobody reads) registers it, and it is unregistered once drained;
        from then on its writes register it at once (a bulk writer).  A
        descriptor that is not a TCP transport is registered at once.
        """
        reactor = self.buildReactor()
        registered: list[int] = []
        addWriter = reactor._driver.addWriter

        def recordingAddWriter(fd: int, *args: Any) -> None:
            registered.append(fd)
            addWriter(fd, *args)

        reactor._driver.addWriter = recordingAddWriter  # type: ignore[method-assign]
        big = b"x" * (16 * 1024 * 1024)
        received: list[bytes] = []
        steps: list[str] = []
        server: list[Any] = []

        class Server(protocol.Protocol):
            def connectionMade(self) -> None:
                server.append(self.transport)
                self.transport.pauseProducing()  # type: ignore[union-attr]

            def dataReceived(self, data: bytes) -> None:
                received.append(data)
                if sum(map(len, received)) == 3 + len(big):
                    before = len(registered)
                    clients[0].transport.write(b"z")
                    steps.append(f"bulk writer registers {len(registered) - before}")
                    reactor.stop()

        class Client(protocol.Protocol):
            def connectionMade(self) -> None:
                self.transport.write(b"abc")  # type: ignore[union-attr]
                reactor.callLater(0.01, self.small)

            def small(self) -> None:
                steps.append(f"small write registered {len(registered)}")
                self.transport.write(big)  # type: ignore[union-attr]
                reactor.callLater(0.05, self.blocked)

            def blocked(self) -> None:
                steps.append(f"big write registered {len(registered)}")
                server[0].resumeProducing()

        port = reactor.listenTCP(
            0, protocol.Factory.forProtocol(Server), interface="127.0.0.1"
        )
        self.addCleanup(port.stopListening)
        connecting = protocol.ClientCreator(reactor, Client).connectTCP(
            "127.0.0.1", port.getHost().port
        )
        clients: list[Any] = []
        connecting.addCallback(clients.append)
        self.runUntil(reactor)
        reactor.removeWriter(clients[0].transport)
        self.assertEqual(b"".join(received), b"abc" + big)
        # the connecting client waited for writability, registered (1)
        self.assertEqual(
            steps,
            [
                "small write registered 1",
                "big write registered 2",
                "bulk writer registers 1",
            ],
        )
        self.assertEqual(reactor.getWriters(), [])
        clients[0].transport.loseConnection()

        # a pipe's writer (not a TCP transport) is registered at once
        r, w = os.pipe()
        self.addCleanup(os.close, r)
        self.addCleanup(os.close, w)

        class PipeWriter:
            def fileno(self) -> int:
                return w

            def doWrite(self) -> None:
                reactor.removeWriter(self)  # type: ignore[arg-type]

            def logPrefix(self) -> str:
                return "PipeWriter"

            def connectionLost(self, reason: object) -> None:
                pass

        registered.clear()
        writer = PipeWriter()
        reactor.addWriter(writer)  # type: ignore[arg-type]
        self.assertEqual(registered, [w])
        reactor.removeWriter(writer)  # type: ignore[arg-type]

    def test_writeSentWhenEventEnds(self) -> None:
        """
        A connected transport's write made by a reactor event (a read, a
        timed call, a thread call) is on the socket when that event ends,
        before any loop callback scheduled meanwhile runs.
        """
        reactor = self.buildReactor()
        loop = reactor.io_loop.asyncio_loop  # type: ignore[attr-defined]
        peer, ours = socket.socketpair()
        self.addCleanup(peer.close)
        peer.setblocking(False)
        seen: list[tuple[str, bytes]] = []

        class Echo(protocol.Protocol):
            def dataReceived(self, data: bytes) -> None:
                self.writeThen("read", data)

            def timed(self) -> None:
                self.writeThen("timed", b"timed")

            def threaded(self) -> None:
                self.writeThen("thread", b"thread")

            def writeThen(self, event: str, data: bytes) -> None:
                # The loop callback is scheduled before the write.
                loop.call_soon(self.onPeer, event)
                self.transport.write(data)  # type: ignore[union-attr]

            def onPeer(self, event: str) -> None:
                try:
                    seen.append((event, peer.recv(100)))
                except BlockingIOError:
                    seen.append((event, b""))
                if event == "read":
                    reactor.callLater(0, self.timed)
                elif event == "timed":
                    reactor.callFromThread(self.threaded)
                else:
                    reactor.stop()

        echo = Echo()
        reactor.adoptStreamConnection(
            ours.fileno(), socket.AF_UNIX, protocol.Factory.forProtocol(lambda: echo)
        )
        ours.close()
        peer.sendall(b"ping")
        self.runUntil(reactor)
        self.assertEqual(
            seen, [("read", b"ping"), ("timed", b"timed"), ("thread", b"thread")]
        )

    def test_spawnProcessReapedWithoutSignalHandlers(self) -> None:
        """
        A C{spawnProcess} child is reaped and reported when it exits even
        though no SIGCHLD handler is installed (and uvloop would refuse
        one): the reactor watches the child's pidfd.
        """
        reactor = self.buildReactor()
        ended: list[int | None] = []

        class Child(protocol.ProcessProtocol):
            def processEnded(self, reason: Any) -> None:
                ended.append(reason.value.exitCode)
                reactor.stop()

        def spawn() -> None:
            reactor.spawnProcess(
                Child(), sys.executable, [sys.executable, "-c", "raise SystemExit(7)"]
            )

        reactor.callWhenRunning(spawn)
        self.runUntil(reactor)
        self.assertEqual(ended, [7])
        self.assertEqual(reactor._childWatcher.watching(), [])

    def test_crashBeforeStartupThenRunAgain(self) -> None:
        """
        As trial drives the reactor (C{run()}, then C{crash()} from a call
        that was queued before C{run()}, then C{run()} again): each C{run()}
        fires startup, and returns with the reactor neither started nor
        running, so the next C{run()} starts it again, as on every Twisted
        reactor.  Startup precedes the reactor's own calls; a Tornado
        callback queued before C{run()} may precede it, and then startup
        fires when that callback crashes the reactor.
        """
        reactor = self.buildReactor()
        events: list[str] = []

        def crashFrom(source: str) -> None:
            events.append(f"crash from {source}")
            reactor.crash()

        sources: dict[str, Callable[[Callable[[], None]], object]] = {
            "thread call": reactor.callFromThread,
            "tornado callback": reactor.io_loop.add_callback,
            "timed call": lambda f: reactor.callLater(0, f),
        }
        for source, queue in sources.items():
            reactor.callWhenRunning(events.append, "running")
            queue(lambda source=source: crashFrom(source))  # type: ignore[misc]
            reactor.run(installSignalHandlers=False)
            self.assertFalse(reactor.running)
        self.assertEqual(
            events,
            [
                "running",
                "crash from thread call",
                "crash from tornado callback",
                "running",
                "running",
                "crash from timed call",
            ],
        )
        reactor.callWhenRunning(reactor.stop)
        self.runUntil(reactor)

    def test_stopBeforeStartup(self) -> None:
        """
        C{stop()} from a Tornado callback queued before C{run()} (which the
        loop may run before C{run()}'s startup) fires startup, then
        shutdown, and stops the reactor.
        """
        reactor = self.buildReactor()
        events: list[str] = []
        reactor.callWhenRunning(events.append, "running")
        reactor.addSystemEventTrigger("after", "shutdown", events.append, "shutdown")
        reactor.io_loop.add_callback(reactor.stop)
        self.runUntil(reactor)
        self.assertEqual(events, ["running", "shutdown"])

    def test_restartAfterStop(self) -> None:
        """
        As on every Twisted reactor, a stopped reactor cannot be run again.
        """
        reactor = self.buildReactor()
        reactor.callWhenRunning(reactor.stop)
        self.runUntil(reactor)
        self.assertRaises(error.ReactorNotRestartable, reactor.run)


class AsyncioReactorTests(ReactorTestsMixin, SynchronousTestCase):
    """
    TornadoReactor on an IOLoop over stdlib asyncio.
    """

    loopFactory = staticmethod(asyncio.new_event_loop)

    def test_lostDescriptorClosedBeforeFirstPoll(self) -> None:
        """
        A socket closed in the same loop iteration it was registered in is
        disconnected once too.  (Not on uvloop: libuv defers the epoll
        registration to its next poll and aborts the process when the fd
        is gone by then; see the TornadoReactor docstring.)
        """
        self._lostDescriptorTest(closeAfterPoll=False)


class UvloopReactorTests(ReactorTestsMixin, SynchronousTestCase):
    """
    TornadoReactor on an IOLoop over uvloop.
    """

    @staticmethod
    def loopFactory() -> asyncio.AbstractEventLoop:
        import uvloop

        return uvloop.new_event_loop()


class DefaultIOLoopTests(SynchronousTestCase):
    """
    Without an argument the reactor takes C{IOLoop.current()}.
    """

    def test_currentIOLoop(self) -> None:
        """
        C{TornadoReactor()} uses the current IOLoop.
        """
        loop = asyncio.new_event_loop()
        self.addCleanup(loop.close)
        asyncio.set_event_loop(loop)
        self.addCleanup(asyncio.set_event_loop, None)
        reactor = TornadoReactor()
        self.assertIs(reactor.io_loop, IOLoop.current())
        self.assertIs(reactor.io_loop.asyncio_loop, loop)  # type: ignore[attr-defined]


#: In a child (it installs signal handlers): reactor A runs on the current
#: IOLoop with its signal handlers and is cleaned up as Twisted's
#: ReactorBuilder does, with a SIGCHLD whose loop callback has not run yet
#: as it stops (it arrived in its last loop iteration: raise_signal makes
#: that certain); then reactor B, on the same IOLoop, spawns a child before
#: run() and waits for it to exit.  Prints whether B was running when the
#: child's end was reported.
_SHARED_LOOP_SIGCHLD = r"""
import os, signal, sys
from twisted.internet import protocol
from txtornado._compat.twisted import uninstall_signal_handling
from txtornado.reactor import TornadoReactor

a = TornadoReactor()

def lastCallback():
    signal.raise_signal(signal.SIGCHLD)
    a.stop()

a.callWhenRunning(lastCallback)
a.run()
uninstall_signal_handling(a)
a.disconnectAll()

b = TornadoReactor()
assert b.io_loop is a.io_loop
events = []

class Child(protocol.ProcessProtocol):
    def processEnded(self, reason):
        events.append(("ended", "running" if b.running else "not running"))
        b.stop()

# No pipes: the child's exit is its only event.
child = b.spawnProcess(
    Child(), sys.executable, [sys.executable, "-c", ""], childFDs={}
)
os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)
b.callLater(20, b.stop)
b.run()
print(events)
"""


class SharedLoopTests(SynchronousTestCase):
    """
    Reactors built one after another on the same IOLoop (the default
    C{TornadoReactor()}): nothing of an earlier one acts in a later one's
    run.
    """

    def test_earlierReactorsSignalDoesNotPrecedeStartup(self) -> None:
        """
        A signal that reached an earlier reactor's handler but whose loop
        callback had not run when that reactor uninstalled its handlers is
        dropped, as on Twisted's own reactors (whose signal pipe goes with
        them): it does not reap the next reactor's child before that
        reactor's startup.
        """
        result = runPython(_SHARED_LOOP_SIGCHLD, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(
            result.stdout.strip().splitlines()[-1],
            "[('ended', 'running')]",
            result.stdout + result.stderr,
        )

    def test_processTestsBuilderOnDefaultLoop(self) -> None:
        """
        Twisted's C{ProcessTestsBuilder} tests from C{test_pauseAndResume*}
        to C{test_systemCall*}, each on a new C{TornadoReactor()} on the
        same IOLoop, all pass; C{test_spawnProcessEarlyIsReaped} used to
        hang after C{test_processEnded}.
        """
        code = (
            "import sys\n"
            "from twisted.internet.test.reactormixins import ReactorBuilder\n"
            "ReactorBuilder._reactors = ['txtornado.reactor.TornadoReactor']\n"
            "ReactorBuilder.timeout = 15\n"
            "from twisted.trial import reporter, runner\n"
            "from twisted.internet.test import test_process\n"
            "cls = test_process.ProcessTestsBuilder_TornadoReactorTests\n"
            "names = sorted(n for n in dir(cls) if n[:5] == 'test_' and\n"
            "               n[5:6].lower() in 'pqrs')\n"
            "result = reporter.Reporter(stream=sys.stdout)\n"
            "runner.TestSuite([cls(n) for n in names]).run(result)\n"
            "result.done()\n"
            "print('names', len(names), result.testsRun, result.wasSuccessful())\n"
        )
        result = runPython(code, timeout=300)
        last = result.stdout.strip().splitlines()[-1]
        self.assertIn(" True", last, result.stdout + result.stderr)
        count, run = last.split()[1:3]
        self.assertEqual(count, run)
        self.assertTrue(int(count) >= 10, last)
