"""
Installing TornadoReactor globally, and selecting it by name from twistd,
trial and pytest; all in child processes, since each installs a global
reactor.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import textwrap
import zipfile
from pathlib import Path

from twisted.trial.unittest import SkipTest, SynchronousTestCase

from txtornado import __version__
from txtornado.test._subprocess import (
    ROOT,
    binPath,
    childEnv,
    run,
    runPytest,
    runPython,
)


class InstallTests(SynchronousTestCase):
    """
    L{txtornado.install}.
    """

    def test_install(self) -> None:
        """
        C{install()} makes a TornadoReactor on the current IOLoop the global
        reactor and returns it.
        """
        result = runPython(
            textwrap.dedent(
                """
                import txtornado
                from tornado.ioloop import IOLoop
                r = txtornado.install()
                from twisted.internet import reactor
                assert reactor is r, (reactor, r)
                assert r.io_loop is IOLoop.current()
                print("installed", type(reactor).__name__)
                """
            )
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("installed TornadoReactor", result.stdout)

    def test_installExplicitIOLoop(self) -> None:
        """
        C{install(io_loop)} runs the reactor on that IOLoop.
        """
        result = runPython(
            textwrap.dedent(
                """
                import asyncio, txtornado
                from tornado.platform.asyncio import AsyncIOLoop
                io_loop = AsyncIOLoop(asyncio_loop=asyncio.new_event_loop())
                r = txtornado.install(io_loop)
                assert r.io_loop is io_loop
                r.callLater(0, r.stop)
                r.run()
                print("ran")
                """
            )
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("ran", result.stdout)

    def test_alreadyInstalled(self) -> None:
        """
        With another reactor installed, C{install()} raises
        ReactorAlreadyInstalledError naming it.
        """
        result = runPython(
            textwrap.dedent(
                """
                from twisted.internet import epollreactor
                epollreactor.install()
                import txtornado
                from twisted.internet.error import ReactorAlreadyInstalledError
                try:
                    txtornado.install()
                except ReactorAlreadyInstalledError as e:
                    print("refused:", e)
                """
            )
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn(
            "refused: reactor already installed: "
            "twisted.internet.epollreactor.EPollReactor",
            result.stdout,
        )


class DropinTests(SynchronousTestCase):
    """
    The C{tornado} reactor dropin in C{twisted/plugins}.
    """

    def test_dropinImportsNothingHeavy(self) -> None:
        """
        Importing the dropin imports neither tornado nor the global reactor.
        """
        result = runPython(
            textwrap.dedent(
                """
                import sys
                from twisted.plugins import txtornado_reactors
                assert txtornado_reactors.tornado.shortName == "tornado"
                bad = [m for m in ("tornado", "txtornado", "twisted.internet.reactor")
                       if m in sys.modules]
                print("imported:", bad)
                """
            )
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("imported: []", result.stdout)

    def test_helpReactors(self) -> None:
        """
        C{twistd --help-reactors} lists the tornado reactor.
        """
        result = run([binPath("twistd"), "--help-reactors"])
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("tornado", result.stdout.split())

    def test_twistdReactorOption(self) -> None:
        """
        C{twistd --reactor=tornado} runs an application on TornadoReactor.
        """
        tmp = Path(self.mktemp())
        tmp.mkdir()
        (tmp / "app.tac").write_text(
            textwrap.dedent(
                """
                from twisted.application import service
                from twisted.internet import reactor
                application = service.Application("check")
                def report():
                    print("twistd reactor:", type(reactor).__name__, flush=True)
                    reactor.stop()
                reactor.callWhenRunning(report)
                """
            )
        )
        result = run(
            [
                binPath("twistd"),
                "--reactor=tornado",
                "-n",
                "--pidfile=",
                "-y",
                "app.tac",
            ],
            cwd=tmp,
        )
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("twistd reactor: TornadoReactor", result.stdout)

    def test_trialReactorOption(self) -> None:
        """
        C{trial --reactor=tornado} runs tests on TornadoReactor.
        """
        tmp = Path(self.mktemp())
        tmp.mkdir()
        result = runPytest(
            tmp,
            """
            import pytest_twisted
            from twisted.internet import task

            @pytest_twisted.ensureDeferred
            async def test_reactor():
                from twisted.internet import reactor
                assert type(reactor).__name__ == "TornadoReactor"
                await task.deferLater(reactor, 0.01, lambda: None)
            """,
            "--reactor=tornado",
        )
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("1 passed", result.stdout)


def _freshVenv(tmp: Path) -> Path:
    """
    Make a new venv in C{tmp/venv} that sees this venv's dependencies (but
    not its txtornado: a path in a C{.pth} file does not process that
    path's own C{.pth} files) and return its C{python}.
    """
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(purelib, "_deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    return python


def _isolatedEnv() -> dict[str, str]:
    """
    This process's environment without C{PYTHONPATH}: a child sees only
    what its venv installs.
    """
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


class WheelTests(SynchronousTestCase):
    """
    The built wheel, and txtornado installed from it.
    """

    def setUp(self) -> None:
        self.tmp = Path(self.mktemp()).resolve()
        out = self.tmp / "dist"
        # Built from a copy: a build without isolation works in its source
        # tree, and a checkout's own build/ (left by an earlier install)
        # would put what it holds in the wheel.
        source = self.tmp / "source"
        shutil.copytree(
            ROOT,
            source,
            ignore=shutil.ignore_patterns(
                ".git",
                ".venv",
                ".tox",
                "build",
                "dist",
                "*.egg-info",
                "__pycache__",
                ".mypy_cache",
                ".ruff_cache",
                "_generated",
                "dropin.cache",
            ),
        )
        result = run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "--no-deps",
                "--no-build-isolation",
                "-q",
                "-w",
                str(out),
                str(source),
            ],
            timeout=300,
        )
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        (self.wheel,) = out.glob("txtornado-*.whl")

    def test_wheelShipsDropinAndTypes(self) -> None:
        """
        The wheel contains the reactor dropin (with no
        C{twisted/plugins/__init__.py}, which would hide Twisted's own
        plugins) and C{py.typed}, and not the tests (C{txtornado/test}
        needs the checkout: the sdist carries it).
        """
        names = zipfile.ZipFile(self.wheel).namelist()
        self.assertIn("twisted/plugins/txtornado_reactors.py", names)
        self.assertNotIn("twisted/plugins/__init__.py", names)
        self.assertIn("txtornado/py.typed", names)
        self.assertIn("txtornado/reactor.py", names)
        self.assertIn("txtornado/testing.py", names)
        self.assertEqual([n for n in names if n.startswith("txtornado/test/")], [])

    def test_metadata(self) -> None:
        """
        The wheel's metadata, which PyPI shows: project URLs, author,
        licence and its classifier, development status, the Python versions
        tox tests and keywords; the description is the README.
        """
        with zipfile.ZipFile(self.wheel) as archive:
            (name,) = [n for n in archive.namelist() if n.endswith("/METADATA")]
            text = archive.read(name).decode("utf-8")
        headers, _, body = text.partition("\n\n")
        fields: dict[str, list[str]] = {}
        for line in headers.splitlines():
            key, _, value = line.partition(": ")
            fields.setdefault(key, []).append(value)
        urls = dict(u.split(", ", 1) for u in fields["Project-URL"])
        self.assertEqual(
            urls,
            {
                "Documentation": "https://txtornado.readthedocs.io",
                "Source": "https://github.com/txtornado/txtornado",
                "Issues": "https://github.com/txtornado/txtornado/issues",
                "Changelog": "https://txtornado.readthedocs.io/en/latest/changelog.html",
            },
        )
        self.assertEqual(fields["Author"], ["the txtornado developers"])
        self.assertEqual(fields["License"], ["MIT"])
        classifiers = fields["Classifier"]
        self.assertIn("License :: OSI Approved :: MIT License", classifiers)
        self.assertEqual(
            [c for c in classifiers if c.startswith("Development Status ::")],
            ["Development Status :: 4 - Beta"],
        )
        # the Pythons tox runs everything on (its envlist: 3.11, py312, py313)
        self.assertEqual(
            [
                c
                for c in classifiers
                if c.startswith("Programming Language :: Python :: 3.")
            ],
            [f"Programming Language :: Python :: 3.{minor}" for minor in (11, 12, 13)],
        )
        tox = (ROOT / "tox.ini").read_text()
        self.assertIn("py312, py313", tox)
        self.assertIn("twisted", fields["Keywords"][0].split(","))
        self.assertIn("tornado", fields["Keywords"][0].split(","))
        self.assertEqual(fields["Requires-Python"], [">=3.11"])
        self.assertEqual(fields["Description-Content-Type"], ["text/markdown"])
        self.assertEqual(body.strip(), (ROOT / "README.md").read_text().strip())

    def test_installedWheel(self) -> None:
        """
        Installed from the wheel into a fresh venv, txtornado imports,
        Twisted finds its C{tornado} reactor and C{python -m txtornado}
        describes it, and C{txtornado.test} is absent (its tests run from a
        checkout or the unpacked sdist).
        """
        python = _freshVenv(self.tmp)
        env = _isolatedEnv()
        install = subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "--no-deps", str(self.wheel)],
            capture_output=True,
            text=True,
            timeout=300,
            stdin=subprocess.DEVNULL,
            env=env,
        )
        self.assertEqual(install.returncode, 0, install.stdout + install.stderr)
        result = subprocess.run(
            [
                str(python),
                "-c",
                textwrap.dedent(
                    """
                    import importlib.util, runpy
                    import txtornado
                    from twisted.application.reactors import getReactorTypes
                    print(txtornado.__file__)
                    print("tornado" in [r.shortName for r in getReactorTypes()])
                    print(importlib.util.find_spec("txtornado.test"))
                    runpy.run_module("txtornado", run_name="__main__")
                    """
                ),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=self.tmp,
            stdin=subprocess.DEVNULL,
            env=env,
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        where, found, spec, *described = result.stdout.splitlines()
        self.assertIn(str(self.tmp / "venv"), where)
        self.assertEqual(found, "True")
        self.assertEqual(spec, "None")
        self.assertEqual(described[0], f"txtornado {__version__}")


class SdistTests(SynchronousTestCase):
    """
    The source distribution.
    """

    def test_sdistShipsTheCheckout(self) -> None:
        """
        The sdist holds every file git tracks (but C{.gitignore}): the tests,
        the judges, the benchmarks, the docs with their examples and the
        tool configuration tox and the docs build read.
        """
        if not (ROOT / ".git").exists():
            raise SkipTest("needs a git checkout (compares with git ls-files)")
        tracked = subprocess.run(
            ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.split()
        tmp = Path(self.mktemp()).resolve()
        # Built from a copy of the tracked files alone: setuptools would
        # otherwise also ship what an earlier build listed in egg-info.
        source = tmp / "source"
        for name in tracked:
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
        out = tmp / "dist"
        out.mkdir()
        result = runPython(
            "from setuptools import build_meta;"
            f" print(build_meta.build_sdist({str(out)!r}))",
            cwd=source,
            timeout=300,
        )
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        (sdist,) = out.glob("txtornado-*.tar.gz")
        with tarfile.open(sdist) as archive:
            names = {
                name.split("/", 1)[1] for name in archive.getnames() if "/" in name
            }
        missing = sorted(set(tracked) - names - {".gitignore"})
        self.assertEqual(missing, [])


class EditableInstallTests(SynchronousTestCase):
    """
    C{pip install -e .}, in its default mode and in setuptools' C{compat}
    mode.
    """

    def assertEditableFindsDropin(self, *pipOptions: str) -> None:
        """
        An editable install of a copy of the checkout, with C{pipOptions},
        makes the copy's C{twisted/plugins/} dropin visible: Twisted lists
        the C{tornado} reactor and the C{tornado} twistd command, and
        C{txtornado} is imported from the copy.
        """
        tmp = Path(self.mktemp()).resolve()
        tmp.mkdir()
        checkout = tmp / "checkout"
        shutil.copytree(
            ROOT,
            checkout,
            ignore=shutil.ignore_patterns(
                ".git", ".venv", ".tox", "build", "dist", "*.egg-info", "_build"
            ),
        )
        env = _isolatedEnv()
        python = _freshVenv(tmp)
        install = subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "-q",
                "--no-deps",
                "--no-build-isolation",
                *pipOptions,
                "-e",
                str(checkout),
            ],
            capture_output=True,
            text=True,
            timeout=300,
            stdin=subprocess.DEVNULL,
            env=env,
        )
        self.assertEqual(install.returncode, 0, install.stdout + install.stderr)
        result = subprocess.run(
            [
                str(python),
                "-c",
                textwrap.dedent(
                    """
                    import txtornado
                    from twisted.application.reactors import getReactorTypes
                    from twisted.application.service import IServiceMaker
                    from twisted.plugin import getPlugins
                    print(txtornado.__file__)
                    print([r.shortName for r in getReactorTypes()])
                    print([m.tapname for m in getPlugins(IServiceMaker)])
                    """
                ),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=tmp,
            stdin=subprocess.DEVNULL,
            env=env,
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        where, reactors, commands = result.stdout.splitlines()
        self.assertTrue(where.startswith(str(checkout)), where)
        self.assertIn("'tornado'", reactors)
        self.assertIn("'tornado'", commands)

    def test_defaultEditableFindsDropin(self) -> None:
        """
        A default editable install (no C{editable_mode} setting) finds the
        dropin.
        """
        self.assertEditableFindsDropin()

    def test_compatEditableFindsDropin(self) -> None:
        """
        An editable install in setuptools' C{compat} mode (C{--config-settings
        editable_mode=compat}, what older instructions use) finds it too.
        """
        self.assertEditableFindsDropin("--config-settings", "editable_mode=compat")


class MainTests(SynchronousTestCase):
    """
    C{python -m txtornado}.
    """

    def test_describes(self) -> None:
        """
        C{python -m txtornado} prints the versions, lists the C{tornado}
        reactor among Twisted's and says how to start the demo, without
        installing a reactor.
        """
        import tornado

        import twisted
        import txtornado

        result = runPython(
            "import runpy, sys; runpy.run_module('txtornado', run_name='__main__');"
            " assert 'twisted.internet.reactor' not in sys.modules"
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        lines = result.stdout.splitlines()
        self.assertEqual(lines[0], f"txtornado {txtornado.__version__}")
        self.assertIn(f"Twisted {twisted.__version__}", lines[1])
        self.assertIn(f"Tornado {tornado.version}", lines[1])
        self.assertIn("tornado", lines[2].split(": ", 1)[1].split(", "))
        self.assertIn("python -m txtornado.demo", result.stdout)
        self.assertNotIn("warning", result.stdout)


class SignalTests(SynchronousTestCase):
    """
    Signal handling with C{installSignalHandlers=True}.
    """

    def test_signals(self) -> None:
        """
        SIGCHLD reaps a C{spawnProcess} child, an application's own asyncio
        signal handler keeps working beside the reactor's, and SIGTERM stops
        the reactor through its shutdown triggers.
        """
        result = runPython(
            textwrap.dedent(
                """
                import os, signal, sys
                import txtornado
                reactor = txtornado.install()
                from twisted.internet import protocol
                events = []
                class Child(protocol.ProcessProtocol):
                    def processEnded(self, reason):
                        events.append("child ended %s" % reason.value.exitCode)
                        os.kill(os.getpid(), signal.SIGUSR1)
                def usr1():
                    events.append("SIGUSR1")
                    os.kill(os.getpid(), signal.SIGTERM)
                def start():
                    reactor.io_loop.asyncio_loop.add_signal_handler(signal.SIGUSR1, usr1)
                    reactor.spawnProcess(Child(), sys.executable,
                                         [sys.executable, "-c", "raise SystemExit(3)"])
                reactor.callWhenRunning(start)
                reactor.addSystemEventTrigger("after", "shutdown", events.append, "shutdown")
                reactor.run()
                print(events)
                """
            ),
            timeout=60,
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("['child ended 3', 'SIGUSR1', 'shutdown']", result.stdout)

    #: How each reactor of L{_applicationHandler} is installed in the child.
    _INSTALL = {
        "epoll": "from twisted.internet import epollreactor\nepollreactor.install()",
        "asyncio": "from twisted.internet import asyncioreactor\n"
        "asyncioreactor.install()",
        "tornado": "import txtornado\ntxtornado.install()",
        "tornado-uvloop": "import txtornado, uvloop\n"
        "from tornado.platform.asyncio import AsyncIOLoop\n"
        "txtornado.install(AsyncIOLoop(asyncio_loop=uvloop.new_event_loop()))",
    }

    def _applicationHandlerCode(self, reactorName: str, signalName: str) -> str:
        """
        On reactor C{reactorName}, a handler for C{signalName} that the
        application installs with C{signal.signal} once the reactor runs
        replaces the reactor's: when the signal arrives the reactor keeps
        running while the application's graceful work takes many loop
        iterations; then the application calls the reactor's handler (the
        one C{signal.signal} returned), which stops the reactor.  Return the
        child's code.
        """
        code = self._INSTALL[reactorName] + textwrap.dedent(
            f"""
            import os, signal
            from twisted.internet import reactor
            signum = signal.{signalName}
            events = []
            previous = None
            def work(remaining):
                if remaining:
                    reactor.callLater(0, work, remaining - 1)
                else:
                    events.append("work done")
                    previous(signum, None)
            def handler(number, frame):
                events.append("handler")
                reactor.callFromThread(work, 50)
            def start():
                global previous
                previous = signal.signal(signum, handler)
                os.kill(os.getpid(), signum)
            reactor.callWhenRunning(start)
            reactor.addSystemEventTrigger(
                "before", "shutdown", events.append, "shutdown")
            reactor.run()
            print(type(reactor).__name__, events)
            """
        )
        return code

    def _applicationHandlers(self, signalName: str) -> None:
        # One child per reactor, all at once.
        children = {
            name: subprocess.Popen(
                [sys.executable, "-c", self._applicationHandlerCode(name, signalName)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=childEnv(),
            )
            for name in self._INSTALL
        }
        outcomes = {}
        for name, child in children.items():
            try:
                out, err = child.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                child.kill()
                out, err = child.communicate()
            outcomes[name] = f"{child.returncode} {out.strip()} {err.strip()}"
        expected = {
            name: f"0 {reactor} ['handler', 'work done', 'shutdown'] "
            for name, reactor in [
                ("epoll", "EPollReactor"),
                ("asyncio", "AsyncioSelectorReactor"),
                ("tornado", "TornadoReactor"),
                ("tornado-uvloop", "TornadoReactor"),
            ]
        }
        self.assertEqual(outcomes, expected)

    def test_applicationHandlerReplacesSIGTERM(self) -> None:
        """
        An application's SIGTERM handler replaces the reactor's, on
        Twisted's epoll and asyncio reactors and on TornadoReactor (stdlib
        asyncio and uvloop) alike.
        """
        self._applicationHandlers("SIGTERM")

    def test_applicationHandlerReplacesSIGINT(self) -> None:
        """
        The same for SIGINT.
        """
        self._applicationHandlers("SIGINT")
