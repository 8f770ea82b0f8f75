"""
Helpers shared by txtornado's tests: the reactors to run every test on, and
L{parametrize}, the one way to make one test class per reactor or per loop
set-up that both pytest and trial collect.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from twisted.internet.epollreactor import EPollReactor
from twisted.internet.pollreactor import PollReactor
from twisted.internet.selectreactor import SelectReactor
from twisted.trial.unittest import SynchronousTestCase

#: Reactor classes every test runs on; each test builds a new instance.
REACTORS: dict[str, Callable[[], Any]] = {
    "EPoll": EPollReactor,
    "Poll": PollReactor,
    "Select": SelectReactor,
}


#: What one variant of a parametrized test class sets: class attributes.
Variant = Mapping[str, Any]


#: The reactors a C{twistd} child runs on, as a C{reactor} attribute (the
#: C{--reactor} name, C{None} for twistd's default): the default (epoll)
#: and TornadoReactor.
TWISTD_REACTORS: dict[str, Variant] = {
    "": {"reactor": None},
    "TornadoReactor": {"reactor": "tornado"},
}


def parametrize(
    namespace: dict[str, Any],
    mixins: type | tuple[type, ...],
    variants: Mapping[str, Variant],
    name: str = "{stem}{variant}Tests",
) -> list[type]:
    """
    Add to C{namespace} (a test module's globals) one C{SynchronousTestCase}
    subclass of C{mixins} per entry of C{variants}, with that entry's
    attributes as class attributes; pytest and trial both collect them, as
    they collect any C{TestCase} subclass in a module's globals.  This is
    the one way txtornado's tests run the same tests per reactor or per
    loop set-up (as Twisted's C{ReactorBuilder.makeTestCaseClasses} does
    per reactor).

    @param mixins: the class (or classes, the first named) holding the
        tests; not itself a C{TestCase}, and named with a leading
        underscore so that neither runner collects it.
    @param variants: the variants by name, each the class attributes that
        make it (e.g. C{{"reactorFactory": staticmethod(EPollReactor)}}).
    @param name: the classes' name, formatted with C{mixin} (the first
        mixin's name without its leading underscores), C{stem} (that
        without a trailing C{Tests}) and C{variant} (the variant's name).
    @return: the classes added, in C{variants}' order.

    @raise ValueError: if a class name would replace a name already in
        C{namespace} (two variants, or two calls, naming one class).
    """
    if isinstance(mixins, type):
        mixins = (mixins,)
    mixin = mixins[0].__name__.lstrip("_")
    stem = mixin.removesuffix("Tests")
    made = []
    for variant, attributes in variants.items():
        cls_name = name.format(mixin=mixin, stem=stem, variant=variant)
        if cls_name in namespace:
            raise ValueError(f"{cls_name} is already in {namespace['__name__']}")
        cls = type(
            cls_name,
            (*mixins, SynchronousTestCase),
            {**attributes, "__module__": namespace["__name__"]},
        )
        namespace[cls_name] = cls
        made.append(cls)
    return made


def factory_variants(
    attribute: str, factories: Mapping[str, Callable[..., Any]]
) -> dict[str, Variant]:
    """
    The variants that set C{attribute} to one of C{factories} each (as a
    C{staticmethod}, so C{self.<attribute>()} calls it with no argument).
    """
    return {
        name: {attribute: staticmethod(factory)} for name, factory in factories.items()
    }


def reactor_variants(per_fd: bool = False) -> dict[str, Variant]:
    """
    One variant per reactor in L{REACTORS}: C{reactorFactory} (the reactor
    class; each test builds a new instance) and C{nestedSelector = True}.

    @param per_fd: also one variant per reactor named C{<reactor>PerFD},
        with C{nestedSelector = False}: a L{TwistedEventLoop} test then
        tests the per-descriptor mode.
    """
    modes = [("", True), ("PerFD", False)] if per_fd else [("", True)]
    return {
        f"{name}{suffix}": {
            "reactorFactory": staticmethod(factory),
            "nestedSelector": nested,
        }
        for name, factory in REACTORS.items()
        for suffix, nested in modes
    }


def per_reactor(mixin: type, namespace: dict[str, Any], per_fd: bool = False) -> None:
    """
    L{parametrize} C{mixin} by L{reactor_variants}, naming the classes
    C{<mixin name without leading underscore><reactor>[PerFD]} (as this
    function always has).
    """
    parametrize(namespace, mixin, reactor_variants(per_fd), name="{mixin}{variant}")


def open_fds() -> set[int]:
    """
    The file descriptors open in this process now.
    """
    return {int(fd) for fd in os.listdir("/proc/self/fd")}
