# -*- test-case-name: txtornado.test.test_signals,txtornado.test.test_childwatcher,txtornado.test.test_registrations,txtornado.test.test_runstate,txtornado.test.test_sweep,txtornado.test.test_timer,txtornado.test.test_writesoon -*-
"""
Internals of the reactor-on-loop direction: a Twisted reactor running on
Tornado's IOLoop and asyncio's event loop (L{txtornado.reactor}).
"""
