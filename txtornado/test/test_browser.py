"""
A real browser and real TLS clients against real servers: headless
Chromium, curl and Python C{ssl} clients (offering ALPN C{h2} and
C{http/1.1}, as browsers do) load a page and a C{wss://} websocket from a
C{twistd tornado --listen ssl:...} child process, and from L{listen} with
C{ssl_options} on both loop set-ups.

The certificates are the test CA's (L{certificates}); Chromium trusts the
server's key through C{--ignore-certificate-errors-spki-list} (honoured
with a fresh C{--user-data-dir}), curl and Python through the CA file.
Chromium and curl are required (Debian packages C{chromium} and C{curl}):
without them these tests fail with how to install them, they are not
skipped.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import shutil
import signal
import subprocess
import tempfile
from typing import Any

from tornado.httpserver import HTTPServer
from tornado.ioloop import IOLoop
from twisted.trial.unittest import SynchronousTestCase

from txtornado.endpoints import ListeningServer, listen
from txtornado.test._browser_app import make_app
from txtornado.test._helpers import parametrize
from txtornado.test._subprocess import Child
from txtornado.test.test_endpoints import LOOP_SETUPS, certificates
from txtornado.test.test_tls import _ServerMixin, curl_path, python_client
from txtornado.test.test_twistd import _servingURL, twistd

#: what the page shows once it has loaded over HTTPS and had its
#: websocket message echoed over wss://
PAGE_OVER_HTTPS = '<span id="scheme">https:</span>'
ECHOED = '<p id="out">echo over https: ping from the browser</p>'


def chromium_path() -> str:
    """
    Chromium's path; fails the test with how to install it if missing.
    """
    path = shutil.which("chromium")
    if path is None:
        raise AssertionError(
            "chromium is needed for the browser tests: apt-get install -y chromium"
        )
    return path


def server_key_pin() -> str:
    """
    The base64 SHA-256 of the test server certificate's public key, as
    Chromium's C{--ignore-certificate-errors-spki-list} takes it.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    with open(certificates().server_cert, "rb") as f:
        cert = x509.load_pem_x509_certificate(f.read())
    der = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


def chromium_dump(url: str) -> subprocess.CompletedProcess[str]:
    """
    Load C{url} in headless Chromium (a fresh profile) and return its DOM
    after the page's C{load} event (C{--dump-dom}).  Blocking.
    """
    profile = tempfile.mkdtemp(prefix="txtornado-chromium-")
    try:
        return subprocess.run(
            [
                chromium_path(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                f"--ignore-certificate-errors-spki-list={server_key_pin()}",
                "--dump-dom",
                url,
            ],
            capture_output=True,
            text=True,
            timeout=90,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def curl(url: str) -> subprocess.CompletedProcess[str]:
    """
    C{curl -v} with ALPN (its default) trusting the test CA.  Blocking.
    """
    return subprocess.run(
        [
            curl_path(),
            "-sS",
            "-v",
            "--max-time",
            "20",
            "--cacert",
            certificates().ca,
            url,
        ],
        capture_output=True,
        text=True,
    )


class _Checks:
    assertEqual: Any
    assertIn: Any
    assertIsNone: Any

    def assertBrowserShows(
        self, url: str, dump: subprocess.CompletedProcess[str]
    ) -> None:
        self.assertEqual(dump.returncode, 0, dump.stderr[-2000:])
        self.assertIn(PAGE_OVER_HTTPS, dump.stdout, f"{url}: {dump.stdout[-2000:]}")
        self.assertIn(ECHOED, dump.stdout, f"{url}: {dump.stdout[-2000:]}")

    def assertCurlGets(self, url: str, done: subprocess.CompletedProcess[str]) -> None:
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn(PAGE_OVER_HTTPS.split(">")[0], done.stdout)
        self.assertIn("ALPN: offers h2,http/1.1", done.stderr)


class TwistdBrowserTests(_Checks, SynchronousTestCase):
    """
    C{twistd -n tornado --listen ssl:...} in a child process.
    """

    def test_chromiumCurlPython(self) -> None:
        """
        Chromium shows the page with its websocket echo, curl (offering
        ALPN) gets the page, a Python client offering C{h2} and
        C{http/1.1} gets it over C{http/1.1} (or no ALPN protocol on
        Twisted before 26.10), from the C{ssl:} endpoint.
        """
        chromium_path()
        curl_path()
        child = Child(
            twistd(
                "--app",
                "txtornado.test._browser_app:make_app",
                "--listen",
                certificates().ssl_endpoint(),
            ),
            deadline=150,
        )
        try:
            served = _servingURL(child)
            port = int(re.sub(r"\D", "", served.rsplit(":", 1)[1]))
            url = f"https://localhost:{port}/"
            self.assertCurlGets(url, curl(url))
            both = python_client(port, ["h2", "http/1.1"], request=False)
            self.assertIsNone(both.error)
            self.assertIn(both.alpn, ("http/1.1", None))
            self.assertBrowserShows(url, chromium_dump(url))
        finally:
            child.process.send_signal(signal.SIGTERM)
            code, output = child.finish()
        self.assertEqual(code, 0, output)
        self.assertIn("101 GET /ws", output)


class _ListenBrowserTests(_Checks, _ServerMixin):
    """
    L{listen} with a server's C{ssl_options} on this test's loop; the
    browser and curl run in the loop's executor while it serves.
    """

    def test_chromiumAndCurl(self) -> None:
        """
        Chromium shows the page with its websocket echo; curl gets the
        page over C{http/1.1}.
        """
        chromium_path()
        c = certificates()
        server = HTTPServer(
            make_app(), ssl_options={"certfile": c.server_cert, "keyfile": c.server_key}
        )

        async def go() -> tuple[Any, Any, str]:
            listener: ListeningServer = await listen(
                server, "tcp:0:interface=127.0.0.1", self.reactor
            ).asFuture(asyncio.get_running_loop())
            url = f"https://localhost:{listener.getHost().port}/"  # type: ignore[attr-defined]
            try:
                loop = IOLoop.current()
                done = await loop.run_in_executor(self.executor(), curl, url)
                dump = await loop.run_in_executor(self.executor(), chromium_dump, url)
            finally:
                await listener.stop(0).asFuture(asyncio.get_running_loop())
            return done, dump, url

        done, dump, url = self.run_async(go, timeout=150)
        self.assertCurlGets(url, done)
        self.assertIn("ALPN: server accepted http/1.1", done.stderr)
        self.assertBrowserShows(url, dump)


parametrize(globals(), _ListenBrowserTests, LOOP_SETUPS)
