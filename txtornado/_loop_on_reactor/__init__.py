# -*- test-case-name: txtornado.test.test_selector -*-
"""
Internals of the loop-on-reactor direction: asyncio's event loop and
Tornado's IOLoop running on a Twisted reactor (L{txtornado.eventloop},
L{txtornado.ioloop}, L{txtornado.policy}).
"""
