# -*- test-case-name: txtornado.test.test_twistd -*-
"""
Twisted dropin: the C{twistd tornado} subcommand, hosting a Tornado
application.  Imports nothing of tornado or txtornado until chosen.
"""

from twisted.application.service import ServiceMaker

tornado = ServiceMaker(
    "txtornado",
    "txtornado._twistd",
    "Host a Tornado application on Twisted endpoints.",
    "tornado",
)
