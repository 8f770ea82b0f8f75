"""
Any number of loops, in any threads, beside the loop on the global reactor
(the rule in L{txtornado.eventloop}'s docstring).  Each test runs in a child
process that installs EPoll, Poll or Select as the global reactor, as an
application would, and checks that no reactor, thread or file descriptor
is left once the loops are closed.
"""

from __future__ import annotations

import json
import textwrap
from typing import Any

from twisted.internet.epollreactor import EPollReactor
from twisted.internet.selectreactor import SelectReactor
from twisted.trial.unittest import SynchronousTestCase

from txtornado._loop_on_reactor.ownership import dispose_reactor
from txtornado._loop_on_reactor.ownership import private_reactor as _private_reactor
from txtornado.test._subprocess import runPython

#: Run first in every child: install the global reactor (C{REACTOR} is
#: replaced by the module's name), and the leak checks.
PRELUDE = """
import asyncio, gc, json, os, sys, threading
from twisted.internet import REACTOR as reactor_module
reactor_module.install()
from twisted.internet import reactor
from txtornado import TwistedEventLoop, TwistedEventLoopPolicy, TwistedIOLoop
from txtornado._loop_on_reactor.ownership import loops_by_reactor as _loops_by_reactor

def fds():
    return set(os.listdir("/proc/self/fd"))

def leaks(fds_before):
    '''What is left: descriptors, threads, open loops, live reactors.'''
    gc.collect()
    live = [
        o for o in gc.get_objects()
        if isinstance(o, type(reactor)) and o is not reactor and vars(o)
    ]
    return {
        "new_fds": sorted(fds() - fds_before),
        "threads": threading.active_count(),
        "open_loops": len(_loops_by_reactor),
        "other_reactors": len(live),
    }

NO_LEAKS = {"new_fds": [], "threads": 1, "open_loops": 0, "other_reactors": 0}
"""


