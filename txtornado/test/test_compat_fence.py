# -*- test-case-name: txtornado.test.test_compat_fence -*-
"""
The private-API fence holds: outside C{txtornado/_compat/}, no module of the
txtornado package touches a private name of another framework.

L{find_touches} walks a module's syntax tree and reports, as C{file:line},
every

  - import of a private name or module of another package
    (C{from twisted.internet.posixbase import _NO_FILEDESC});
  - underscore attribute (not a dunder) of a foreign object: of an imported
    module or class (C{pytest_twisted._install_reactor},
    C{BaseIOStream._handle_read(self)}), of C{self} when a foreign base
    class defines it (C{self._closed} in a C{BaseIOStream} subclass), or of
    any other object when txtornado defines no attribute of that name
    (C{loop._ready}); C{getattr}/C{setattr}/C{hasattr}/C{delattr} with a
    literal name count as attributes;
  - method or class attribute whose name starts with C{_} (not a dunder)
    in a class, overriding one of a foreign base class
    (C{def _add_io_state} in a C{BaseIOStream} subclass);
  - C{obj.__dict__} or C{vars(obj)} of an object other than C{self}/C{cls}
    (reading past another class's attribute protocol).

"Foreign" is decided from the names txtornado itself defines: an
underscore name is txtornado's if a module of the package defines it (at
module level, in a class body, or as C{self._x = ...} in a class none of
whose foreign bases has it).  A foreign base class's private names are
those in its C{__dict__} and the C{self._x} of its source.  An object
whose type the syntax does not tell (a local, a parameter, an attribute
chain) is foreign when its attribute's name is not txtornado's, or when it
is also a private name of a foreign base and the module itself defines no
such attribute.

A few underscore names are public API of the standard library
(L{PUBLIC_UNDERSCORE_NAMES}); nothing else is exempt.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import inspect
import textwrap
import types
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from twisted.trial.unittest import SynchronousTestCase

import txtornado

#: The package's directory, and the fence inside it.
PACKAGE = Path(txtornado.__file__).resolve().parent
FENCE = PACKAGE / "_compat"
TESTS = PACKAGE / "test"

#: Underscore attributes the standard library documents as public:
#: C{os._exit}, and the methods and fields of named tuples.
PUBLIC_UNDERSCORE_NAMES = frozenset(
    {("os", "_exit"), (None, "_replace"), (None, "_asdict"), (None, "_fields")}
)

_ATTRIBUTE_FUNCTIONS = frozenset({"getattr", "setattr", "hasattr", "delattr"})


def is_private(name: str) -> bool:
    """
    Whether C{name} is private by Python's convention: it starts with an
    underscore and is not a dunder (nor C{_} alone).
    """
    return (
        name.startswith("_")
        and name != "_"
        and not (name.startswith("__") and name.endswith("__"))
    )


def _is_own_object(obj: object) -> bool:
    module = getattr(
        obj, "__name__" if isinstance(obj, types.ModuleType) else "__module__", None
    )
    return isinstance(module, str) and (
        module == "txtornado" or module.startswith("txtornado.")
    )


@dataclass(frozen=True)
class Touch:
    """
    A private touch: where, and what.
    """

    path: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what}"


@dataclass
class Source:
    """
    A module to check: its file name (as reported), text, and the namespace
    of the module as imported (to resolve base classes and imported names).
    """

    path: str
    text: str
    namespace: dict[str, Any]
    tree: ast.Module = field(init=False)

    def __post_init__(self) -> None:
        self.tree = ast.parse(self.text, self.path)


_foreign_cache: dict[type, frozenset[str]] = {}


def foreign_private_names(cls: type) -> frozenset[str]:
    """
    The private names that the foreign classes of C{cls}'s MRO define: those
    in their C{__dict__}, and each C{self._x} their source mentions.
    """
    names: set[str] = set()
    for klass in cls.__mro__:
        if klass is object or _is_own_object(klass):
            continue
        cached = _foreign_cache.get(klass)
        if cached is None:
            found = {name for name in vars(klass) if is_private(name)}
            try:
                source = textwrap.dedent(inspect.getsource(klass))
                tree = ast.parse(source)
            except (OSError, TypeError, SyntaxError):
                tree = None
            if tree is not None:
                for node in ast.walk(tree):
                    if (
                        isinstance(node, ast.Attribute)
                        and isinstance(node.value, ast.Name)
                        and node.value.id == "self"
                        and is_private(node.attr)
                    ):
                        found.add(node.attr)
            cached = _foreign_cache[klass] = frozenset(found)
        names |= cached
    return frozenset(names)


def _resolve(expr: ast.expr, namespace: dict[str, Any]) -> Any:
    """
    The object a base class expression names in C{namespace}; raises
    C{LookupError} if it cannot be told.
    """
    if isinstance(expr, ast.Name):
        if expr.id in namespace:
            return namespace[expr.id]
        if hasattr(builtins, expr.id):
            return getattr(builtins, expr.id)
        raise LookupError(expr.id)
    if isinstance(expr, ast.Attribute):
        try:
            return getattr(_resolve(expr.value, namespace), expr.attr)
        except AttributeError as e:
            raise LookupError(expr.attr) from e
    if isinstance(expr, ast.Subscript):
        return _resolve(expr.value, namespace)
    raise LookupError(ast.dump(expr))


def class_foreign_names(
    node: ast.ClassDef, namespace: dict[str, Any]
) -> frozenset[str] | None:
    """
    The foreign private names of the class C{node} defines (see
    L{foreign_private_names}); C{None} if one of its bases cannot be
    resolved (a class defined in a function, on a local base).
    """
    names: set[str] = set()
    for base in node.bases:
        try:
            obj = _resolve(base, namespace)
        except LookupError:
            return None
        if isinstance(obj, type):
            names |= foreign_private_names(obj)
    return frozenset(names)


def _is_self_attribute(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id in ("self", "cls")
    )


@dataclass
class OwnNames:
    """
    The underscore names txtornado defines: per module, in the whole
    package, and the foreign private names of every class it subclasses.
    """

    package: set[str] = field(default_factory=set)
    by_module: dict[str, set[str]] = field(default_factory=dict)
    foreign: set[str] = field(default_factory=set)

    def add(self, source: Source) -> None:
        """
        Add the names C{source} defines.
        """
        own = self.by_module.setdefault(source.path, set())

        def target_names(target: ast.expr) -> Iterator[str]:
            if isinstance(target, ast.Name):
                yield target.id
            elif isinstance(target, (ast.Tuple, ast.List)):
                for element in target.elts:
                    yield from target_names(element)

        def body_names(body: Iterable[ast.stmt]) -> Iterator[str]:
            for stmt in body:
                if isinstance(
                    stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
                ):
                    yield stmt.name
                elif isinstance(stmt, ast.Assign):
                    for target in stmt.targets:
                        yield from target_names(target)
                elif isinstance(stmt, (ast.AnnAssign, ast.AugAssign)):
                    yield from target_names(stmt.target)
                elif isinstance(stmt, (ast.If, ast.Try, ast.With)):
                    yield from body_names(stmt.body)
                    yield from body_names(getattr(stmt, "orelse", ()))
                    for handler in getattr(stmt, "handlers", ()):
                        yield from body_names(handler.body)
                    yield from body_names(getattr(stmt, "finalbody", ()))

        own.update(name for name in body_names(source.tree.body) if is_private(name))

        def visit_class(node: ast.ClassDef) -> None:
            foreign = class_foreign_names(node, source.namespace) or frozenset()
            self.foreign.update(foreign)
            own.update(
                name
                for name in body_names(node.body)
                if is_private(name) and name not in foreign
            )
            for child in ast.walk(node):
                if (
                    _is_self_attribute(child)
                    and isinstance(child.ctx, (ast.Store, ast.Del))  # type: ignore[attr-defined]
                    and is_private(child.attr)  # type: ignore[attr-defined]
                    and child.attr not in foreign  # type: ignore[attr-defined]
                ):
                    own.add(child.attr)  # type: ignore[attr-defined]

        for node in ast.walk(source.tree):
            if isinstance(node, ast.ClassDef):
                visit_class(node)
        self.package |= own


def _bound_names(
    function: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda,
) -> dict[str, ast.AST | None]:
    """
    The names bound in C{function}'s own scope: to the import statement
    that binds them, or to C{None} (a parameter, an assignment, ...).
    """
    bound: dict[str, ast.AST | None] = {}
    args = function.args
    for arg in (
        *args.posonlyargs,
        *args.args,
        *args.kwonlyargs,
        args.vararg,
        args.kwarg,
    ):
        if arg is not None:
            bound[arg.arg] = None
    body: list[ast.AST] = (
        [function.body] if isinstance(function, ast.Lambda) else list(function.body)
    )
    stack = body
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound[node.name] = None
            continue  # a scope of its own
        if isinstance(node, ast.Lambda):
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            bound[node.id] = None
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                name = alias.asname or alias.name.split(".")[0]
                bound[name] = node
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound[node.name] = None
        stack.extend(ast.iter_child_nodes(node))
    return bound


def _imported(node: ast.Import | ast.ImportFrom, name: str) -> Any:
    """
    What the import statement C{node} binds to C{name}; raises
    C{LookupError} if that cannot be imported.
    """
    for alias in node.names:
        if (alias.asname or alias.name.split(".")[0]) != name:
            continue
        try:
            if isinstance(node, ast.Import):
                return importlib.import_module(alias.name if alias.asname else name)
            module = node.module or ""
            try:
                return importlib.import_module(f"{module}.{alias.name}")
            except ImportError:
                return getattr(importlib.import_module(module), alias.name)
        except (ImportError, AttributeError) as e:
            raise LookupError(name) from e
    raise LookupError(name)


class _Checker(ast.NodeVisitor):
    """
    Walks one module and collects its L{Touch}es.
    """

    def __init__(self, source: Source, own: OwnNames) -> None:
        self.source = source
        self.own = own
        self.module_own = own.by_module.get(source.path, set())
        self.touches: list[Touch] = []
        # (class node, its foreign names or None) for each enclosing class
        self.classes: list[tuple[ast.ClassDef, frozenset[str] | None]] = []
        # the bound names of each enclosing function, innermost last
        self.scopes: list[dict[str, ast.AST | None]] = []
        # the innermost class whose method encloses the current node
        self.method_class: list[frozenset[str] | bool | None] = []

    def report(self, node: ast.AST, what: str) -> None:
        self.touches.append(Touch(self.source.path, getattr(node, "lineno", 0), what))

    # scopes

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        foreign = class_foreign_names(node, self.source.namespace)
        if foreign:
            for stmt in node.body:
                names: list[tuple[str, ast.AST]] = []
                if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    names.append((stmt.name, stmt))
                elif isinstance(stmt, ast.Assign):
                    names.extend(
                        (t.id, t) for t in stmt.targets if isinstance(t, ast.Name)
                    )
                elif isinstance(stmt, ast.AnnAssign) and isinstance(
                    stmt.target, ast.Name
                ):
                    names.append((stmt.target.id, stmt))
                for name, where in names:
                    if is_private(name) and name in foreign:
                        self.report(
                            where,
                            f"class {node.name} overrides {name}, a private "
                            "name of a foreign base class",
                        )
        for decorator in node.decorator_list:
            self.visit(decorator)
        for base in (*node.bases, *node.keywords):
            self.visit(base)
        self.classes.append((node, foreign))
        for stmt in node.body:
            self.visit(stmt)
        self.classes.pop()

    def _visit_function(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
    ) -> None:
        if not isinstance(node, ast.Lambda):
            for decorator in node.decorator_list:
                self.visit(decorator)
        method_class: frozenset[str] | bool | None = (
            self.method_class[-1] if self.method_class else False
        )
        if self._directly_in_class(node):
            method_class = self.classes[-1][1]
        self.scopes.append(_bound_names(node))
        self.method_class.append(method_class)
        if isinstance(node, ast.Lambda):
            self.visit(node.body)
        else:
            for arg in (*node.args.defaults, *node.args.kw_defaults):
                if arg is not None:
                    self.visit(arg)
            for stmt in node.body:
                self.visit(stmt)
        self.method_class.pop()
        self.scopes.pop()

    def _directly_in_class(self, node: ast.AST) -> bool:
        return bool(self.classes) and any(
            stmt is node for stmt in self.classes[-1][0].body
        )

    visit_FunctionDef = _visit_function
    visit_AsyncFunctionDef = _visit_function
    visit_Lambda = _visit_function

    # what a name means here

    def lookup(self, name: str) -> tuple[str, Any]:
        """
        What C{name} is at this point: C{("local", None)}, C{("object",
        obj)} (an import or a module-level name), or C{("unknown", None)}.
        """
        for scope in reversed(self.scopes):
            if name in scope:
                binding = scope[name]
                if isinstance(binding, (ast.Import, ast.ImportFrom)):
                    try:
                        return ("object", _imported(binding, name))
                    except LookupError:
                        return ("unknown", None)
                return ("local", None)
        namespace = self.source.namespace
        if name in namespace:
            return ("object", namespace[name])
        if hasattr(builtins, name):
            return ("object", getattr(builtins, name))
        return ("unknown", None)

    # the checks

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if node.level == 0 and not (
            module == "txtornado" or module.startswith("txtornado.")
        ):
            if any(is_private(part) for part in module.split(".")):
                self.report(node, f"imports from {module}, a private module")
            for alias in node.names:
                if is_private(alias.name):
                    self.report(
                        node, f"imports {alias.name}, a private name of {module}"
                    )

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            name = alias.name
            if name.startswith("txtornado."):
                continue
            if any(is_private(part) for part in name.split(".")):
                self.report(node, f"imports {name}, a private module")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr == "__dict__" and not _is_self_attribute(node):
            self.report(node, "reads the __dict__ of another object")
        elif is_private(node.attr):
            self.check(node, node.value, node.attr, isinstance(node.ctx, ast.Load))
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Name) and self.lookup(func.id)[0] == "object":
            if (
                func.id in _ATTRIBUTE_FUNCTIONS
                and len(node.args) >= 2
                and isinstance(node.args[1], ast.Constant)
                and isinstance(node.args[1].value, str)
                and is_private(node.args[1].value)
            ):
                self.check(
                    node,
                    node.args[0],
                    node.args[1].value,
                    func.id in ("getattr", "hasattr"),
                )
            elif (
                func.id == "vars"
                and node.args
                and not (
                    isinstance(node.args[0], ast.Name)
                    and node.args[0].id in ("self", "cls")
                )
            ):
                self.report(node, "reads the __dict__ of another object (vars)")
        self.generic_visit(node)

    def check(self, node: ast.AST, obj: ast.expr, name: str, reading: bool) -> None:
        """
        Report C{obj.name} if it is a foreign private name.
        """
        verb = "reads" if reading else "sets"
        if isinstance(obj, ast.Name) and obj.id in ("self", "cls"):
            if self.method_class and self.method_class[-1] is not False:
                foreign = self.method_class[-1]
                if foreign is not None and name in foreign:
                    self.report(
                        node,
                        f"{verb} {obj.id}.{name}, a private name of a foreign base class",
                    )
                    return
                if foreign is not None and name in self.own.package:
                    return
                if foreign is not None:
                    self.report(
                        node, f"{verb} {obj.id}.{name}, which txtornado does not define"
                    )
                    return
            self.check_unknown(node, obj, name, verb)
            return
        if (
            isinstance(obj, ast.Call)
            and isinstance(obj.func, ast.Name)
            and obj.func.id == "super"
            and self.method_class
            and isinstance(self.method_class[-1], frozenset)
        ):
            if name in self.method_class[-1]:
                self.report(
                    node,
                    f"{verb} super().{name}, a private name of a foreign base class",
                )
            return
        if isinstance(obj, ast.Name):
            kind, value = self.lookup(obj.id)
            if kind == "object":
                for module, public in PUBLIC_UNDERSCORE_NAMES:
                    if (
                        public == name
                        and module is not None
                        and value is importlib.import_module(module)
                    ):
                        return
                if isinstance(
                    value,
                    (
                        types.ModuleType,
                        type,
                        types.FunctionType,
                        types.BuiltinFunctionType,
                    ),
                ):
                    if _is_own_object(value):
                        if isinstance(value, type) and name in foreign_private_names(
                            value
                        ):
                            self.report(
                                node,
                                f"{verb} {obj.id}.{name}, a private name of a foreign base class",
                            )
                        return
                    self.report(
                        node,
                        f"{verb} {obj.id}.{name}, a private name of {getattr(value, '__name__', obj.id)}",
                    )
                    return
        self.check_unknown(node, obj, name, verb)

    def check_unknown(self, node: ast.AST, obj: ast.expr, name: str, verb: str) -> None:
        """
        C{obj.name} where the syntax does not tell what C{obj} is.
        """
        if any(
            module is None and public == name
            for module, public in PUBLIC_UNDERSCORE_NAMES
        ):
            return
        if name in self.module_own:
            return
        if name in self.own.package and name not in self.own.foreign:
            return
        what = ast.unparse(obj)
        if name in self.own.package:
            reason = (
                "a private name of a foreign base class, not defined in this module"
            )
        else:
            reason = "a private name txtornado does not define"
        self.report(node, f"{verb} {what}.{name}, {reason}")


def find_touches(sources: Iterable[Source], own: OwnNames | None = None) -> list[Touch]:
    """
    The private touches in C{sources}.  C{own} defaults to the names the
    sources themselves define.
    """
    sources = list(sources)
    if own is None:
        own = OwnNames()
        for source in sources:
            own.add(source)
    touches: list[Touch] = []
    for source in sources:
        checker = _Checker(source, own)
        checker.visit(source.tree)
        touches.extend(checker.touches)
    return touches


def package_sources(include_fence: bool = False) -> list[Source]:
    """
    Every module of the txtornado package but its tests (and the fence,
    unless C{include_fence}), imported.
    """
    sources = []
    root = PACKAGE.parent
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.is_relative_to(TESTS) or (
            not include_fence and path.is_relative_to(FENCE)
        ):
            continue
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        module = importlib.import_module(".".join(parts))
        sources.append(
            Source(str(path.relative_to(root)), path.read_text(), vars(module))
        )
    return sources


def source_from_text(text: str, path: str = "<test>") -> Source:
    """
    A L{Source} for module text: the text is run to make its namespace.
    """
    text = textwrap.dedent(text)
    namespace: dict[str, Any] = {"__name__": "txtornado.test._fence_sample"}
    exec(compile(text, path, "exec"), namespace)
    return Source(path, text, namespace)


class FenceTests(SynchronousTestCase):
    """
    L{find_touches} on the package, and on small sources.
    """

    def test_package(self) -> None:
        """
        No module of the package outside C{txtornado/_compat/} touches a
        private name of another framework.
        """
        own = OwnNames()
        for source in package_sources(include_fence=True):
            own.add(source)
        touches = find_touches(package_sources(), own)
        if touches:
            self.fail(
                f"{len(touches)} private touches outside txtornado/_compat/:\n"
                + "\n".join(str(t) for t in touches)
            )

    def assertTouches(self, text: str, expected: list[tuple[int, str]]) -> None:
        """
        L{find_touches} finds in C{text} a touch on each line given, whose
        description contains the text given.
        """
        touches = find_touches([source_from_text(text)])
        found = [(t.line, t.what) for t in touches]
        self.assertEqual(len(found), len(expected), found)
        for (line, what), (want_line, want) in zip(found, expected, strict=True):
            self.assertEqual(line, want_line, found)
            self.assertIn(want, what, found)

    def test_clean(self) -> None:
        """
        Private names a module defines itself, on C{self}, on its own
        classes and on objects of unknown type, are not touches; nor are
        public names of foreign objects, nor C{os._exit}.
        """
        self.assertTouches(
            """
            import os
            from tornado.iostream import BaseIOStream

            _LIMIT = 3

            class Counter:
                def __init__(self):
                    self._count = 0

                def _bump(self):
                    self._count += 1

            class Stream(BaseIOStream):
                def __init__(self):
                    self._mine = 1

                def fileno(self):
                    return self._mine

            def use(counter, stream):
                counter._bump()
                stream.close()
                if counter._count > _LIMIT:
                    os._exit(1)
                return Counter._bump
            """,
            [],
        )

    def test_touches(self) -> None:
        """
        A private name of an imported module, class or function, a private
        name of a foreign base read or set on C{self}, an override of a
        foreign base's private method, a foreign private name on an object
        of unknown type, a private import, C{getattr} with a private name,
        and C{__dict__}/C{vars} of another object are each reported with
        their line.
        """
        self.assertTouches(
            """
            import asyncio
            from asyncio import events
            from tornado.iostream import BaseIOStream
            from twisted.internet.posixbase import _NO_FILEDESC

            class Stream(BaseIOStream):
                def _add_io_state(self, state):
                    pass

                def size(self):
                    return self._read_buffer_size

                def close_now(self):
                    self._closed = True
                    BaseIOStream._handle_read(self)

            def tick(loop):
                events._get_running_loop()
                getattr(loop, "_scheduled")
                return loop._ready

            def peek(transport):
                return transport.__dict__, vars(transport)
            """,
            [
                (5, "imports _NO_FILEDESC"),
                (8, "overrides _add_io_state"),
                (12, "reads self._read_buffer_size"),
                (15, "sets self._closed"),
                (16, "reads BaseIOStream._handle_read"),
                (19, "reads events._get_running_loop"),
                (20, "reads loop._scheduled"),
                (21, "reads loop._ready"),
                (24, "__dict__"),
                (24, "vars"),
            ],
        )
