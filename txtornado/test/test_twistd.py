"""
The C{twistd tornado} plugin, run for real: twistd in a child process,
requests from Tornado's HTTP client and Twisted's Agent (on a TornadoReactor
in this process), signals, log files and error messages.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

from tornado.httpclient import AsyncHTTPClient, HTTPResponse
from tornado.websocket import websocket_connect
from twisted.internet.endpoints import UNIXClientEndpoint
from twisted.trial.unittest import SynchronousTestCase
from twisted.web.client import Agent, readBody

from txtornado.endpoints import EndpointHTTPClient
from txtornado.futures import deferred_from_future, future_from_deferred
from txtornado.test._helpers import TWISTD_REACTORS, parametrize
from txtornado.test._subprocess import Child, binPath, run
from txtornado.test.reactors import tornadoAsyncioReactor

APP = "txtornado.test._twistd_app"


def twistd(*args: str, reactor: str | None = None) -> list[str]:
    """
    The command line of C{twistd -n [--reactor=R] tornado ARGS}.
    """
    head = [binPath("twistd"), "-n", "--pidfile="]
    if reactor:
        head.append(f"--reactor={reactor}")
    return [*head, "tornado", *args]


class _ClientMixin:
    """
    Run requests against the child from a TornadoReactor in this process.
    """

    addCleanup: Any
    assertEqual: Any

    def request(self, coroutine: Any) -> Any:
        reactor = tornadoAsyncioReactor()
        self.addCleanup(reactor.io_loop.close)
        result: list[Any] = []

        async def main() -> None:
            try:
                result.append(await coroutine(reactor))
            except BaseException as e:
                result.append(e)
            finally:
                reactor.stop()

        reactor.callWhenRunning(
            lambda: deferred_from_future(main(), reactor.io_loop.asyncio_loop)
        )
        timeout = reactor.callLater(30, reactor.stop)
        reactor.run(installSignalHandlers=False)
        if timeout.active():
            timeout.cancel()
        self.assertEqual(len(result), 1, "no response within 30 s")
        if isinstance(result[0], BaseException):
            raise result[0]
        return result[0]


def _servingURL(child: Child) -> str:
    line = child.readUntil("Tornado application serving on")
    return line.rsplit(" ", 1)[-1].strip()


class ServeTests(_ClientMixin, SynchronousTestCase):
    """
    Serving on TCP and UNIX endpoints, on both reactors.
    """

    def _serve(self, reactor: str | None) -> None:
        # AF_UNIX paths are short (108 bytes): not under the test's mktemp.
        directory = Path(tempfile.mkdtemp(prefix="txt-"))
        self.addCleanup(shutil.rmtree, directory, True)
        sock = directory / "app.sock"
        child = Child(
            twistd(
                "--app",
                f"{APP}:make_app",
                "--setting",
                "greeting=hey",
                "--listen",
                "tcp:0:interface=127.0.0.1",
                "--listen",
                f"unix:{sock}",
                reactor=reactor,
            )
        )
        tcpURL = _servingURL(child)
        unixLine = child.readUntil("Tornado application serving on unix:")
        self.assertIn(str(sock), unixLine)

        async def fetchAll(r: Any) -> list[bytes]:
            bodies = []
            agent = Agent(r)
            response = await future_from_deferred(
                agent.request(b"GET", tcpURL.encode())
            )
            with warnings.catch_warnings():
                # Twisted's own client warns here on every reactor.
                warnings.simplefilter("ignore", DeprecationWarning)
                bodies.append(await future_from_deferred(readBody(response)))
            tornadoResponse: HTTPResponse = await AsyncHTTPClient().fetch(tcpURL)
            bodies.append(tornadoResponse.body)
            unixClient = EndpointHTTPClient(
                force_instance=True,
                endpoint_factory=lambda host, port: UNIXClientEndpoint(r, str(sock)),
            )
            unixResponse = await unixClient.fetch("http://app/")
            bodies.append(unixResponse.body)
            unixClient.close()
            return bodies

        bodies = self.request(fetchAll)
        child.process.send_signal(signal.SIGTERM)
        code, output = child.finish()
        # Over a UNIX socket Tornado's own HTTPServer reports 0.0.0.0.
        self.assertEqual(
            bodies,
            [
                b"hey from 127.0.0.1 http",
                b"hey from 127.0.0.1 http",
                b"hey from 0.0.0.0 http",
            ],
        )
        self.assertEqual(code, 0, output)
        self.assertFalse(sock.exists(), "the UNIX socket was not removed")

    def test_defaultReactor(self) -> None:
        """
        On twistd's default reactor (Tornado on a TwistedIOLoop), the app
        answers on TCP and on a UNIX socket, to Twisted's Agent and
        Tornado's client; SIGTERM ends twistd with status 0.
        """
        self._serve(None)

    def test_tornadoReactor(self) -> None:
        """
        The same with C{--reactor=tornado}.
        """
        self._serve("tornado")


class ShutdownTests(_ClientMixin, SynchronousTestCase):
    """
    SIGTERM with a request in flight.
    """

    def test_slowRequestFinishes(self) -> None:
        """
        A request in flight when SIGTERM arrives completes; twistd then
        exits 0, well within the shutdown timeout; new connections are
        refused at once.
        """
        child = Child(
            twistd(
                "--app",
                f"{APP}:make_app",
                "--listen",
                "tcp:0:interface=127.0.0.1",
                "--shutdown-timeout",
                "20",
            )
        )
        url = _servingURL(child)
        port = int(url.rsplit(":", 1)[1].strip("/"))
        events: list[str] = []

        async def slow(r: Any) -> bytes:
            client = AsyncHTTPClient()
            chunks: list[bytes] = []

            def onChunk(chunk: bytes) -> None:
                chunks.append(chunk)
                if len(chunks) == 1:
                    # The request is in flight: stop the server.
                    events.append("started")
                    child.process.send_signal(signal.SIGTERM)

            await client.fetch(
                url + "slow?seconds=1", streaming_callback=onChunk, request_timeout=30
            )
            return b"".join(chunks)

        body = self.request(slow)
        code, output = child.finish()
        self.assertEqual(events, ["started"])
        self.assertEqual(body, b"slow started\nslow done")
        self.assertEqual(code, 0, output)
        with socket.socket() as s:
            self.assertNotEqual(s.connect_ex(("127.0.0.1", port)), 0)
        self.assertNotIn("were closed", output)


class LogTests(_ClientMixin, SynchronousTestCase):
    """
    Tornado's logs in twistd's log file.
    """

    def test_accessLineInLogFile(self) -> None:
        """
        C{--logfile} gets exactly one access line per request, from
        Tornado's C{tornado.access} logger, at the request's level.  (The
        socket is handed over by systemd-style socket activation, so it
        accepts before twistd has even started.)
        """
        logfile = Path(self.mktemp() + ".log").absolute()
        listening = socket.socket()
        self.addCleanup(listening.close)
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        url = f"http://127.0.0.1:{listening.getsockname()[1]}/"
        child = Child(
            [
                binPath("twistd"),
                "-n",
                "--pidfile=",
                f"--logfile={logfile}",
                "tornado",
                "--app",
                f"{APP}:make_app",
                "--listen",
                "systemd:domain=INET:index=0",
            ],
            listening=listening,
        )

        async def twice(r: Any) -> None:
            client = AsyncHTTPClient()
            await client.fetch(url)
            await client.fetch(url + "missing", raise_error=False)

        self.request(twice)
        child.process.send_signal(signal.SIGTERM)
        code, output = child.finish()
        self.assertEqual(code, 0, output)
        lines = logfile.read_text().splitlines()
        access = [line for line in lines if "[tornado.access#" in line]
        self.assertEqual(len(access), 2, lines)
        self.assertIn("200 GET / (127.0.0.1)", access[0])
        self.assertIn("[tornado.access#info]", access[0])
        self.assertIn("404 GET /missing (127.0.0.1)", access[1])
        self.assertIn("[tornado.access#warn]", access[1])


class _ErrorTests:
    """
    Mistakes a user can make end twistd with one line naming the problem
    and exit status 1.
    """

    reactor: str | None = None

    def assertOneLineError(self, args: list[str], expected: str) -> None:
        result = run(twistd(*args, reactor=self.reactor), timeout=60)
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        everything = result.stdout + result.stderr
        self.assertNotIn("Traceback", everything)
        matching = [line for line in everything.splitlines() if expected in line]
        self.assertEqual(len(matching), 1, everything)

    def test_missingModule(self) -> None:
        """
        An --app module that does not exist.
        """
        self.assertOneLineError(
            ["--app", "no.such.module:app"],
            "--app no.such.module:app: cannot import no.such.module",
        )

    def test_missingName(self) -> None:
        """
        An --app name the module lacks.
        """
        self.assertOneLineError(
            ["--app", f"{APP}:nothing"], f"module {APP} has no 'nothing'"
        )

    def test_notAnApplication(self) -> None:
        """
        An --app that is neither an Application nor callable.
        """
        self.assertOneLineError(
            ["--app", f"{APP}:not_an_app"],
            "42 is neither a tornado.web.Application nor a callable",
        )

    def test_badEndpoint(self) -> None:
        """
        A --listen string Twisted cannot parse.
        """
        self.assertOneLineError(
            ["--app", f"{APP}:make_app", "--listen", "bogus:1"],
            "cannot listen on bogus:1: Unknown endpoint type: 'bogus'",
        )

    def test_noSystemdSocket(self) -> None:
        """
        A systemd endpoint without an inherited socket.
        """
        self.assertOneLineError(
            ["--app", f"{APP}:make_app", "--listen", "systemd:domain=INET:index=0"],
            "cannot listen on systemd:domain=INET:index=0: IndexError",
        )

    def test_portInUse(self) -> None:
        """
        A busy port is named in the error.
        """
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen()
            port = busy.getsockname()[1]
            self.assertOneLineError(
                [
                    "--app",
                    f"{APP}:make_app",
                    "--listen",
                    f"tcp:{port}:interface=127.0.0.1",
                ],
                f"cannot listen on tcp:{port}:interface=127.0.0.1: Couldn't listen on "
                f"127.0.0.1:{port}: [Errno 98] Address already in use",
            )

    def test_factoryFails(self) -> None:
        """
        A factory that raises (in the running reactor) is logged and twistd
        exits with status 1.
        """
        result = run(
            twistd(
                "--app",
                f"{APP}:broken_factory",
                "--listen",
                "tcp:0:interface=127.0.0.1",
                reactor=self.reactor,
            ),
            timeout=60,
        )
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assertIn("txtornado: could not make the application", result.stdout)
        self.assertIn("RuntimeError: the factory failed", result.stdout)


class DemoTests(_ClientMixin, SynchronousTestCase):
    """
    C{python -m txtornado.demo}, the README's first command: the demo app
    under C{twistd tornado}.
    """

    def _demo(self, *twistdOptions: str) -> None:
        child = Child(
            [
                sys.executable,
                "-m",
                "txtornado.demo",
                *twistdOptions,
                "tornado",
                "--app",
                "txtornado.demo:make_app",
                "--listen",
                "tcp:0:interface=127.0.0.1",
                "--setting",
                "twisted_endpoint=tcp:0:interface=127.0.0.1",
            ]
        )
        twistedURL = child.readUntil("twisted.web site on").split()[-1]
        url = _servingURL(child)

        async def visit(r: Any) -> tuple[str, str, str]:
            page = (await AsyncHTTPClient().fetch(url)).body.decode()
            twistedPage = (await AsyncHTTPClient().fetch(twistedURL)).body.decode()
            ws = await websocket_connect(url.replace("http", "ws") + "ws")
            await ws.write_message("ping")
            echo = await ws.read_message()
            ws.close()
            return page, twistedPage, str(echo)

        page, twistedPage, echo = self.request(visit)
        child.process.send_signal(signal.SIGTERM)
        code, output = child.finish()
        self.assertIn("<h1>Hello from Tornado</h1>", page)
        self.assertIn("Twisted said: <b>Hello from twisted.web</b>", page)
        self.assertEqual(twistedPage, "Hello from twisted.web")
        self.assertTrue(echo.startswith("echo ping at "), echo)
        self.assertEqual(code, 0, output)

    def test_demo(self) -> None:
        """
        On twistd's default reactor: the Tornado page shows what the
        twisted.web site said, the websocket echoes, SIGTERM exits 0.
        """
        self._demo()

    def test_demoOnTornadoReactor(self) -> None:
        """
        The same with C{--reactor=tornado}.
        """
        self._demo("--reactor=tornado")


_MYAPP = """
import tornado.web


