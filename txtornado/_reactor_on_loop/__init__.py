# -*- test-case-name: txtornado.test.test_signals -*-
"""
Internals of the reactor-on-loop direction: a Twisted reactor running on
Tornado's IOLoop and asyncio's event loop (L{txtornado.reactor}).
"""
