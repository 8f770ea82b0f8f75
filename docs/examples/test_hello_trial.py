import tornado.web

from txtornado.testing import TornadoAppTestCase


class Hello(tornado.web.RequestHandler):
    def get(self):
        self.write("hello")


class HelloTests(TornadoAppTestCase):
    def get_app(self):
        return tornado.web.Application([(r"/", Hello)])

    async def test_hello(self):
        response = await self.fetch("/")
        self.assertEqual(response.body, b"hello")
