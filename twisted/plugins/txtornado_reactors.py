# -*- test-case-name: txtornado.test.test_install -*-
"""
Twisted dropin: makes C{--reactor=tornado} available to twistd and trial.

It imports neither tornado nor C{twisted.internet.reactor}: the reactor
module is imported only when the reactor is chosen.
"""

from twisted.application.reactors import Reactor

tornado = Reactor(
    "tornado",
    "txtornado.reactor",
    "Tornado IOLoop (asyncio) based reactor, from txtornado.",
)
