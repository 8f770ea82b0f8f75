"""
Serving: a tornado.web application (a websocket included) on a Twisted
server endpoint string, here on TwistedIOLoop over the default reactor;
then two graceful stops with ListeningServer.stop(timeout).
"""

import asyncio

from tornado import gen, web, websocket
from tornado.httpclient import AsyncHTTPClient
from twisted.internet import reactor

import txtornado

txtornado.TwistedIOLoop().install()

started = None  # set by Slow.get, so main() knows a request is in flight


class Hello(web.RequestHandler):
    def get(self):
        self.write(f"Hello over {self.request.protocol} from {self.request.remote_ip}")


class Slow(web.RequestHandler):
    async def get(self):
        started.set_result(None)
        await gen.sleep(float(self.get_argument("seconds")))
        if not self.request.connection.stream.closed():
            self.write("slow and done")


class Echo(websocket.WebSocketHandler):
    def on_message(self, message):
        self.write_message(message.upper())


def make_app():
    return web.Application([(r"/", Hello), (r"/slow", Slow), (r"/ws", Echo)])


async def serve():
    # Any endpoint string: "tcp:8888", "unix:/run/app.sock",
    # "ssl:8443:privateKey=key.pem:certKey=cert.pem", "systemd:domain=INET:index=0".
    listening = await txtornado.listen(make_app(), "tcp:0:interface=127.0.0.1")
    return listening, f"127.0.0.1:{listening.getHost().port}"


async def main():
    global started
    client = AsyncHTTPClient()

    listening, address = await serve()
    response = await client.fetch(f"http://{address}/")
    print(response.body.decode())
    ws = await websocket.websocket_connect(f"ws://{address}/ws")
    await ws.write_message("hello, websocket")
    print(await ws.read_message())
    ws.close()

    # A graceful stop: stop listening, let the request in flight finish.
    started = asyncio.get_running_loop().create_future()
    slow = asyncio.ensure_future(client.fetch(f"http://{address}/slow?seconds=0.2"))
    await started
    stopping = listening.stop(timeout=5)
    try:
        await client.fetch(f"http://{address}/")
    except OSError:
        print("new connections are refused")
    print((await slow).body.decode())
    print("aborted while busy:", await stopping)

    # A stop whose timeout passes: the busy connection is aborted.
    listening, address = await serve()
    started = asyncio.get_running_loop().create_future()
    slow = asyncio.ensure_future(client.fetch(f"http://{address}/slow?seconds=3"))
    await started
    print("aborted while busy:", await listening.stop(timeout=0.2))
    try:
        await slow
    except ConnectionResetError:
        print("the client's connection was reset")


async def run():
    try:
        await main()
    finally:
        reactor.stop()


reactor.callWhenRunning(txtornado.deferred_from_future, run())
reactor.run()