class _MultiLoopTests:
    """
    Loops beside the global reactor's, with C{reactorModule} installed as
    the global reactor (a C{reactorClass}).
    """

    reactorModule: str
    reactorClass: str

    def runChild(self, code: str, timeout: float = 120.0) -> Any:
        """
        Run L{PRELUDE} and C{code} in a child; return the JSON value it
        prints on its last line.
        """
        source = PRELUDE.replace("REACTOR", self.reactorModule)
        result = runPython(source + textwrap.dedent(code), timeout=timeout)
        self.assertEqual(  # type: ignore[attr-defined]
            result.returncode, 0, result.stdout + result.stderr
        )
        self.assertEqual(result.stderr, "")  # type: ignore[attr-defined]
        return json.loads(result.stdout.splitlines()[-1])

    def test_asyncio_run_in_worker_thread(self) -> None:
        """
        Under C{TwistedEventLoopPolicy()}, C{asyncio.run()} in a worker
        thread while the main loop runs works, twice: the main loop is on
        the global reactor, each worker's on a new private reactor of the
        same class, disposed of when it closes.
        """
        report = self.runChild(
            """
            asyncio.set_event_loop_policy(TwistedEventLoopPolicy())
            fds_before = fds()

            async def work():
                loop = asyncio.get_running_loop()
                await asyncio.sleep(0)
                return [type(loop.reactor).__name__, loop.reactor is reactor]

            async def main():
                loop = asyncio.get_running_loop()
                one = await loop.run_in_executor(None, asyncio.run, work())
                two = await loop.run_in_executor(None, asyncio.run, work())
                return [loop.reactor is reactor, one, two]

            result = asyncio.run(main())
            print(json.dumps([result, leaks(fds_before) == NO_LEAKS]))
            """
        )
        worker = [self.reactorClass, False]
        self.assertEqual(report, [[True, worker, worker], True])  # type: ignore[attr-defined]

    def test_second_loop_in_main_thread(self) -> None:
        """
        A second loop in the main thread while the first (on the global
        reactor) is open gets a private reactor and runs; once the first is
        closed, a new loop gets the global reactor again.
        """
        report = self.runChild(
            """
            fds_before = fds()
            first = TwistedEventLoop()
            second = TwistedEventLoop()
            seen = [first.reactor is reactor, second.reactor is reactor,
                    type(second.reactor).__name__]
            seen.append(second.run_until_complete(asyncio.sleep(0, "second")))
            seen.append(first.run_until_complete(asyncio.sleep(0, "first")))
            second.close()
            first.close()
            third = TwistedEventLoop()
            seen.append(third.reactor is reactor)
            third.close()
            print(json.dumps([seen, leaks(fds_before) == NO_LEAKS]))
            """
        )
        self.assertEqual(  # type: ignore[attr-defined]
            report,
            [[True, False, self.reactorClass, "second", "first", True], True],
        )

    def test_explicit_global_reactor_taken(self) -> None:
        """
        Asking for the global reactor by name while another open loop uses
        it is refused with a message saying what to do.
        """
        report = self.runChild(
            """
            first = TwistedEventLoop()
            try:
                TwistedEventLoop(reactor)
            except RuntimeError as e:
                message = str(e)
            else:
                message = None
            first.close()
            print(json.dumps(message))
            """
        )
        self.assertIn("already has an open event loop", report)  # type: ignore[attr-defined]
        self.assertIn("pass no reactor", report)  # type: ignore[attr-defined]

    def test_worker_thread_never_takes_global(self) -> None:
        """
        A loop created in another thread gets a private reactor even when
        no loop uses the global one, which stays free for the main thread.
        """
        report = self.runChild(
            """
            fds_before = fds()
            seen = []

            def worker():
                loop = TwistedEventLoop()
                seen.append(loop.reactor is reactor)
                seen.append(loop.run_until_complete(asyncio.sleep(0, "ran")))
                loop.close()

            thread = threading.Thread(target=worker)
            thread.start()
            thread.join()
            main = TwistedEventLoop()
            seen.append(main.reactor is reactor)
            main.close()
            print(json.dumps([seen, leaks(fds_before) == NO_LEAKS]))
            """
        )
        self.assertEqual(report, [[False, "ran", True], True])  # type: ignore[attr-defined]

    def test_hosted_by_reactor_run(self) -> None:
        """
        While C{reactor.run()} runs the global reactor, a loop created in a
        reactor callback is hosted on it, and C{asyncio.run()} in a thread
        of the reactor's pool runs on a private reactor.
        """
        report = self.runChild(
            """
            from twisted.internet.threads import deferToThread
            asyncio.set_event_loop_policy(TwistedEventLoopPolicy())
            fds_before = fds()
            seen = []

            async def work():
                return asyncio.get_running_loop().reactor is reactor

            async def main():
                loop = asyncio.get_running_loop()
                seen.append(loop.reactor is reactor)
                seen.append(await deferToThread(asyncio.run, work()))
                reactor.stop()

            def start():
                loop = asyncio.new_event_loop()
                loops.append(loop)
                seen.append(loop.is_running())
                loop.create_task(main())

            loops = []
            reactor.callWhenRunning(start)
            reactor.run()
            loops[0].close()
            print(json.dumps([seen, leaks(fds_before) == NO_LEAKS]))
            """
        )
        self.assertEqual(report, [[True, True, False], True])  # type: ignore[attr-defined]

    def test_sync_http_client_beside_main_ioloop(self) -> None:
        """
        With C{IOLoop.configure(TwistedIOLoop)}, a synchronous C{HTTPClient} (a
        private IOLoop in the main thread) works while the main
        TwistedIOLoop exists, against a server run by C{asyncio.run()} in
        another thread; the main IOLoop then still runs Twisted code on the
        global reactor.
        """
        report = self.runChild(
            """
            import queue
            import tornado.web
            from tornado.httpclient import HTTPClient
            from tornado.httpserver import HTTPServer
            from tornado.ioloop import IOLoop
            from tornado.netutil import bind_sockets
            from twisted.internet.task import deferLater

            asyncio.set_event_loop_policy(TwistedEventLoopPolicy())
            IOLoop.configure(TwistedIOLoop)
            fds_before = fds()
            main = IOLoop(make_current=False)
            seen = [main.reactor is reactor]

            class Hello(tornado.web.RequestHandler):
                def get(self):
                    on_global = asyncio.get_running_loop().reactor is reactor
                    self.write("on global" if on_global else "private")

            ports = queue.Queue()

            async def serve():
                [sock] = bind_sockets(0, "127.0.0.1")
                server = HTTPServer(tornado.web.Application([("/", Hello)]))
                server.add_sockets([sock])
                stop = asyncio.Event()
                loop = asyncio.get_running_loop()
                ports.put((sock.getsockname()[1], loop, stop))
                await stop.wait()
                server.stop()
                await server.close_all_connections()

            thread = threading.Thread(target=asyncio.run, args=(serve(),))
            thread.start()
            port, server_loop, stop = ports.get()
            client = HTTPClient()
            seen.append(client.fetch(f"http://127.0.0.1:{port}/").body.decode())
            client.close()
            server_loop.call_soon_threadsafe(stop.set)
            thread.join()

            async def twisted_work():
                return await deferLater(reactor, 0, lambda: "deferLater ran")

            seen.append(main.run_sync(twisted_work))
            main.close()
            IOLoop(make_current=False).close()  # Tornado drops closed loops here
            print(json.dumps([seen, leaks(fds_before)]))
            """
        )
        self.assertEqual(  # type: ignore[attr-defined]
            report,
            [
                [True, "private", "deferLater ran"],
                {"new_fds": [], "threads": 1, "open_loops": 0, "other_reactors": 0},
            ],
        )

    #: The child of L{test_threads_run_asyncio_while_main_loop_serves}
    #: (C{MODE} is replaced): the main loop, on the global reactor, serves
    #: HTTP (with Twisted code in each request) while 8 threads each run
    #: C{asyncio.run()} 50 times, each run fetching from it.
    THREADS_CHILD = """
        import tornado.web
        from tornado.httpclient import AsyncHTTPClient
        from tornado.httpserver import HTTPServer
        from tornado.netutil import bind_sockets
        from twisted.internet.task import deferLater

        asyncio.set_event_loop_policy(TwistedEventLoopPolicy())
        THREADS, RUNS = 8, 50
        fds_before = fds()

        class Echo(tornado.web.RequestHandler):
            async def get(self):
                assert asyncio.get_running_loop().reactor is reactor
                self.write(await deferLater(reactor, 0, self.get_argument, "n"))

        async def fetch_with_streams(port, n):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(f"GET /?n={n} HTTP/1.0\\r\\n\\r\\n".encode())
            data = await reader.read()
            writer.close()
            await writer.wait_closed()
            head, _, body = data.partition(b"\\r\\n\\r\\n")
            assert b" 200 " in head.split(b"\\r\\n")[0], head
            return body.decode()

        async def one_run(port, n):
            loop = asyncio.get_running_loop()
            assert loop.reactor is not reactor, loop
            assert type(loop.reactor) is type(reactor), loop
            if n % 5:
                return await fetch_with_streams(port, n)
            client = AsyncHTTPClient(force_instance=True)
            try:
                response = await client.fetch(f"http://127.0.0.1:{port}/?n={n}")
            finally:
                client.close()
            return response.body.decode()

        def worker(port, index, results, errors, done):
            try:
                for run in range(RUNS):
                    n = index * RUNS + run
                    results.append(asyncio.run(one_run(port, n)) == str(n))
            except BaseException as e:
                errors.append(repr(e))
            finally:
                done()

        async def serve_while_threads_run():
            loop = asyncio.get_running_loop()
            assert loop.reactor is reactor
            [sock] = bind_sockets(0, "127.0.0.1")
            server = HTTPServer(tornado.web.Application([("/", Echo)]))
            server.add_sockets([sock])
            port = sock.getsockname()[1]
            finished = loop.create_future()
            remaining = [THREADS]

            def one_done():
                remaining[0] -= 1
                if not remaining[0]:
                    finished.set_result(None)

            def done():
                loop.call_soon_threadsafe(one_done)

            results, errors = [], []
            threads = [
                threading.Thread(target=worker, args=(port, i, results, errors, done))
                for i in range(THREADS)
            ]
            for thread in threads:
                thread.start()
            await finished
            for thread in threads:
                thread.join()
            server.stop()
            await server.close_all_connections()
            return results, errors

        if "MODE" == "driving":
            results, errors = asyncio.run(serve_while_threads_run())
        else:
            loop = asyncio.new_event_loop()
            outcome = []

            def finish(task):
                outcome.append(task)
                reactor.stop()

            def start():
                task = loop.create_task(serve_while_threads_run())
                task.add_done_callback(finish)

            reactor.callWhenRunning(start)
            reactor.run()
            loop.close()
            results, errors = outcome[0].result()
        print(json.dumps([
            len(results), results.count(True), errors, leaks(fds_before)
        ]))
    """

    def _threadsWhileServing(self, mode: str) -> None:
        report = self.runChild(self.THREADS_CHILD.replace("MODE", mode))
        self.assertEqual(  # type: ignore[attr-defined]
            report,
            [
                400,
                400,
                [],
                {"new_fds": [], "threads": 1, "open_loops": 0, "other_reactors": 0},
            ],
        )

    def test_threads_run_asyncio_while_main_loop_serves(self) -> None:
        """
        Under C{TwistedEventLoopPolicy()}, while the main loop (driving the
        global reactor, from C{asyncio.run()}) serves HTTP requests whose
        handlers run Twisted code on the global reactor, 8 threads each run
        C{asyncio.run()} 50 times, each run on a private reactor fetching
        from the main loop (with asyncio streams, or Tornado's client one
        time in five); every fetch gets its answer, and nothing is left
        afterwards.
        """
        self._threadsWhileServing("driving")

    def test_threads_run_asyncio_while_reactor_run_serves(self) -> None:
        """
        As L{test_threads_run_asyncio_while_main_loop_serves}, with the main
        loop hosted by C{reactor.run()}.
        """
        self._threadsWhileServing("hosted")


