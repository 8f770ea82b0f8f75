"""
Every example in C{docs/examples/} runs, in a child process, and prints
exactly what its C{.out} file says: the documentation's code is tested.
"""

from __future__ import annotations

import os
import re
import signal
import sys
import textwrap
import urllib.request
from pathlib import Path
from typing import NamedTuple

from twisted.trial.unittest import SynchronousTestCase

from txtornado.test._subprocess import ROOT, Child, binPath, run

EXAMPLES = ROOT / "docs" / "examples"


class DocsExamplesTests(SynchronousTestCase):
    """
    One test per example, generated below.
    """

    def test_everyExampleHasExpectedOutput(self) -> None:
        """
        Each example has its C{.out} file, and the other way round.
        """
        scripts = {
            p.stem for p in EXAMPLES.glob("*.py") if not p.stem.startswith("test_")
        }
        outputs = {p.stem for p in EXAMPLES.glob("*.out")}
        self.assertTrue(scripts)
        self.assertEqual(scripts, outputs)


def _makeTest(name: str) -> object:
    def test(self: SynchronousTestCase) -> None:
        script = EXAMPLES / f"{name}.py"
        result = run([sys.executable, str(script)], timeout=60, cwd=EXAMPLES)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout, (EXAMPLES / f"{name}.out").read_text())
        # no error that the example's reactor logged and carried on from
        # (Twisted 26's readBody warns about its own transport proxy, so
        # warnings are allowed)
        self.assertNotIn("Traceback", result.stderr)
        self.assertNotIn("Unhandled", result.stderr)

    test.__doc__ = f"docs/examples/{name}.py prints its .out file, and logs no error."
    return test


# The GUI examples (gui_*.py) need a toolkit and a display: test_gui runs them.
for _script in sorted(EXAMPLES.glob("*.py")):
    if not _script.stem.startswith(("test_", "gui_")):
        setattr(DocsExamplesTests, f"test_{_script.stem}", _makeTest(_script.stem))


class DocsTestExamplesTests(SynchronousTestCase):
    """
    The testing page's examples pass under their runner, on both reactors;
    the .tac example serves under twistd.
    """

    def _runModule(self, *args: str) -> str:
        result = run([sys.executable, "-m", *args], timeout=120, cwd=EXAMPLES)
        output = result.stdout + result.stderr
        self.assertEqual(result.returncode, 0, output)
        return output

    def test_trialExample(self) -> None:
        """
        test_hello_trial.py passes under trial, default and tornado reactors.
        """
        for options in ((), ("--reactor=tornado",)):
            output = self._runModule(
                "twisted.trial",
                "--temp-directory",
                os.path.abspath(self.mktemp()),
                *options,
                "test_hello_trial",
            )
            self.assertIn("PASSED (successes=1)", output)

    def test_pytestExample(self) -> None:
        """
        test_hello_pytest.py passes under pytest, default and tornado reactors.
        """
        for options in ((), ("--reactor=tornado",)):
            output = self._runModule(
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                *options,
                "test_hello_pytest.py",
            )
            self.assertIn("1 passed", output)

    def test_tacExample(self) -> None:
        """
        hello.tac serves its app under twistd; SIGTERM stops it cleanly.
        (Under C{twistd -y} twistd's own exit status applies: it ends by
        the signal that stopped it.  The C{twistd tornado} plugin exits 0
        after a clean graceful stop instead.)
        """
        child = Child(
            [binPath("twistd"), "-n", "--pidfile=", "-y", str(EXAMPLES / "hello.tac")]
        )
        url = child.readUntil("Tornado application serving on").split()[-1]
        with urllib.request.urlopen(url, timeout=30) as response:
            body = response.read()
        child.process.send_signal(signal.SIGTERM)
        code, output = child.finish()
        self.assertEqual(body, b"hello from a .tac file")
        self.assertEqual(code, -signal.SIGTERM, output)
        self.assertIn("Server Shut Down.", output)


