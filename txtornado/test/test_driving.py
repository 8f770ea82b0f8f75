# -*- test-case-name: txtornado.test.test_driving -*-
"""
Tests for L{txtornado._loop_on_reactor.driving}: driving mode on reactors
with C{doIteration} and on GUI reactors that run their toolkit's main loop
(Twisted's C{gireactor} and qt5reactor's C{QtReactor}, each in a child
process: they need the C{gui} extra, and a toolkit's reactor is best kept
out of the test process).
"""

from __future__ import annotations

import asyncio
import textwrap

from twisted.internet.interfaces import IReactorFDSet
from twisted.internet.posixbase import PosixReactorBase
from twisted.trial.unittest import SynchronousTestCase
from zope.interface import implementer

from txtornado._loop_on_reactor.driving import (
    DrivenLoop,
    IterationDriver,
    driver_for,
)
from txtornado.eventloop import TwistedEventLoop, dispose_reactor
from txtornado.test._gui import requireModule
from txtornado.test._subprocess import runPython


@implementer(IReactorFDSet)
class _NoIterationReactor(PosixReactorBase):
    """
    A reactor with neither C{doIteration} nor a toolkit main loop (its FD
    set methods do nothing).
    """

    def installWaker(self) -> None:
        pass

    def addReader(self, reader: object) -> None:
        pass

    def removeReader(self, reader: object) -> None:
        pass

    def addWriter(self, writer: object) -> None:
        pass

    def removeWriter(self, writer: object) -> None:
        pass

    def removeAll(self) -> list[object]:
        return []


def _loop_hooks() -> DrivenLoop:
    return DrivenLoop(lambda: None, lambda: False, lambda t: t, lambda s: None)


class DriverForTests(SynchronousTestCase):
    """
    L{driver_for} picks the strategy by what the reactor provides.
    """

    def test_iteration(self) -> None:
        """
        A poller reactor is driven through C{doIteration}.
        """
        from twisted.internet.pollreactor import PollReactor

        reactor = PollReactor()
        self.addCleanup(dispose_reactor, reactor)
        driver = driver_for(reactor, _loop_hooks())
        self.assertIsInstance(driver, IterationDriver)
        self.assertTrue(driver.ticks_itself)

    def test_neither(self) -> None:
        """
        A reactor that can be neither iterated nor have a toolkit main loop
        run is refused with C{NotImplementedError} naming what is needed,
        by C{run_until_complete}, and the loop stays usable (closable).
        """
        reactor = _NoIterationReactor()
        loop = TwistedEventLoop(reactor=reactor)
        self.addCleanup(loop.close)
        coro = asyncio.sleep(0)
        with self.assertRaises(NotImplementedError) as caught:
            loop.run_until_complete(coro)
        coro.close()
        self.assertIn("doIteration", str(caught.exception))
        self.assertIn("reactor.run()", str(caught.exception))
        self.assertFalse(loop.is_running())


#: Makes C{reactor}, a GIReactor, in a child.
_MAKE_GIREACTOR = """
from twisted.internet import gireactor
reactor = gireactor.GIReactor()
"""

#: Makes C{reactor}, a QtReactor on a C{QCoreApplication}, in a child.
_MAKE_QTREACTOR = """
from PyQt5.QtCore import QCoreApplication
application = QCoreApplication([])
from qt5reactor.core import QtReactor
reactor = QtReactor()
"""

