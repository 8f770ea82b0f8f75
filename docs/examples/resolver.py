"""
TwistedResolver: Tornado's name resolution through Twisted's, here on
TwistedIOLoop over the default reactor.
"""

import socket

from twisted.internet import defer, reactor

import txtornado

txtornado.TwistedIOLoop().install()


async def main():
    resolver = txtornado.TwistedResolver()
    # A literal address comes back at once, without a lookup.
    print(await resolver.resolve("127.0.0.1", 80))
    # A name from /etc/hosts, through the reactor's nameResolver.
    addresses = await resolver.resolve("localhost", 8080, socket.AF_INET)
    print(("127.0.0.1", 8080) in [address for family, address in addresses])
    try:
        await resolver.resolve("no-such-host.invalid", 80)
    except OSError as e:
        print("OSError naming the host:", "no-such-host.invalid" in str(e))
    reactor.stop()


reactor.callWhenRunning(
    lambda: defer.Deferred.fromFuture(__import__("asyncio").ensure_future(main()))
)
reactor.run()