#: Each code block of the README and of every docs page that is not a
#: C{literalinclude} (those are the examples above) either runs as written
#: (a Python block, run in a child process) or is marked, just before it,
#: with C{<!-- docs-test: KIND: why -->} (README) or C{.. docs-test: KIND:
#: why} (reST), saying why it is not run as it stands:
#:
#:   - C{shell}: shell commands (install, serve, the test commands);
#:   - C{output}: a terminal session or a configuration file;
#:   - C{fragment}: part of a larger program;
#:   - C{server URL}: a Python program that serves until stopped; it runs as
#:     written, with a prologue that fetches C{URL} once the reactor runs
#:     and then stops the reactor.
MARKER_KINDS = ("shell", "output", "fragment", "server")

_MD_MARKER = re.compile(r"^\s*<!-- docs-test: (.*?) -->\s*$")
_RST_MARKER = re.compile(r"^\s*\.\. docs-test: (.*)$")
_RST_DIRECTIVE = re.compile(r"^\s*\.\. [\w:-]+::")


class CodeBlock(NamedTuple):
    """
    A code block of a page: where it starts, its text (dedented), and the
    marker before it (C{None}: none, it runs as Python).
    """

    where: str
    text: str
    marker: str | None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def markdown_blocks(path: Path) -> list[CodeBlock]:
    """
    The fenced and the indented (four spaces, after a blank line, outside a
    list) code blocks of a Markdown file.
    """
    lines = path.read_text().splitlines()
    blocks: list[CodeBlock] = []
    marker: str | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        found = _MD_MARKER.match(line)
        if found:
            marker = found.group(1)
        elif line.startswith("```"):
            start = i + 1
            i += 1
            while not lines[i].startswith("```"):
                i += 1
            text = "\n".join(lines[start:i]) + "\n"
            blocks.append(CodeBlock(f"{path.name}:{start}", text, marker))
            marker = None
        elif (
            line.startswith("    ")
            and i > 0
            and not lines[i - 1].strip()
            and not _in_markdown_list(lines, i)
        ):
            start = i
            while i < len(lines) and (lines[i].startswith("    ") or not lines[i]):
                i += 1
            text = textwrap.dedent("\n".join(lines[start:i])).strip("\n") + "\n"
            blocks.append(CodeBlock(f"{path.name}:{start + 1}", text, marker))
            marker = None
            continue
        i += 1
    return blocks


def _in_markdown_list(lines: list[str], i: int) -> bool:
    """
    Whether line C{i} continues a list item: the paragraph before it (after
    blank lines) starts with C{- }.
    """
    j = i - 1
    while j >= 0 and not lines[j].strip():
        j -= 1
    while j > 0 and lines[j - 1].strip():
        j -= 1
    return j >= 0 and lines[j].startswith("- ")


def rst_blocks(path: Path) -> list[CodeBlock]:
    """
    The literal blocks (after a paragraph ending in C{::}, or a
    C{code-block} directive) of a reST file; other directives (toctree,
    list-table, literalinclude) are not code.
    """
    lines = path.read_text().splitlines()
    blocks: list[CodeBlock] = []
    marker: str | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        found = _RST_MARKER.match(line)
        intro = line.rstrip().endswith("::") and (
            not _RST_DIRECTIVE.match(line) or ".. code-block::" in line
        )
        if found:
            marker = found.group(1)
        elif intro:
            base = _indent(line)
            i += 1
            while i < len(lines) and (
                not lines[i].strip() or lines[i].lstrip().startswith(":")
            ):
                i += 1
            start = i
            while i < len(lines) and (not lines[i].strip() or _indent(lines[i]) > base):
                i += 1
            text = textwrap.dedent("\n".join(lines[start:i])).strip("\n") + "\n"
            blocks.append(CodeBlock(f"{path.name}:{start + 1}", text, marker))
            marker = None
            continue
        i += 1
    return blocks


def all_blocks() -> list[CodeBlock]:
    """
    Every code block of the README and of the docs pages.
    """
    blocks = markdown_blocks(ROOT / "README.md")
    for page in sorted((ROOT / "docs").glob("*.rst")):
        blocks.extend(rst_blocks(page))
    return blocks


