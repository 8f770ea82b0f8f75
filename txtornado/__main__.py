# -*- test-case-name: txtornado.test.test_install -*-
"""
C{python -m txtornado}: what is installed and where to go next.

Prints txtornado's version, the Twisted, Tornado and Python it runs with,
the reactors Twisted can select by name (C{tornado} among them when the
C{twisted/plugins} dropin is visible), and the commands that start the demo
and read the docs.  It installs no reactor and starts nothing.
"""

from __future__ import annotations

import sys
from importlib.metadata import PackageNotFoundError, version


def _version(distribution: str) -> str:
    try:
        return version(distribution)
    except PackageNotFoundError:
        return "not installed"


def describe() -> str:
    """
    The text C{python -m txtornado} prints.
    """
    from twisted.application.reactors import getReactorTypes

    from txtornado._version import __version__

    reactors = sorted(r.shortName for r in getReactorTypes())
    lines = [
        f"txtornado {__version__}",
        f"  Twisted {_version('twisted')}, Tornado {_version('tornado')}, "
        f"Python {sys.version.split()[0]}",
        f"  reactors: {', '.join(reactors)}",
    ]
    if "tornado" not in reactors:
        lines.append(
            "  warning: Twisted does not see the 'tornado' reactor "
            "(twisted/plugins/txtornado_reactors.py is not on sys.path)"
        )
    lines += [
        "",
        "  demo:    python -m txtornado.demo",
        "  serve:   twistd -n tornado --app pkg.module:make_app",
        "  reactor: twistd --reactor=tornado ..., trial --reactor=tornado ...",
        "  docs:    docs/ in the source distribution (Sphinx)",
    ]
    return "\n".join(lines)


def main() -> None:
    """
    Print L{describe}'s text.
    """
    print(describe())


if __name__ == "__main__":
    main()