#: Run in a child after one of the C{_MAKE_*} snippets: driving mode on a
#: toolkit's reactor, with the contract checked as on epoll.  Prints "OK"
#: at the end.
_DRIVING_CHILD = textwrap.dedent(
    """
    import asyncio, threading
    from twisted.internet.threads import deferToThreadPool
    from txtornado.eventloop import TwistedEventLoop

    events = []
    reactor.addSystemEventTrigger("during", "startup", events.append, "startup")
    reactor.addSystemEventTrigger("before", "shutdown", events.append, "shutdown")
    reactor.callWhenRunning(events.append, "running")
    loop = TwistedEventLoop(reactor=reactor)
    main = threading.get_ident()

    # A run that does not use the thread pool makes none (Twisted's pool
    # holds reference cycles, which a loop per run would leave as garbage).
    async def no_pool():
        await asyncio.sleep(0.01)
        return reactor.threadpool

    assert loop.run_until_complete(no_pool()) is None

    async def work():
        await asyncio.sleep(0.01)
        # asyncio's executor, and the reactor's thread pool, with a call
        # coming back through the reactor's waker.
        executed = await loop.run_in_executor(None, threading.get_ident)
        pooled = await deferToThreadPool(
            reactor, reactor.getThreadPool(), threading.get_ident
        )
        later = asyncio.get_running_loop().create_future()
        reactor.callLater(0.01, later.set_result, "later")
        return (
            executed != main,
            pooled != main,
            reactor.getThreadPool().started,
            await later,
        )

    assert loop.run_until_complete(work()) == (True, True, True, "later")

    # Nothing fired, nothing left behind: no thread pool, no worker.
    assert events == [], events
    assert not reactor.running
    assert reactor.threadpool is None, reactor.threadpool

    # An exception leaves run_until_complete, and the loop goes on.
    async def fail():
        await asyncio.sleep(0)
        raise KeyError("boom")

    try:
        loop.run_until_complete(fail())
    except KeyError as e:
        assert e.args == ("boom",)
    else:
        raise AssertionError("no KeyError")

    # Re-entrant run_until_complete is refused, as on epoll.
    async def reenter():
        coro = asyncio.sleep(0)
        try:
            loop.run_until_complete(coro)
        except RuntimeError as e:
            coro.close()
            return str(e)

    assert "already running" in loop.run_until_complete(reenter())

    # So is a re-entrant run_forever, and stop() still ends the outer run
    # (the refused call leaves the run's driver alone).
    refused = []

    def run_again():
        try:
            loop.run_forever()
        except RuntimeError as e:
            refused.append(str(e))
        loop.stop()

    loop.call_soon(run_again)
    loop.run_forever()
    assert len(refused) == 1 and "already running" in refused[0], refused

    # A timer set by an I/O callback fires on time though a later one was
    # set before: GIReactor moves its GLib timeout only in callLater, and
    # QtReactor its QTimer (a DelayedCall.reset sooner outside its timer
    # callback would wait for the later timer).
    import socket, time

    async def timer_after_io():
        r, w = socket.socketpair()
        r.setblocking(False)
        done = loop.create_future()
        loop.call_later(30, done.set_result, "the later timer")
        await asyncio.sleep(0)

        def readable():
            r.recv(10)
            loop.remove_reader(r)
            loop.call_later(0.01, done.set_result, "on time")

        loop.add_reader(r, readable)
        w.send(b"x")
        started = time.monotonic()
        outcome = await done
        r.close()
        w.close()
        return outcome, time.monotonic() - started < 10

    assert loop.run_until_complete(timer_after_io()) == ("on time", True)

    # A signal wakes the toolkit's loop at once, though nothing else is due
    # for 30 s: its handler runs.  It is sent once the main thread waits in
    # the toolkit's loop (MainLoopDriver.run_once calling its run: the
    # handler would run at once if Python ran).
    import os, signal, sys

    def send_when_waiting():
        main = threading.main_thread().ident
        while True:
            frame, names = sys._current_frames().get(main), []
            while frame is not None and len(names) < 2:
                names.append(frame.f_code.co_name)
                frame = frame.f_back
            if "run_once" in names:
                break
            time.sleep(0.001)
        os.kill(os.getpid(), signal.SIGUSR1)

    async def signalled():
        got = loop.create_future()
        loop.add_signal_handler(signal.SIGUSR1, got.set_result, "signalled")
        failsafe = loop.call_later(30, got.set_result, "not woken")
        started = time.monotonic()
        threading.Thread(target=send_when_waiting).start()
        outcome = await got
        failsafe.cancel()
        loop.remove_signal_handler(signal.SIGUSR1)
        return outcome, time.monotonic() - started < 10

    assert loop.run_until_complete(signalled()) == ("signalled", True)
    assert signal.set_wakeup_fd(-1) == -1, "the wake-up descriptor was left set"

    # stop() from a reactor call ends run_forever.
    reactor.callLater(0.01, loop.stop)
    loop.run_forever()

    # stop() from a callback ends run_forever after that iteration, as in
    # asyncio: what the iteration's callbacks scheduled runs in the next run.
    ran = []
    loop.call_soon(loop.call_soon, ran.append, "next run")
    loop.call_soon(loop.stop)
    loop.run_forever()
    assert ran == [], ran
    loop.call_soon(loop.stop)
    loop.run_forever()
    assert ran == ["next run"], ran

    # Tornado's run_sync on the same reactor.
    loop.close()
    from tornado import gen
    from txtornado import TwistedIOLoop

    io_loop = TwistedIOLoop(reactor=reactor)

    async def tornado_work():
        await gen.sleep(0.01)
        return 42

    assert io_loop.run_sync(tornado_work) == 42
    io_loop.close()
    assert events == [], events
    print("OK")
    """
)


