"""
The layout rules of the tests.  Tests mirror the modules: every library
module (and dropin) names its test modules in a C{test-case-name} header on
its first line (Twisted's convention, read by C{trial --testmodule} and
editors), and each test module named there exists.  Tests that run per
reactor or per loop set-up get their classes from the one parametrizer,
L{txtornado.test._helpers.parametrize}.  Runs under pytest and trial.
"""

from __future__ import annotations

import re
from pathlib import Path

from twisted.trial.unittest import SynchronousTestCase

import txtornado
from txtornado.test._helpers import parametrize

PACKAGE = Path(txtornado.__file__).parent
ROOT = PACKAGE.parent

#: Library modules without a header, with why.
NO_TESTS = {
    "txtornado/_version.py": "the version string only",
}

_HEADER = re.compile(r"# -\*- test-case-name: ([\w.,]+) -\*-$")


def library_modules() -> list[Path]:
    """
    The package's modules outside C{txtornado/test}, and its dropins.
    """
    modules = [
        path
        for path in sorted(PACKAGE.rglob("*.py"))
        if "test" not in path.relative_to(PACKAGE).parts[:1]
    ]
    plugins = ROOT / "twisted" / "plugins"
    return modules + sorted(plugins.glob("txtornado_*.py"))


def named_tests(path: Path) -> list[str] | None:
    """
    The test modules C{path}'s first line names, or C{None} if it has no
    C{test-case-name} header there.
    """
    with path.open(encoding="utf-8") as f:
        first = f.readline().rstrip("\n")
    match = _HEADER.match(first)
    return match.group(1).split(",") if match else None


class TestCaseNameTests(SynchronousTestCase):
    """
    Every library module's C{test-case-name} header.
    """

    def test_every_module_names_existing_tests(self) -> None:
        """
        Every library module but those in L{NO_TESTS} starts with a
        C{test-case-name} header naming only test modules of
        C{txtornado.test} that exist.
        """
        problems = []
        for path in library_modules():
            name = path.relative_to(ROOT).as_posix()
            if name in NO_TESTS:
                continue
            tests = named_tests(path)
            if tests is None:
                problems.append(f"{name}: no test-case-name header on line 1")
                continue
            for test in tests:
                module = test.removeprefix("txtornado.test.")
                if module == test or not (PACKAGE / "test" / f"{module}.py").exists():
                    problems.append(f"{name}: names {test}, which does not exist")
        self.assertEqual(problems, [])

    def test_checks_something(self) -> None:
        """
        The walk finds the modules (the rule cannot pass by finding none),
        and a header naming a missing module is read as naming it.
        """
        names = {p.relative_to(ROOT).as_posix() for p in library_modules()}
        self.assertTrue(
            {
                "txtornado/eventloop.py",
                "txtornado/_loop_on_reactor/selector.py",
                "txtornado/_reactor_on_loop/signals.py",
                "twisted/plugins/txtornado_reactors.py",
            }
            <= names,
            names,
        )
        path = Path(self.mktemp())
        path.write_text(
            "# -*- test-case-name: txtornado.test.test_nothing -*-\n", "utf-8"
        )
        self.assertEqual(named_tests(path), ["txtornado.test.test_nothing"])
        path.write_text('"""\nNo header.\n"""\n', "utf-8")
        self.assertIsNone(named_tests(path))

    def test_no_tests_listed_exist(self) -> None:
        """
        Every module in L{NO_TESTS} exists, so the list cannot outlive it.
        """
        for name in NO_TESTS:
            self.assertTrue((ROOT / name).exists(), name)


class _Sample:
    """
    A mixin for L{ParametrizeTests}.
    """

    value: int

    def test_value(self) -> None:
        pass


class ParametrizeTests(SynchronousTestCase):
    """
    L{txtornado.test._helpers.parametrize}, the one way the tests make one
    test class per reactor or loop set-up.
    """

    def namespace(self) -> dict[str, object]:
        return {"__name__": "txtornado.test.sample"}

    def test_classes(self) -> None:
        """
        One C{SynchronousTestCase} subclass of the mixins per variant, named
        by the pattern, with the variant's attributes, in the namespace's
        module, and found by trial's loader there.
        """
        import types

        from twisted.trial.runner import TestLoader

        namespace = self.namespace()
        made = parametrize(
            namespace, _Sample, {"One": {"value": 1}, "Two": {"value": 2}}
        )
        self.assertEqual(
            [c.__name__ for c in made], ["SampleOneTests", "SampleTwoTests"]
        )
        for cls, value in zip(made, (1, 2), strict=True):
            self.assertIs(namespace[cls.__name__], cls)
            self.assertTrue(issubclass(cls, (_Sample)))
            self.assertTrue(issubclass(cls, SynchronousTestCase))
            self.assertEqual(
                (cls.value, cls.__module__), (value, "txtornado.test.sample")
            )  # type: ignore[attr-defined]
        module = types.ModuleType("txtornado.test.sample")
        vars(module).update(namespace)
        suite = TestLoader().loadModule(module)
        self.assertEqual(suite.countTestCases(), 2)

    def test_name_pattern(self) -> None:
        """
        The pattern may use the mixin's name with or without C{Tests}.
        """
        namespace = self.namespace()
        made = parametrize(namespace, _Sample, {"X": {}}, name="{mixin}_{variant}")
        self.assertEqual(made[0].__name__, "Sample_X")

    def test_duplicate_refused(self) -> None:
        """
        A class name already in the namespace is refused, not replaced.
        """
        namespace = self.namespace()
        parametrize(namespace, _Sample, {"X": {}})
        with self.assertRaises(ValueError):
            parametrize(namespace, _Sample, {"X": {}})
