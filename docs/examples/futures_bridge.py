"""
The futures bridge, both ways, on TornadoReactor.

A Tornado coroutine awaits a Deferred-returning Twisted API; Twisted code
awaits a Tornado coroutine; @gen.coroutine yields a Deferred; cancelling
the future cancels the Deferred.
"""

import asyncio

import txtornado

reactor = txtornado.install()

from tornado import gen  # noqa: E402
from twisted.internet import defer, task  # noqa: E402

from txtornado import deferred_from_future, future_from_deferred  # noqa: E402


def twistedAPI(value):
    """A Deferred-returning Twisted API."""
    return task.deferLater(reactor, 0.01, lambda: value * 2)


async def tornadoCoroutine(value):
    await gen.sleep(0.01)
    return value + 1


@gen.coroutine
def oldStyle():
    result = yield twistedAPI(10)  # yield a Deferred in @gen.coroutine
    return result


async def fromTornado():
    doubled = await twistedAPI(21)  # a bare await, in an asyncio task
    print("Tornado awaited a Deferred:", doubled)
    tripled = await future_from_deferred(twistedAPI(15))  # the explicit form
    print("and a Deferred as a future:", tripled)
    print("@gen.coroutine yielded a Deferred:", await oldStyle())


async def fromTwisted():
    incremented = await deferred_from_future(tornadoCoroutine(41))
    print("Twisted awaited a Tornado coroutine:", incremented)


async def cancellation():
    # The bridge consumes the Deferred (as Twisted's asFuture does): watch
    # its canceller rather than awaiting it again.
    d = defer.Deferred(lambda d: print("cancelling the future cancelled the Deferred"))
    future = future_from_deferred(d)
    future.cancel()
    print("the future is cancelled:", future.cancelled())


async def main():
    await deferred_from_future(asyncio.ensure_future(fromTornado()))
    await fromTwisted()
    await cancellation()
    reactor.stop()


reactor.callWhenRunning(lambda: defer.ensureDeferred(main()))
reactor.run()
