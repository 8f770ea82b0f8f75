"""
Internals of hosting a Tornado application as a server (C{twistd tornado},
L{txtornado.service.TornadoService}): trusted proxies, limits, static files.
"""
