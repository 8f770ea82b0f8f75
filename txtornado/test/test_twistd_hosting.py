"""
The production options of C{twistd tornado} (TLS, proxies, limits, static
files, logging), run for real: twistd in a child process on both reactors,
real clients (Python's C{ssl} with ALPN, curl, plain sockets).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from txtornado.test._helpers import TWISTD_REACTORS, parametrize
from txtornado.test._subprocess import ROOT, Child, binPath, run
from txtornado.test.test_endpoints import certificates
from txtornado.test.test_twistd import APP, _servingURL, _writeApp, twistd


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1].strip("/"))


def rawRequest(
    port: int,
    request: bytes,
    context: ssl.SSLContext | None = None,
    alpn: list[str] | None = None,
    source: str | None = None,
    unix: str | None = None,
) -> tuple[str | None, bytes]:
    """
    Send C{request} to 127.0.0.1:C{port} (over TLS with C{context}, offering
    C{alpn}; from the address C{source}; or to the UNIX socket C{unix}) and
    read until the server closes.

    @return: the ALPN protocol the server chose (C{None} without TLS or
        without a choice) and everything the server sent.
    """
    if unix is not None:
        plain = socket.socket(socket.AF_UNIX)
        plain.settimeout(30)
        plain.connect(unix)
    else:
        plain = socket.create_connection(
            ("127.0.0.1", port),
            timeout=30,
            source_address=None if source is None else (source, 0),
        )
    with plain:
        sock: Any = plain
        chosen = None
        if context is not None:
            if alpn is not None:
                context.set_alpn_protocols(alpn)
            sock = context.wrap_socket(plain, server_hostname="localhost")
            chosen = sock.selected_alpn_protocol()
        sock.sendall(request)
        received = b""
        while True:
            data = sock.recv(65536)
            if not data:
                break
            received += data
        return chosen, received


def get(path: str = "/", headers: dict[str, str] | None = None) -> bytes:
    """
    An HTTP/1.1 GET asking the server to close the connection after it.
    """
    lines = [f"GET {path} HTTP/1.1", "Host: localhost", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def body(response: bytes) -> bytes:
    return response.partition(b"\r\n\r\n")[2]


def status(response: bytes) -> int:
    return int(response.split(b" ", 2)[1])


class _HostingMixin:
    """
    Run C{twistd tornado} with options on one reactor; one-line errors.
    """

    reactor: str | None = None
    addCleanup: Any
    assertEqual: Any
    assertNotIn: Any

    def serve(self, *args: str, listen: str = "tcp:0:interface=127.0.0.1") -> Child:
        """
        Start twistd with C{args} and one C{--listen}; wait until it serves.
        The child is stopped (SIGTERM, exit status 0 checked) at cleanup.
        """
        child = Child(
            twistd(*args, "--listen", listen, reactor=self.reactor), deadline=90
        )
        self.addCleanup(self._stop, child)
        child.url = _servingURL(child)  # type: ignore[attr-defined]
        return child

    def _stop(self, child: Child) -> None:
        if child.process.poll() is None:
            child.process.send_signal(signal.SIGTERM)
        code, output = child.finish()
        self.assertEqual(code, 0, output)

    def assertOneLineError(self, args: list[str], expected: str) -> None:
        """
        twistd ends with status 1 and prints C{expected} on one line, and no
        traceback.
        """
        result = run(twistd(*args, reactor=self.reactor), timeout=60)
        everything = result.stdout + result.stderr
        self.assertEqual(result.returncode, 1, everything)
        self.assertNotIn("Traceback", everything)
        matching = [line for line in everything.splitlines() if expected in line]
        self.assertEqual(len(matching), 1, everything)


class _TLSTests(_HostingMixin):
    """
    C{--tls-cert}, C{--tls-key}, C{--tls-ca}: TLS on the C{--listen}
    endpoints, ALPN C{http/1.1}, client certificates required with a CA.
    """

    def clientContext(self, withCertificate: bool = False) -> ssl.SSLContext:
        certs = certificates()
        context = ssl.create_default_context(cafile=certs.ca)
        if withCertificate:
            context.load_cert_chain(certs.client_cert, certs.client_key)
        return context

    def test_alpnAndHTTPS(self) -> None:
        """
        A Python ssl client offering C{h2} and C{http/1.1} gets C{http/1.1}
        and an https request; one offering only C{h2} gets no protocol and
        is still served (as Tornado's own servers do); the log line names
        an https URL.
        """
        certs = certificates()
        child = self.serve(
            "--app",
            f"{APP}:make_app",
            "--tls-cert",
            certs.server_cert,
            "--tls-key",
            certs.server_key,
        )
        url: str = child.url  # type: ignore[attr-defined]
        self.assertEqual(url.split(":")[0], "https")
        port = _port(url)
        chosen, response = rawRequest(
            port, get(), self.clientContext(), ["h2", "http/1.1"]
        )
        self.assertEqual(chosen, "http/1.1")
        self.assertEqual(body(response), b"hello from 127.0.0.1 https")
        chosen, response = rawRequest(port, get(), self.clientContext(), ["h2"])
        self.assertEqual(chosen, None)
        self.assertEqual(status(response), 200)

    def test_curl(self) -> None:
        """
        curl, verifying the server against the test CA, gets the page over
        HTTP/1.1.
        """
        curl = shutil.which("curl")
        if curl is None:
            self.fail("curl is not installed (the Debian package curl)")
        certs = certificates()
        child = self.serve(
            "--app",
            f"{APP}:make_app",
            "--tls-cert",
            certs.server_cert,
            "--tls-key",
            certs.server_key,
        )
        port = _port(child.url)  # type: ignore[attr-defined]
        result = subprocess.run(
            [
                curl,
                "-sS",
                "--cacert",
                certs.ca,
                "-w",
                " %{http_version}",
                f"https://localhost:{port}/",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout, "hello from 127.0.0.1 https 1.1")

    def test_clientCertificateRequired(self) -> None:
        """
        With C{--tls-ca}, a client with a certificate signed by that CA is
        served; one without any gets no response.
        """
        certs = certificates()
        child = self.serve(
            "--app",
            f"{APP}:make_app",
            "--tls-cert",
            certs.server_cert,
            "--tls-key",
            certs.server_key,
            "--tls-ca",
            certs.ca,
        )
        port = _port(child.url)  # type: ignore[attr-defined]
        _, response = rawRequest(port, get(), self.clientContext(True), ["http/1.1"])
        self.assertEqual(body(response), b"hello from 127.0.0.1 https")
        try:
            _, response = rawRequest(port, get(), self.clientContext(), ["http/1.1"])
        except (ssl.SSLError, ConnectionResetError, BrokenPipeError):
            response = b""
        self.assertEqual(response, b"")

    def test_keyWithoutCertificate(self) -> None:
        """
        C{--tls-key} (or C{--tls-ca}) without C{--tls-cert}.
        """
        certs = certificates()
        self.assertOneLineError(
            ["--app", f"{APP}:make_app", "--tls-key", certs.server_key],
            "--tls-key needs --tls-cert",
        )
        self.assertOneLineError(
            ["--app", f"{APP}:make_app", "--tls-ca", certs.ca],
            "--tls-ca needs --tls-cert",
        )

    def test_certificateWithoutKey(self) -> None:
        """
        C{--tls-cert} without C{--tls-key}.
        """
        self.assertOneLineError(
            ["--app", f"{APP}:make_app", "--tls-cert", certificates().server_cert],
            "--tls-cert needs --tls-key (the certificate's private key)",
        )

    def test_missingFile(self) -> None:
        """
        A C{--tls-*} file that does not exist.
        """
        missing = str(Path(self.mktemp()).absolute())
        self.assertOneLineError(
            [
                "--app",
                f"{APP}:make_app",
                "--tls-cert",
                certificates().server_cert,
                "--tls-key",
                missing,
            ],
            f"--tls-key {missing}: no such file",
        )

    def test_sslEndpoint(self) -> None:
        """
        TLS options with an C{ssl:} endpoint (TLS already) are refused.
        """
        certs = certificates()
        endpoint = certs.ssl_endpoint()
        self.assertOneLineError(
            [
                "--app",
                f"{APP}:make_app",
                "--listen",
                endpoint,
                "--tls-cert",
                certs.server_cert,
                "--tls-key",
                certs.server_key,
            ],
            f"--tls-cert applies TLS to every --listen endpoint; {endpoint} is TLS "
            "already",
        )

    def test_notACertificate(self) -> None:
        """
        A C{--tls-cert} file that holds no certificate is named when
        twistd binds.
        """
        notPEM = Path(self.mktemp()).absolute()
        notPEM.write_text("not a certificate\n")
        self.assertOneLineError(
            [
                "--app",
                f"{APP}:make_app",
                "--listen",
                "tcp:0:interface=127.0.0.1",
                "--tls-cert",
                str(notPEM),
                "--tls-key",
                certificates().server_key,
            ],
            "cannot listen on tcp:0:interface=127.0.0.1:",
        )


FORWARDED = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}


class _ForwardedTests(_HostingMixin):
    """
    C{--xheaders} and C{--forwarded-allow-ips}: proxy headers believed from
    listed peers only (by default 127.0.0.1).  Connections come from
    127.0.0.1 or from 127.0.0.2 (loopback too, on Linux).
    """

    def answers(self, *args: str) -> list[bytes]:
        """
        The bodies twistd with C{args} sends to a request with proxy headers
        from 127.0.0.1 and from 127.0.0.2.
        """
        child = self.serve("--app", f"{APP}:make_app", *args)
        port = _port(child.url)  # type: ignore[attr-defined]
        return [
            body(rawRequest(port, get(headers=FORWARDED), source=source)[1])
            for source in ("127.0.0.1", "127.0.0.2")
        ]

    def test_xheadersTrustsLoopbackOnly(self) -> None:
        """
        C{--xheaders} alone believes 127.0.0.1 (the default list) and no
        other peer: 127.0.0.2's headers are ignored.
        """
        self.assertEqual(
            self.answers("--xheaders"),
            [b"hello from 203.0.113.7 https", b"hello from 127.0.0.2 http"],
        )

    def test_allowList(self) -> None:
        """
        A list of a network and an address believes exactly those peers
        (and implies C{--xheaders}).
        """
        self.assertEqual(
            self.answers("--forwarded-allow-ips", "10.0.0.0/8,127.0.0.2"),
            [b"hello from 127.0.0.1 http", b"hello from 203.0.113.7 https"],
        )

    def test_everyone(self) -> None:
        """
        C{*} believes every peer.
        """
        self.assertEqual(
            self.answers("--forwarded-allow-ips", "*"),
            [b"hello from 203.0.113.7 https"] * 2,
        )

    def test_withoutXheaders(self) -> None:
        """
        Without either option the headers are ignored, from 127.0.0.1 too.
        """
        self.assertEqual(
            self.answers(),
            [b"hello from 127.0.0.1 http", b"hello from 127.0.0.2 http"],
        )

    def test_unixPeers(self) -> None:
        """
        Peers on a UNIX socket are believed only with C{unix} in the list.
        """
        directory = Path(tempfile.mkdtemp(prefix="txt-"))
        self.addCleanup(shutil.rmtree, directory, True)
        answers = []
        for allowed in ("127.0.0.1", "unix"):
            sock = directory / f"{allowed}.sock"
            self.serve(
                "--app",
                f"{APP}:make_app",
                "--forwarded-allow-ips",
                allowed,
                listen=f"unix:{sock}",
            )
            answers.append(
                body(rawRequest(0, get(headers=FORWARDED), unix=str(sock))[1])
            )
        self.assertEqual(
            answers, [b"hello from 0.0.0.0 http", b"hello from 203.0.113.7 https"]
        )

    def test_badEntry(self) -> None:
        """
        An entry that is no address or network is named in one line.
        """
        self.assertOneLineError(
            ["--app", f"{APP}:make_app", "--forwarded-allow-ips", "127.0.0.1,proxy"],
            "--forwarded-allow-ips: 'proxy' is not an IP address, a network (CIDR), "
            "'*' or 'unix'",
        )


class _LimitConcurrencyTests(_HostingMixin):
    """
    C{--limit-concurrency N}: beyond N requests in flight, 503 at once.
    """

    def test_beyondLimit(self) -> None:
        """
        With one request held in flight and a limit of 1, the next request
        is answered 503; once the held one's client goes away the place is
        free and requests are served again.
        """
        child = self.serve("--app", f"{APP}:make_app", "--limit-concurrency", "1")
        port = _port(child.url)  # type: ignore[attr-defined]
        with socket.create_connection(("127.0.0.1", port), timeout=30) as held:
            held.sendall(get("/hold"))
            first = b""
            while b"held\n" not in first:
                data = held.recv(65536)
                self.assertTrue(data, first)
                first += data
            _, refused = rawRequest(port, get())
            self.assertEqual(status(refused), 503)
            self.assertEqual(body(refused), b"Service Unavailable\n")
        child.readUntil("hold closed")
        _, served = rawRequest(port, get())
        self.assertEqual(body(served), b"hello from 127.0.0.1 http")

    def test_sequentialRequestsWithinLimit(self) -> None:
        """
        Requests one after another on one keep-alive connection each free
        their place when answered: a limit of 1 serves them all.
        """
        child = self.serve("--app", f"{APP}:make_app", "--limit-concurrency", "1")
        port = _port(child.url)  # type: ignore[attr-defined]
        keepAlive = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"
        _, response = rawRequest(port, keepAlive * 3 + get())
        self.assertEqual(response.count(b"HTTP/1.1 200 OK"), 4, response)

    def test_zero(self) -> None:
        """
        A limit below 1 is refused.
        """
        self.assertOneLineError(
            ["--app", f"{APP}:make_app", "--limit-concurrency", "0"],
            "--limit-concurrency must be at least 1, not 0",
        )


class _StaticTests(_HostingMixin):
    """
    C{--static DIR[:URL]}: DIR's files under URL (default C{/static/}).
    """

    def test_static(self) -> None:
        """
        Files are served under the default and a given prefix (its
        C{index.html} for the directory); the app's routes still answer;
        a missing file is 404.
        """
        public = Path(self.mktemp()).absolute()
        public.mkdir()
        (public / "style.css").write_text("body {}\n")
        (public / "index.html").write_text("<p>index</p>\n")
        child = self.serve(
            "--app",
            f"{APP}:make_app",
            "--static",
            str(public),
            "--static",
            f"{public}:/assets",
        )
        port = _port(child.url)  # type: ignore[attr-defined]
        answers = [
            rawRequest(port, get(path))[1]
            for path in ("/static/style.css", "/assets/", "/", "/static/missing")
        ]
        self.assertEqual(body(answers[0]), b"body {}\n")
        self.assertIn(b"Content-Type: text/css", answers[0])
        self.assertEqual(body(answers[1]), b"<p>index</p>\n")
        self.assertEqual(body(answers[2]), b"hello from 127.0.0.1 http")
        self.assertEqual(status(answers[3]), 404)

    def test_missingDirectory(self) -> None:
        """
        A C{--static} directory that does not exist.
        """
        missing = str(Path(self.mktemp()).absolute())
        self.assertOneLineError(
            ["--app", f"{APP}:make_app", "--static", f"{missing}:/files/"],
            f"--static {missing}:/files/: {missing}: no such directory",
        )


class _LogOptionTests(_HostingMixin):
    """
    C{--log-level}, C{--no-access-log} and C{--log-format}: every line in
    twistd's own log (C{--logfile}), filtered and formatted as asked.  The
    socket is handed over as systemd does, so it accepts before twistd
    logs anything (no readiness line is needed).
    """

    def logAfterRequests(self, *options: str) -> list[str]:
        """
        Run twistd with C{options} and a log file, request C{/} and
        C{/missing}, stop it, and return the log file's lines.
        """
        logfile = Path(self.mktemp() + ".log").absolute()
        listening = socket.socket()
        self.addCleanup(listening.close)
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        port = listening.getsockname()[1]
        head = [binPath("twistd"), "-n", "--pidfile=", f"--logfile={logfile}"]
        if self.reactor:
            head.append(f"--reactor={self.reactor}")
        child = Child(
            [
                *head,
                "tornado",
                "--app",
                f"{APP}:make_app",
                "--listen",
                "systemd:domain=INET:index=0",
                *options,
            ],
            listening=listening,
        )
        statuses = [status(rawRequest(port, get(p))[1]) for p in ("/", "/missing")]
        self.assertEqual(statuses, [200, 404])
        child.process.send_signal(signal.SIGTERM)
        code, output = child.finish()
        self.assertEqual(code, 0, output)
        return logfile.read_text().splitlines()

    def test_jsonLines(self) -> None:
        """
        C{--log-format json}: every line of the log is one JSON event
        (Twisted's C{eventAsJSON}), twistd's own lines and Tornado's access
        lines included.
        """
        from twisted.logger import eventFromJSON, formatEvent

        lines = self.logAfterRequests("--log-format", "json")
        events = [eventFromJSON(line) for line in lines]
        texts = [formatEvent(event) for event in events]
        self.assertTrue(any("starting up" in text for text in texts), texts)
        self.assertTrue(any("serving on http://" in text for text in texts), texts)
        access = [e for e in events if e["log_namespace"] == "tornado.access"]
        self.assertEqual(len(access), 2, texts)
        self.assertIn("200 GET / (127.0.0.1)", formatEvent(access[0]))
        self.assertEqual(access[1]["log_level"].name, "warn")

    def test_noAccessLog(self) -> None:
        """
        C{--no-access-log}: no access line; the other lines are there.
        """
        lines = self.logAfterRequests("--no-access-log")
        self.assertFalse([line for line in lines if "tornado.access" in line], lines)
        self.assertTrue([line for line in lines if "serving on" in line], lines)

    def test_levelWarn(self) -> None:
        """
        C{--log-level warn}: the 404's access line (warn) is there, the
        200's (info) and the other info lines are not.
        """
        lines = self.logAfterRequests("--log-level", "warn")
        self.assertFalse([line for line in lines if "#info]" in line], lines)
        access = [line for line in lines if "[tornado.access#" in line]
        self.assertEqual(len(access), 1, lines)
        self.assertIn("404 GET /missing (127.0.0.1)", access[0])

    def test_badValues(self) -> None:
        """
        An unknown level or format; JSON to syslog.
        """
        self.assertOneLineError(
            ["--app", f"{APP}:make_app", "--log-level", "loud"],
            "--log-level loud: not one of debug, info, warn, warning, error, critical",
        )
        self.assertOneLineError(
            ["--app", f"{APP}:make_app", "--log-format", "xml"],
            "--log-format xml: not one of text, json",
        )

    def test_jsonToSyslog(self) -> None:
        """
        JSON lines cannot go to syslog; twistd's C{--logger} would replace
        the filtered log: both refused.
        """
        for twistdOption, expected in [
            ("--syslog", "--log-format json cannot go to --syslog"),
            (
                "--logger=twisted.logger.textFileLogObserver",
                "leave out twistd's --logger",
            ),
        ]:
            args = [binPath("twistd"), "-n", "--pidfile=", twistdOption]
            if self.reactor:
                args.append(f"--reactor={self.reactor}")
            args += ["tornado", "--app", f"{APP}:make_app", "--log-format", "json"]
            result = run(args, timeout=60)
            everything = result.stdout + result.stderr
            self.assertEqual(result.returncode, 1, everything)
            self.assertNotIn("Traceback", everything)
            self.assertEqual(
                len([line for line in everything.splitlines() if expected in line]),
                1,
                everything,
            )


class _WorkersTests(_HostingMixin):
    """
    C{--workers N}: N processes serve the sockets the parent bound; the
    parent restarts a worker that dies and drains them all on SIGTERM.
    """

    def startWorkers(self, *args: str) -> tuple[Child, int, dict[int, int]]:
        """
        Start twistd with two workers; wait until both serve.

        @return: the child, the port, and each worker's pid by index.
        """
        child = Child(
            twistd(
                "--app",
                f"{APP}:make_app",
                "--workers",
                "2",
                "--listen",
                "tcp:0:interface=127.0.0.1",
                *args,
                reactor=self.reactor,
            ),
            deadline=120,
        )
        self.addCleanup(self._reap, child)
        urls = [_servingURL(child), _servingURL(child)]
        self.assertEqual(urls[0], urls[1])
        pids = {}
        for line in child.lines:
            if "started (pid" in line:
                index = int(line.split("Worker ", 1)[1].split()[0])
                pids[index] = int(line.rsplit("pid ", 1)[1].rstrip(")\n"))
        self.assertEqual(sorted(pids), [1, 2], child.lines)
        return child, _port(urls[0]), pids

    def _reap(self, child: Child) -> None:
        if child.process.poll() is None:
            child.process.kill()
            child.finish()

    def test_serveRestartDrain(self) -> None:
        """
        Requests are answered by the workers (not the parent); a worker
        killed is logged and restarted, and the new one serves; SIGTERM
        stops both workers and the parent exits 0, every worker's lines in
        its log.
        """
        child, port, pids = self.startWorkers()
        answered = {int(body(rawRequest(port, get("/pid"))[1])) for _ in range(4)}
        self.assertTrue(answered <= set(pids.values()), (answered, pids))
        self.assertNotIn(child.process.pid, answered)
        os.kill(pids[1], signal.SIGKILL)
        died = child.readUntil("Worker 1 died")
        self.assertIn(f"signal {signal.SIGKILL}", died)
        restarted = child.readUntil("Worker 1 started (pid")
        newPid = int(restarted.rsplit("pid ", 1)[1].rstrip(")\n"))
        self.assertNotEqual(newPid, pids[1])
        child.readUntil("Tornado application serving on")
        answered = {int(body(rawRequest(port, get("/pid"))[1])) for _ in range(4)}
        self.assertTrue(answered <= {newPid, pids[2]}, (answered, newPid, pids))
        child.process.send_signal(signal.SIGTERM)
        code, output = child.finish()
        self.assertEqual(code, 0, output)
        self.assertIn("Worker 1 stopped (exit status 0)", output)
        self.assertIn("Worker 2 stopped (exit status 0)", output)
        self.assertEqual(output.count("200 GET /pid (127.0.0.1)"), 8, output)
        with socket.socket() as s:
            self.assertNotEqual(s.connect_ex(("127.0.0.1", port)), 0)

    def test_drainRequestInFlight(self) -> None:
        """
        A request in flight when the parent gets SIGTERM completes: the
        worker drains before it exits, and the parent exits 0.
        """
        child, port, _ = self.startWorkers()
        with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
            s.sendall(get("/slow?seconds=1"))
            received = b""
            while b"slow started" not in received:
                data = s.recv(65536)
                self.assertTrue(data, received)
                received += data
            child.process.send_signal(signal.SIGTERM)
            while True:
                data = s.recv(65536)
                if not data:
                    break
                received += data
        self.assertIn(b"slow done", received)
        code, output = child.finish()
        self.assertEqual(code, 0, output)

    def test_refused(self) -> None:
        """
        C{--workers 0}, an C{ssl:} or C{unix:} endpoint, and C{--reload}
        with workers are refused in one line.
        """
        self.assertOneLineError(
            ["--app", f"{APP}:make_app", "--workers", "0"],
            "--workers must be at least 1, not 0",
        )
        certs = certificates()
        endpoint = certs.ssl_endpoint()
        self.assertOneLineError(
            ["--app", f"{APP}:make_app", "--workers", "2", "--listen", endpoint],
            f"--workers share plain sockets; {endpoint} is TLS",
        )
        self.assertOneLineError(
            ["--app", f"{APP}:make_app", "--workers", "2", "--reload"],
            "--reload cannot be combined with --workers",
        )
        self.assertOneLineError(
            ["--app", f"{APP}:make_app", "--workers", "2", "--listen", "unix:w.sock"],
            "--workers share TCP sockets; unix:w.sock is a UNIX socket",
        )


def _deploymentCommands() -> dict[str, list[str]]:
    """
    The commands of C{docs/deployment.rst}: both C{ExecStart} lines, the
    load balancer's host command and the container's C{CMD}.
    """
    import json
    import shlex

    text = (ROOT / "docs" / "deployment.rst").read_text()
    lines = [line.strip() for line in text.splitlines()]
    execStarts = [
        line[len("ExecStart=") :] for line in lines if line.startswith("ExecStart=")
    ]
    host = [line for line in lines if line.startswith("twistd -n --pidfile= tornado")]
    cmd = [line[len("CMD ") :] for line in lines if line.startswith("CMD [")]
    return {
        "socket-workers": shlex.split(execStarts[0]),
        "socket-instance": shlex.split(execStarts[1]),
        "host": shlex.split(host[0]),
        "container": json.loads(cmd[0]),
    }


class _DeploymentDocsTests(_HostingMixin):
    """
    The commands of the deployment page, run as written: paths replaced
    with this checkout's, the host's private address and the container's
    every-interface port with loopback, and the socket handed over as
    systemd does.
    """

    def command(self, name: str, appDir: Path) -> list[str]:
        args = _deploymentCommands()[name]
        args = [
            arg.replace("/srv/myapp/venv/bin/twistd", binPath("twistd"))
            .replace("/srv/myapp", str(appDir))
            .replace("tcp:8888:interface=10.0.0.11", "tcp:0:interface=127.0.0.1")
            for arg in args
        ]
        args = ["tcp:0:interface=127.0.0.1" if a == "tcp:8888" else a for a in args]
        if args[0] == "twistd":
            args[0] = binPath("twistd")
        if self.reactor:
            args.insert(1, f"--reactor={self.reactor}")
        return args

    def runCommand(self, name: str, servers: int, json: bool = False) -> bytes:
        """
        Run the page's command C{name} in the app's directory until
        C{servers} processes serve, GET C{/} with proxy headers, stop it
        (SIGTERM; exit status 0).
        """
        appDir = _writeApp(self)
        listening = None
        if "systemd:domain=INET:index=0" in self.command(name, appDir):
            listening = socket.socket()
            self.addCleanup(listening.close)
            listening.bind(("127.0.0.1", 0))
            listening.listen()
        child = Child(
            self.command(name, appDir), deadline=120, listening=listening, cwd=appDir
        )
        for _ in range(servers):
            line = child.readUntil("serving on")
        if json:
            import json as _json

            url = _json.loads(line)["address"]
        else:
            url = line.rsplit(" ", 1)[-1].strip()
        _, response = rawRequest(_port(url), get(headers=FORWARDED))
        child.process.send_signal(signal.SIGTERM)
        code, output = child.finish()
        self.assertEqual(code, 0, output)
        return body(response)

    def test_socketActivationWorkers(self) -> None:
        """
        The C{--workers 2} service on a systemd socket.
        """
        self.assertEqual(self.runCommand("socket-workers", 2), b"myapp here")

    def test_socketActivationInstance(self) -> None:
        """
        One instance of the per-worker template.
        """
        self.assertEqual(self.runCommand("socket-instance", 1), b"myapp here")

    def test_hostBehindBalancer(self) -> None:
        """
        A host's command (its two workers serve; proxy headers from a
        peer other than the balancer are ignored).
        """
        self.assertEqual(self.runCommand("host", 2), b"myapp here")

    def test_containerCommand(self) -> None:
        """
        The container's C{CMD}, logging JSON lines.
        """
        self.assertEqual(self.runCommand("container", 2, json=True), b"myapp here")


parametrize(globals(), _TLSTests, TWISTD_REACTORS)
parametrize(globals(), _ForwardedTests, TWISTD_REACTORS)
parametrize(globals(), _LimitConcurrencyTests, TWISTD_REACTORS)
parametrize(globals(), _StaticTests, TWISTD_REACTORS)
parametrize(globals(), _LogOptionTests, TWISTD_REACTORS)
parametrize(globals(), _WorkersTests, TWISTD_REACTORS)
parametrize(globals(), _DeploymentDocsTests, TWISTD_REACTORS)
