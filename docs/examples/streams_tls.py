"""
TLS through Twisted, here on TwistedIOLoop over the default reactor: a
Tornado TCPServer on an ssl: endpoint, on a plain one with STARTTLS, and
with a certificate per host name (SNI); clients that verify the
certificate (by default), with Tornado's dict form or an ssl.SSLContext.
"""

import datetime
import ipaddress
import os
import ssl
import tempfile

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from tornado.iostream import SSLIOStream, StreamClosedError
from tornado.tcpserver import TCPServer
from twisted.internet import reactor

import txtornado

txtornado.TwistedIOLoop().install()


def make_certificates(directory):
    """
    A CA (ca.pem) and two certificates it signed, each a PEM file with its
    key: localhost.pem (for localhost and 127.0.0.1) and alt.pem (for
    alt.example).  Returns the three paths.
    """
    now = datetime.datetime.now(datetime.UTC)
    pem = serialization.Encoding.PEM

    def issue(filename, cn, issuer=None, names=()):
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
        issuer_key, issuer_name = issuer or (key, subject)
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=not names, path_length=None), True)
        )
        if names:
            builder = builder.add_extension(x509.SubjectAlternativeName(names), False)
        cert = builder.sign(issuer_key, hashes.SHA256())
        path = os.path.join(directory, filename)
        with open(path, "wb") as f:
            f.write(cert.public_bytes(pem))
            if names:
                f.write(
                    key.private_bytes(
                        pem,
                        serialization.PrivateFormat.PKCS8,
                        serialization.NoEncryption(),
                    )
                )
        return path, (key, subject)

    ca, issuer = issue("ca.pem", "Example CA")
    loopback = x509.IPAddress(ipaddress.ip_address("127.0.0.1"))
    localhost, _ = issue(
        "localhost.pem", "localhost", issuer, [x509.DNSName("localhost"), loopback]
    )
    alt, _ = issue("alt.pem", "alt.example", issuer, [x509.DNSName("alt.example")])
    return ca, localhost, alt


CA, LOCALHOST, ALT = make_certificates(tempfile.mkdtemp(prefix="txt-"))


class Shout(TCPServer):
    """Answers lines in capitals; after a "STARTTLS" line, over TLS."""

    async def handle_stream(self, stream, address):
        try:
            if isinstance(stream, SSLIOStream):  # a TLS endpoint or ssl_options
                await stream.wait_for_handshake()
            while True:
                line = await stream.read_until(b"\n")
                if line == b"STARTTLS\n":
                    await stream.write(b"GO AHEAD\n")
                    stream = await stream.start_tls(True, {"certfile": LOCALHOST})
                    continue
                await stream.write(line.upper())
        except (StreamClosedError, ssl.SSLError, ConnectionError):
            pass  # the client left, or refused our certificate


async def attempt(port, **tls):
    try:
        stream = await txtornado.connect(f"tcp:host=127.0.0.1:port={port}", **tls)
    except ssl.SSLError as e:  # the TLS error itself, as Tornado's streams raise
        print("  refused:", type(e).__name__)
        return
    subject = stream.get_ssl_certificate()["subject"]
    await stream.write(b"verified\n")
    line = (await stream.read_until(b"\n")).decode().strip()
    print(f"  {type(stream).__name__}, subject {subject}: {line}")
    stream.close()


async def main():
    # Twisted's ssl: endpoint does TLS; the server has no ssl_options.
    endpoint = f"ssl:0:interface=127.0.0.1:privateKey={LOCALHOST}:certKey={LOCALHOST}"
    tls = await txtornado.listen(Shout(), endpoint)
    port = tls.getHost().port
    print("the platform's trust store (ssl_options=True):")
    await attempt(port, ssl_options=True, server_hostname="localhost")
    print("our CA, Tornado's dict form:")
    await attempt(port, ssl_options={"ca_certs": CA}, server_hostname="localhost")
    print("our CA in an ssl.SSLContext:")
    context = ssl.create_default_context(cafile=CA)
    await attempt(port, ssl_options=context, server_hostname="localhost")
    print("our CA, but another host name:")
    await attempt(port, ssl_options={"ca_certs": CA}, server_hostname="example.com")

    # The server's ssl_options: a certificate per name the client sends.
    sni = txtornado.SNIServerOptions(
        {"alt.example": {"certfile": ALT}}, default={"certfile": LOCALHOST}
    )
    by_name = await txtornado.listen(
        Shout(ssl_options=sni), "tcp:0:interface=127.0.0.1"
    )
    for name in ("alt.example", "localhost"):
        print(f"SNI {name}:")
        await attempt(
            by_name.getHost().port, ssl_options={"ca_certs": CA}, server_hostname=name
        )

    print("STARTTLS on a plain connection:")
    plain = await txtornado.listen(Shout(), "tcp:0:interface=127.0.0.1")
    stream = await txtornado.connect(f"tcp:host=127.0.0.1:port={plain.getHost().port}")
    await stream.write(b"STARTTLS\n")
    print(" ", (await stream.read_until(b"\n")).decode().strip())
    stream = await stream.start_tls(False, {"ca_certs": CA}, "localhost")
    await stream.write(b"now encrypted\n")
    line = (await stream.read_until(b"\n")).decode().strip()
    print(f"  {type(stream).__name__}: {line}")
    stream.close()

    for listening in (tls, by_name, plain):
        await listening.stop(timeout=1)


async def run():
    try:
        await main()
    finally:
        reactor.stop()


reactor.callWhenRunning(txtornado.deferred_from_future, run())
reactor.run()