#: Run in a child after C{_MAKE_QTREACTOR}: a QtReactor made in one thread
#: is refused in another, by a clear C{RuntimeError}.  Prints the message.
_QT_OTHER_THREAD_CHILD = textwrap.dedent(
    """
    import asyncio, threading
    from txtornado.eventloop import TwistedEventLoop

    loop = TwistedEventLoop(reactor=reactor)
    refused = []

    async def work():
        await asyncio.sleep(0.01)
        return "ran"

    def elsewhere():
        try:
            loop.run_until_complete(work())
        except RuntimeError as e:
            refused.append(str(e))

    thread = threading.Thread(target=elsewhere)
    thread.start()
    thread.join()
    assert not loop.is_running()
    # Nothing is lost: the task the refused run made runs in the reactor's
    # own thread (its reactor calls, made in the other thread, again here).
    [task] = asyncio.all_tasks(loop)
    assert loop.run_until_complete(task) == "ran"
    loop.close()
    print(refused[0] if refused else "not refused")
    """
)


class GIReactorDrivingTests(SynchronousTestCase):
    """
    Driving mode on Twisted's C{gireactor} (L{MainLoopDriver}).
    """

    def setUp(self) -> None:
        requireModule("gi")

    def test_contract(self) -> None:
        """
        C{run_until_complete}, C{run_forever} and Tornado's C{run_sync} on a
        C{GIReactor} that is not running run GLib's main loop until done:
        asyncio timers (also those set from I/O callbacks), executor, the
        reactor's thread pool (made only when used), delayed calls and
        signal handlers (woken at once) work, no startup or shutdown event
        fires, the thread pool is gone
        afterwards, C{stop()} ends the run after the current iteration,
        exceptions leave the run and re-entrant runs are refused.
        """
        result = runPython(_MAKE_GIREACTOR + _DRIVING_CHILD, timeout=60)
        self.assertEqual(
            (result.returncode, result.stdout.strip()),
            (0, "OK"),
            result.stderr,
        )


class QtReactorDrivingTests(SynchronousTestCase):
    """
    Driving mode on qt5reactor's C{QtReactor} (L{MainLoopDriver}, through a
    C{QEventLoop} of its own).
    """

    def setUp(self) -> None:
        requireModule("PyQt5")
        requireModule("qt5reactor")

    def test_contract(self) -> None:
        """
        The contract of L{GIReactorDrivingTests.test_contract}, on a
        C{QtReactor} that is not running (Qt's event loop runs until done).
        """
        result = runPython(_MAKE_QTREACTOR + _DRIVING_CHILD, timeout=60)
        self.assertEqual(
            (result.returncode, result.stdout.strip()),
            (0, "OK"),
            result.stderr,
        )

    def test_other_thread(self) -> None:
        """
        A loop on a C{QtReactor} made in another thread refuses to run with
        a C{RuntimeError} that says why (its Qt objects belong to the
        thread that made them), and then runs in the reactor's thread what
        the refused run left scheduled.
        """
        result = runPython(_MAKE_QTREACTOR + _QT_OTHER_THREAD_CHILD, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("runs only in the thread that made it", result.stdout)
