"""
The hosting internals in this process: trusted proxy peers, and the
arguments C{--workers} gives each worker.
"""

from __future__ import annotations

from twisted.trial.unittest import SynchronousTestCase

from txtornado._hosting.proxy import ForwardedAllowIPs


class ForwardedAllowIPsTests(SynchronousTestCase):
    """
    L{ForwardedAllowIPs}: addresses, networks, C{*} and C{unix}.
    """

    def test_addressesAndNetworks(self) -> None:
        """
        An address trusts itself only; a network every address in it, IPv6
        and IPv4-mapped IPv6 peers included.
        """
        allowed = ForwardedAllowIPs.fromString("127.0.0.1, 10.0.0.0/8,fd00::/8")
        self.assertTrue(allowed.trusts(("127.0.0.1", 1234)))
        self.assertFalse(allowed.trusts(("127.0.0.2", 1234)))
        self.assertTrue(allowed.trusts(("10.200.3.4", 1)))
        self.assertTrue(allowed.trusts(("fd12::1", 1, 0, 0)))
        self.assertTrue(allowed.trusts(("::ffff:10.1.2.3", 1, 0, 0)))
        self.assertFalse(allowed.trusts(("::1", 1, 0, 0)))

    def test_unixAndEveryone(self) -> None:
        """
        UNIX-socket peers (a path, not a tuple) only with C{unix}; C{*}
        trusts everyone.
        """
        self.assertFalse(ForwardedAllowIPs(["127.0.0.1"]).trusts("/run/app.sock"))
        self.assertTrue(ForwardedAllowIPs(["unix"]).trusts("/run/app.sock"))
        self.assertFalse(ForwardedAllowIPs(["unix"]).trusts(("127.0.0.1", 1)))
        everyone = ForwardedAllowIPs(["*"])
        self.assertTrue(everyone.trusts(("192.0.2.1", 1)))
        self.assertTrue(everyone.trusts(""))

    def test_badEntry(self) -> None:
        """
        An entry that is none of these names itself in the error.
        """
        with self.assertRaises(ValueError) as raised:
            ForwardedAllowIPs.fromString("127.0.0.1,proxy.example")
        self.assertIn("'proxy.example'", str(raised.exception))


class WorkerArgumentsTests(SynchronousTestCase):
    """
    C{Options.workerArguments}: what a worker is started with parses back
    to the same options, without C{--listen} and C{--workers}.
    """

    def test_roundTrip(self) -> None:
        from txtornado._twistd import Options

        given = Options()
        given.parseOptions(
            [
                "--app",
                "txtornado.test._twistd_app:make_app",
                "--listen",
                "tcp:0:interface=127.0.0.1",
                "--workers",
                "3",
                "--setting",
                "greeting=hey there",
                "--setting",
                "n=3",
                "--max-body-size",
                "0",
                "--forwarded-allow-ips",
                "10.0.0.0/8",
                "--limit-concurrency",
                "5",
                "--no-access-log",
                "--log-level",
                "warn",
                "--static",
                ".:/files/",
            ]
        )
        args = given.workerArguments()
        self.assertIn("--log-format=json", args)
        worker = Options()
        worker.parseOptions(args)
        self.assertEqual(worker["listen"], [])
        self.assertIsNone(worker["workers"])
        self.assertEqual(worker["settings"], {"greeting": "hey there", "n": 3})
        self.assertEqual(worker.serverOptions(), given.serverOptions())
        for name in ("app", "forwarded-allow-ips", "limit-concurrency", "log-level"):
            self.assertEqual(worker[name], given[name], name)
        self.assertEqual(worker["static"], given["static"])
        self.assertTrue(worker["no-access-log"])
        self.assertEqual(worker["log-format"], "json")
