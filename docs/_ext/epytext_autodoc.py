"""
Sphinx extension: render txtornado's docstrings, written in Twisted's
epytext style, as reStructuredText for autodoc.

Handled: C{code}, I{italic}, B{bold}, L{target} and L{text<target>} (as
cross-references, resolved locally or through intersphinx), U{url} and
U{text<url>}, and the fields @param/@type/@return/@rtype/@raise/@ivar/
@cvar/@note/@see.  Nothing else of epytext is used in the project.
"""

from __future__ import annotations

import re
from typing import Any

_FIELD = re.compile(r"^(\s*)@(\w+)(?:\s+([^:]+?))?\s*:\s?(.*)$")
_FIELDS = {
    "param": "param",
    "type": "type",
    "return": "returns",
    "returns": "returns",
    "rtype": "rtype",
    "raise": "raises",
    "raises": "raises",
    "ivar": "ivar",
    "cvar": "cvar",
    "var": "var",
    "keyword": "keyword",
}


def _inline(text: str) -> str:
    """
    Convert epytext inline markup (possibly nested once) to reST.
    """

    def link(m: re.Match[str], group: int) -> str:
        body = m.group(group)
        label, _, target = body.partition("<")
        if target:
            return f":py:obj:`{label.strip()} <{target.rstrip('>').strip()}>`"
        return f":py:obj:`{body}`"

    def url(m: re.Match[str], group: int) -> str:
        body = m.group(group)
        label, _, target = body.partition("<")
        if target:
            return f"`{label.strip()} <{target.rstrip('>').strip()}>`_"
        return f"`<{body}>`_"

    def glued(pattern: str, render: Any) -> None:
        # reST inline markup must not touch a word character ("L{Loop}s"):
        # separate it with an escaped space, which renders as nothing.
        nonlocal text

        def sub(m: re.Match[str]) -> str:
            before = "\\ " if m.group(1) else ""
            after = "\\ " if m.group(3) else ""
            return m.group(1) + before + render(m) + after

        text = re.sub(r"(\w?)" + pattern + r"(?=(\w?))", lambda m: sub(m), text)

    glued(r"C\{([^{}]*)\}", lambda m: f"``{m.group(2)}``" if m.group(2) else "")
    glued(r"L\{([^{}]*)\}", lambda m: link(m, 2))
    glued(r"U\{([^{}]*)\}", lambda m: url(m, 2))
    glued(r"I\{([^{}]*)\}", lambda m: f"*{m.group(2)}*")
    glued(r"B\{([^{}]*)\}", lambda m: f"**{m.group(2)}**")
    return text


_OPEN = re.compile(r"[CLUIB]\{[^{}]*$")


def _joinMarkup(lines: list[str]) -> list[str]:
    """
    Join a line whose inline markup (C{C{...}}, C{L{...}}, ...) is closed
    only on the next line to that line, so that the markup is converted
    whole; the lines of a paragraph may be joined in reST.
    """
    out: list[str] = []
    for line in lines:
        if out and _OPEN.search(out[-1]) and line.strip():
            out[-1] = out[-1].rstrip() + " " + line.strip()
        else:
            out.append(line)
    return out


def convert(lines: list[str]) -> list[str]:
    """
    Convert one docstring's lines, in place semantics aside: returns new
    lines.
    """
    out: list[str] = []
    inField = False
    for line in _joinMarkup(lines):
        m = _FIELD.match(line)
        if m:
            indent, tag, arg, rest = m.groups()
            role = _FIELDS.get(tag)
            if role is None:  # @note, @see, ...: keep as a paragraph
                if out and out[-1].strip():
                    out.append("")
                out.append(f"{indent}*{tag.capitalize()}:* {_inline(rest)}")
                inField = False
                continue
            if not inField and out and out[-1].strip():
                out.append("")
            field = f":{role} {arg.strip()}:" if arg else f":{role}:"
            out.append(f"{indent}{field} {_inline(rest)}".rstrip())
            inField = True
            continue
        if inField and line.strip() and line.startswith((" ", "\t")):
            out.append("    " + _inline(line.strip()))
            continue
        inField = False if not line.strip() else inField
        out.append(_inline(line))
    return out


def _process(
    app: Any, what: str, name: str, obj: Any, options: Any, lines: list[str]
) -> None:
    lines[:] = convert(lines)


def setup(app: Any) -> dict[str, Any]:
    app.connect("autodoc-process-docstring", _process)
    return {"parallel_read_safe": True, "version": "1"}