class MultiLoopEPollTests(_MultiLoopTests, SynchronousTestCase):
    reactorModule = "epollreactor"
    reactorClass = "EPollReactor"


class MultiLoopPollTests(_MultiLoopTests, SynchronousTestCase):
    reactorModule = "pollreactor"
    reactorClass = "PollReactor"


class MultiLoopSelectTests(_MultiLoopTests, SynchronousTestCase):
    reactorModule = "selectreactor"
    reactorClass = "SelectReactor"


class PrivateReactorTests(SynchronousTestCase):
    """
    L{_private_reactor}: the kind of reactor a loop gets when it cannot use
    the global one.
    """

    def test_same_poller(self) -> None:
        """
        For a poller (or a subclass), a new instance of its class.
        """

        class Custom(SelectReactor):
            pass

        for shared in (SelectReactor(), Custom()):
            private = _private_reactor(shared)
            self.addCleanup(dispose_reactor, private)
            self.addCleanup(dispose_reactor, shared)
            self.assertIs(type(private), type(shared))
            self.assertIsNot(private, shared)

    def test_other_reactor(self) -> None:
        """
        For another kind of reactor (a GUI one, one on another event
        loop), the platform's default poller.
        """
        private = _private_reactor(object())
        self.addCleanup(dispose_reactor, private)
        self.assertIs(type(private), EPollReactor)


class ClosedLoopFreedTests(SynchronousTestCase):
    """
    A closed loop leaves no reference cycle through its collaborators
    (hosting, signals, driver): it is freed as soon as it is dropped, with
    the cyclic garbage collector off, as Tornado's circlerefs_test expects
    of C{asyncio.run()}.
    """

    def test_freed_without_gc(self) -> None:
        import asyncio
        import gc
        import weakref

        from twisted.internet.pollreactor import PollReactor

        from txtornado.eventloop import TwistedEventLoop

        async def work() -> None:
            await asyncio.sleep(0)

        gc.collect()
        gc.disable()
        self.addCleanup(gc.enable)
        loop = TwistedEventLoop(reactor_factory=PollReactor)
        loop.run_until_complete(work())
        loop.close()
        ref = weakref.ref(loop)
        del loop
        self.assertIsNone(ref())