#: Run before a C{server} block, with its URL: fetch it in a thread once the
#: reactor runs, print the outcome, stop the reactor.
_SERVER_PROLOGUE = """\
import urllib.request as _docs_urllib
from twisted.internet import reactor as _docs_reactor, threads as _docs_threads
def _docs_fetch():
    with _docs_urllib.urlopen({url!r}, timeout=30) as _r:
        return _r.status, _r.read().decode()
def _docs_report(outcome):
    print("docs-test fetched:", outcome, flush=True)
    _docs_reactor.stop()
_docs_reactor.callWhenRunning(
    lambda: _docs_threads.deferToThread(_docs_fetch).addBoth(_docs_report))
"""


class DocsCodeBlocksTests(SynchronousTestCase):
    """
    The README's and the docs pages' code blocks run as written, or say why
    not.
    """

    def test_blocksFound(self) -> None:
        """
        The parsers find the README's Python examples and its two commands,
        and the docs pages' blocks.
        """
        blocks = all_blocks()
        readme = [b for b in blocks if b.where.startswith("README.md")]
        self.assertGreaterEqual(len([b for b in readme if b.marker is None]), 2)
        texts = [b.text for b in readme]
        self.assertIn(
            "python3 -m venv .venv && .venv/bin/pip install -q -e ."
            " && .venv/bin/python -m txtornado.demo\n",
            texts,
        )
        self.assertIn(
            "import txtornado\nreactor = txtornado.install()\n",
            [b.text for b in blocks if b.where.startswith("reactor.rst")],
        )

    def test_markersSayWhy(self) -> None:
        """
        Each marker names a known kind and gives a reason.
        """
        for block in all_blocks():
            if block.marker is None:
                continue
            kind, _, why = block.marker.partition(":")
            self.assertIn(kind.split()[0], MARKER_KINDS, block)
            self.assertTrue(why.strip(), f"{block.where}: the marker says no reason")

    def test_rstMarkersAreComments(self) -> None:
        """
        A reST marker follows a blank line, so reST reads it as a comment;
        glued to the paragraph before it, it is printed as that paragraph's
        text on the page.
        """
        for page in sorted((ROOT / "docs").glob("*.rst")):
            lines = page.read_text().splitlines()
            for number, line in enumerate(lines):
                if _RST_MARKER.match(line) and number > 0:
                    self.assertEqual(
                        lines[number - 1].strip(),
                        "",
                        f"{page.name}:{number + 1}: no blank line before the marker",
                    )

    def test_ciRunsTheReadmeTestCommand(self) -> None:
        """
        The README's test command (marked as the one .ci/run runs) is a line
        of .ci/run.
        """
        (command,) = [
            b.text
            for b in all_blocks()
            if b.where.startswith("README.md") and "python -m pytest\n" == b.text[-17:]
        ]
        self.assertIn(command, (ROOT / ".ci" / "run").read_text().splitlines(True))

    def test_unmarkedBlocksRun(self) -> None:
        """
        Every unmarked block runs as a Python program, in a child in an empty
        directory: it exits 0 within a minute and logs no traceback.
        """
        failures = []
        for block in all_blocks():
            if block.marker is not None:
                continue
            tmp = Path(self.mktemp())
            tmp.mkdir()
            result = run([sys.executable, "-c", block.text], timeout=60, cwd=tmp)
            if result.returncode != 0 or "Traceback" in result.stderr:
                failures.append(f"{block.where}: {result.returncode}\n{result.stderr}")
        self.assertEqual(failures, [])

    def test_serverBlocksServe(self) -> None:
        """
        Every C{server} block serves its URL: run as written (after the
        prologue), the fetch gets status 200 and the reactor stops.
        """
        servers = [
            b for b in all_blocks() if b.marker and b.marker.startswith("server ")
        ]
        self.assertTrue(servers)
        for block in servers:
            url = block.marker.split()[1].rstrip(":") if block.marker else ""
            tmp = Path(self.mktemp())
            tmp.mkdir()
            code = _SERVER_PROLOGUE.format(url=url) + block.text
            result = run([sys.executable, "-c", code], timeout=60, cwd=tmp)
            self.assertEqual(result.returncode, 0, f"{block.where}\n{result.stderr}")
            self.assertIn("docs-test fetched: (200, ", result.stdout, result.stderr)
