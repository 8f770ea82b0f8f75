import pytest
import pytest_twisted
import tornado.web


class Hello(tornado.web.RequestHandler):
    def get(self):
        self.write("hello")


@pytest.fixture
def tornado_app():
    return tornado.web.Application([(r"/", Hello)])


@pytest_twisted.ensureDeferred
async def test_hello(tornado_server):
    response = await tornado_server.fetch("/")
    assert response.body == b"hello"
