# -*- test-case-name: txtornado.test.test_compat_fence,txtornado.test.test_compat_twisted,txtornado.test.test_compat_tornado,txtornado.test.test_compat_asyncio,txtornado.test.test_compat_pytest_twisted -*-
"""
The private-API fence: every use of a private name of Twisted, Tornado or
asyncio (and pytest-twisted) that txtornado cannot avoid lives in this
package, one module per framework (L{twisted}, L{tornado}, L{asyncio},
L{pytest_twisted}), behind functions, classes and constants with their
contracts written down.

Outside this package txtornado uses only the frameworks' public APIs;
C{txtornado.test.test_compat_fence} walks the package's source and fails
on any private attribute of a foreign object, or override of a foreign
private method, found elsewhere.  Each private name used here has a test
(C{txtornado.test.test_compat_twisted}, C{test_compat_tornado},
C{test_compat_asyncio}, C{test_compat_pytest_twisted}) that fails when the
framework changes it.
"""
