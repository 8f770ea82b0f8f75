# twistd -n -y hello.tac
import tornado.web
from twisted.application import service

from txtornado.service import TornadoService


class Hello(tornado.web.RequestHandler):
    def get(self):
        self.write("hello from a .tac file")


def make_app():
    return tornado.web.Application([(r"/", Hello)])


application = service.Application("hello")
TornadoService(
    make_app, ["tcp:0:interface=127.0.0.1"], shutdown_timeout=5
).setServiceParent(application)