class Main(tornado.web.RequestHandler):
    def get(self):
        self.write("myapp here")

    def post(self):
        self.write(f"got {len(self.request.body)} bytes")


def make_app(debug=False):
    return tornado.web.Application([(r"/", Main)], debug=debug)


app = make_app()
"""


def _writeApp(test: SynchronousTestCase) -> Path:
    """
    A directory holding C{myapp.py}, a module not importable otherwise.
    """
    directory = Path(test.mktemp()).absolute()
    directory.mkdir()
    (directory / "myapp.py").write_text(_MYAPP)
    return directory


class _BothReactorsMixin(_ClientMixin):
    """
    Serve with the given arguments on one reactor, make requests, stop.
    """

    reactor: str | None = None

    def serveAndFetch(
        self,
        args: list[str],
        requests: list[tuple[str, bytes | None]],
        cwd: Path | None = None,
    ) -> list[tuple[int, bytes]]:
        """
        Run C{twistd tornado ARGS --listen tcp:0:...} in C{cwd}, make each
        (path, POST body or None) request, SIGTERM it, and check it exits 0.

        @return: the (status, body) of each response.
        """
        child = Child(
            twistd(
                *args, "--listen", "tcp:0:interface=127.0.0.1", reactor=self.reactor
            ),
            cwd=cwd,
        )
        url = _servingURL(child)

        async def fetchAll(r: Any) -> list[tuple[int, bytes]]:
            client = AsyncHTTPClient()
            answers = []
            for path, body in requests:
                response = await client.fetch(
                    url + path.lstrip("/"),
                    method="GET" if body is None else "POST",
                    body=body,
                    raise_error=False,
                )
                answers.append((response.code, response.body))
            return answers

        try:
            answers = self.request(fetchAll)
        finally:
            child.process.send_signal(signal.SIGTERM)
            code, output = child.finish()
        self.assertEqual(code, 0, output)
        return answers

    def assertOneLineError(
        self, args: list[str], expected: str, cwd: Path | None = None
    ) -> None:
        """
        twistd ends with status 1 and prints C{expected} on one line, and no
        traceback.
        """
        result = run(twistd(*args, reactor=self.reactor), timeout=60, cwd=cwd)
        everything = result.stdout + result.stderr
        self.assertEqual(result.returncode, 1, everything)
        self.assertNotIn("Traceback", everything)
        matching = [line for line in everything.splitlines() if expected in line]
        self.assertEqual(len(matching), 1, everything)


class _AppDirTests(_BothReactorsMixin):
    """
    C{--app} modules are found in the current directory and C{--app-dir}.
    """

    def test_currentDirectory(self) -> None:
        """
        Run in the app's own directory, C{--app myapp:make_app} imports
        C{myapp.py} there (as uvicorn and gunicorn do), with no PYTHONPATH.
        """
        directory = _writeApp(self)
        answers = self.serveAndFetch(
            ["--app", "myapp:make_app"], [("/", None)], cwd=directory
        )
        self.assertEqual(answers, [(200, b"myapp here")])

    def test_appDir(self) -> None:
        """
        C{--app-dir DIR} puts DIR first on the path, from anywhere.
        """
        directory = _writeApp(self)
        answers = self.serveAndFetch(
            ["--app-dir", str(directory), "--app", "myapp:app"], [("/", None)]
        )
        self.assertEqual(answers, [(200, b"myapp here")])

    def test_missingAppDir(self) -> None:
        """
        A C{--app-dir} that does not exist is named in one line.
        """
        missing = Path(self.mktemp()).absolute()
        self.assertOneLineError(
            ["--app-dir", str(missing), "--app", "myapp:app"],
            f"--app-dir {missing}: no such directory",
        )


class _SettingErrorTests(_BothReactorsMixin):
    """
    C{--setting}s that cannot be passed end twistd with one line, before
    it binds anything.
    """

    def test_settingForInstance(self) -> None:
        """
        Settings for an Application object (not a factory).
        """
        self.assertOneLineError(
            ["--app", f"{APP}:application", "--setting", "x=1"],
            f"--app {APP}:application: --setting: settings can only be passed to "
            "a factory, not to an Application instance (given: x)",
        )

    def test_unknownSetting(self) -> None:
        """
        A setting the factory takes no parameter for.
        """
        self.assertOneLineError(
            ["--app", f"{APP}:broken_factory", "--setting", "colour=red"],
            "takes no setting colour",
        )


class _ServerOptionTests(_BothReactorsMixin):
    """
    Every HTTPServer option given takes effect, 0 included, or is refused.
    """

    def test_maxBodySizeZero(self) -> None:
        """
        C{--max-body-size 0}: a 100-byte POST is refused (400, as Tornado's
        own C{max_body_size=0}), an empty one is served.
        """
        directory = _writeApp(self)
        answers = self.serveAndFetch(
            ["--app-dir", str(directory), "--app", "myapp:app", "--max-body-size", "0"],
            [("/", b"x" * 100), ("/", b"")],
        )
        self.assertEqual([code for code, _ in answers], [400, 200])
        self.assertEqual(answers[1][1], b"got 0 bytes")

    def test_maxHeaderSizeZero(self) -> None:
        """
        C{--max-header-size 0} would be read by Tornado as its default: it
        is refused.
        """
        self.assertOneLineError(
            ["--app", f"{APP}:make_app", "--max-header-size", "0"],
            "--max-header-size must be greater than 0, not 0 (Tornado reads 0 as "
            "its default, 64 KiB)",
        )

    def test_idleTimeoutZero(self) -> None:
        """
        C{--idle-connection-timeout 0} likewise.
        """
        self.assertOneLineError(
            ["--app", f"{APP}:make_app", "--idle-connection-timeout", "0"],
            "--idle-connection-timeout must be greater than 0, not 0.0",
        )

    def test_negative(self) -> None:
        """
        Negative sizes and timeouts are refused.
        """
        self.assertOneLineError(
            ["--app", f"{APP}:make_app", "--max-body-size", "-1"],
            "--max-body-size must be at least 0, not -1",
        )
        self.assertOneLineError(
            ["--app", f"{APP}:make_app", "--shutdown-timeout", "-1"],
            "--shutdown-timeout must be at least 0, not -1.0",
        )


class _DemoCommandTests(_ClientMixin):
    """
    C{python -m txtornado.demo} with no C{tornado} argument: its own help,
    and a free port when 8888 is busy.
    """

    reactor: str | None = None

    def test_help(self) -> None:
        """
        C{--help} is the demo's, not twistd's.
        """
        result = run([sys.executable, "-m", "txtornado.demo", "--help"], timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertTrue(
            result.stdout.startswith("usage: python -m txtornado.demo"), result.stdout
        )
        self.assertIn("--port PORT", result.stdout)
        self.assertNotIn("twistd reads a twisted.application", result.stdout)

    def test_busyDefaultPort(self) -> None:
        """
        With 8888 taken (Jupyter's port), the demo says so, serves on a
        free port, and the page works.
        """
        busy = socket.socket()
        self.addCleanup(busy.close)
        try:
            busy.bind(("127.0.0.1", 8888))
            busy.listen()
        except OSError:
            pass  # busy already: the case under test
        args = [sys.executable, "-m", "txtornado.demo"]
        if self.reactor:
            args.append(f"--reactor={self.reactor}")
        child = Child(args)
        note = child.readUntil("port 8888 is busy")
        self.assertIn("takes a free port instead", note)
        url = _servingURL(child)
        self.assertNotIn(":8888/", url)

        async def visit(r: Any) -> str:
            return str((await AsyncHTTPClient().fetch(url)).body.decode())

        page = self.request(visit)
        child.process.send_signal(signal.SIGTERM)
        code, output = child.finish()
        self.assertIn("Twisted said: <b>Hello from twisted.web</b>", page)
        self.assertEqual(code, 0, output)

    def test_explicitPortBusy(self) -> None:
        """
        A C{--port} asked for and busy is one line, exit 1.
        """
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen()
            port = busy.getsockname()[1]
            result = run(
                [sys.executable, "-m", "txtornado.demo", "--port", str(port)],
                timeout=60,
            )
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertEqual(
            result.stderr.strip(),
            f"txtornado.demo: port {port} is busy; pick another --port",
        )


class _WebsocketShutdownTests(_ClientMixin):
    """
    Stopping with a websocket open, and a second signal during the drain.
    """

    reactor: str | None = None

    def test_websocketGetsCloseFrame(self) -> None:
        """
        On SIGINT an open websocket gets a close frame with code 1001
        (going away), the handler's C{on_close} runs, and twistd exits 0
        without waiting for the (long) shutdown timeout.
        """
        child = Child(
            twistd(
                "--app",
                f"{APP}:make_app",
                "--listen",
                "tcp:0:interface=127.0.0.1",
                "--shutdown-timeout",
                "50",
                reactor=self.reactor,
            )
        )
        url = _servingURL(child)

        async def hold(r: Any) -> tuple[str, Any, Any, str | None]:
            ws = await websocket_connect(url.replace("http", "ws") + "ws")
            await ws.write_message("ping")
            echo = await ws.read_message()
            child.process.send_signal(signal.SIGINT)
            last = await ws.read_message()
            return str(echo), last, ws.close_code, ws.close_reason

        echo, last, code, reason = self.request(hold)
        exitCode, output = child.finish()
        self.assertEqual((echo, last, code, reason), ("ping", None, 1001, "going away"))
        self.assertIn("websocket closed by 1001", output)
        self.assertNotIn("still busy", output)
        self.assertEqual(exitCode, 0, output)

    def test_secondSignalEndsAtOnce(self) -> None:
        """
        A second SIGTERM during the drain aborts what is still open: twistd
        ends at once (well before the 50 s timeout), by the signal, with no
        traceback.
        """
        child = Child(
            twistd(
                "--app",
                f"{APP}:make_app",
                "--listen",
                "tcp:0:interface=127.0.0.1",
                "--shutdown-timeout",
                "50",
                reactor=self.reactor,
            ),
            deadline=40,
        )
        url = _servingURL(child)
        port = int(url.rsplit(":", 1)[1].strip("/"))
        with socket.create_connection(("127.0.0.1", port), timeout=30) as client:
            client.sendall(b"GET /slow?seconds=45 HTTP/1.1\r\nHost: x\r\n\r\n")
            received = b""
            while b"slow started" not in received:
                chunk = client.recv(4096)
                self.assertTrue(chunk, received)
                received += chunk
            child.process.send_signal(signal.SIGTERM)
            child.readUntil("Stopping: 1 connection(s) open")
            child.process.send_signal(signal.SIGTERM)
            try:
                while chunk:
                    chunk = client.recv(4096)
                    received += chunk
            except ConnectionResetError:
                pass
        exitCode, output = child.finish()
        self.assertNotIn(b"slow done", received)
        self.assertIn("1 connection(s) aborted at once", output)
        self.assertNotIn("Traceback", output)
        self.assertNotIn("ReactorNotRunning", output)
        # Killed at the deadline (40 s) would be -9.
        self.assertEqual(exitCode, -signal.SIGTERM, output)


class _ReloadTests(_ClientMixin):
    """
    Development reload: Tornado's autoreload re-executes twistd, which
    starts again cleanly (with its default pid file).
    """

    reactor: str | None = None

    def _reload(self, *options: str) -> None:
        directory = _writeApp(self)
        source = directory / "myapp.py"
        args = [binPath("twistd"), "-n"]
        if self.reactor:
            args.append(f"--reactor={self.reactor}")
        args += ["tornado", "--app", "myapp:make_app", *options]
        args += ["--listen", "tcp:0:interface=127.0.0.1"]
        child = Child(args, cwd=directory)
        child.readUntil("Reload: watching")
        before = _servingURL(child)
        self.assertTrue((directory / "twistd.pid").exists())

        async def get(url: str) -> bytes:
            return bytes((await AsyncHTTPClient().fetch(url)).body)

        async def edit(r: Any) -> tuple[bytes, bytes]:
            first = await get(before)
            source.write_text(_MYAPP.replace("myapp here", "myapp reloaded"))
            stat = source.stat()
            # A later mtime than the one recorded (and the .pyc's).
            os.utime(source, (stat.st_atime, stat.st_mtime + 10))
            child.readUntil("myapp.py changed, restarting")
            after = _servingURL(child)
            return first, await get(after)

        first, second = self.request(edit)
        child.process.send_signal(signal.SIGTERM)
        code, output = child.finish()
        self.assertEqual((first, second), (b"myapp here", b"myapp reloaded"))
        self.assertNotIn("Another twistd server is running", output)
        self.assertEqual(code, 0, output)
        self.assertFalse((directory / "twistd.pid").exists())

    def test_reloadFlag(self) -> None:
        """
        C{--reload}: editing the app's module restarts twistd, which
        serves the new code.
        """
        self._reload("--reload")

    def test_debugSetting(self) -> None:
        """
        C{--setting debug=true} (the app's own autoreload) likewise.
        """
        self._reload("--setting", "debug=true")

    def test_reloadNeedsNodaemon(self) -> None:
        """
        C{--reload} without C{twistd -n} is refused in one line.
        """
        args = [binPath("twistd"), "--pidfile="]
        if self.reactor:
            args.append(f"--reactor={self.reactor}")
        result = run([*args, "tornado", "--app", f"{APP}:make_app", "--reload"])
        everything = result.stdout + result.stderr
        self.assertEqual(result.returncode, 1, everything)
        self.assertNotIn("Traceback", everything)
        self.assertEqual(
            [line for line in everything.splitlines() if "--reload" in line],
            ["twistd tornado: --reload needs twistd -n (--nodaemon)"],
        )


parametrize(globals(), _ErrorTests, TWISTD_REACTORS)
parametrize(globals(), _AppDirTests, TWISTD_REACTORS)
parametrize(globals(), _SettingErrorTests, TWISTD_REACTORS)
parametrize(globals(), _ServerOptionTests, TWISTD_REACTORS)
parametrize(globals(), _DemoCommandTests, TWISTD_REACTORS)
parametrize(globals(), _WebsocketShutdownTests, TWISTD_REACTORS)
parametrize(globals(), _ReloadTests, TWISTD_REACTORS)
