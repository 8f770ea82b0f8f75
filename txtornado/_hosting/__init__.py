# -*- test-case-name: txtornado.test.test_hosting,txtornado.test.test_twistd_hosting -*-
"""
Internals of hosting a Tornado application as a server (C{twistd tornado},
L{txtornado.service.TornadoService}): proxy headers from trusted peers
(L{proxy}), the concurrency limit (L{limits}), the log options (L{logs})
and worker processes (L{workers}).
"""
