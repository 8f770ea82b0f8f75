"""
Tornado's C{ssl_options} as Twisted TLS options.

Tornado takes TLS settings as an C{ssl.SSLContext} or as a dict of
C{ssl.wrap_socket} arguments; Twisted's TLS runs on pyOpenSSL and takes an
C{IOpenSSLClientConnectionCreator} (from C{optionsForClientTLS}) or a
C{CertificateOptions}.  L{client_creator} and L{server_options} translate.

What is honoured:

  - dict form, client: C{ca_certs} (PEM file; default: the platform's trust
    store), C{cert_reqs} (C{ssl.CERT_NONE} turns verification, and the
    host name check, off; anything else verifies), C{certfile}/C{keyfile}
    (the client certificate), C{ciphers} (an OpenSSL cipher string).
  - dict form, server: C{certfile}/C{keyfile} (required; C{keyfile}
    defaults to C{certfile}; the first certificate is the server's, any
    others are sent as its chain), C{cert_reqs} (C{CERT_REQUIRED} /
    C{CERT_OPTIONAL} ask for a client certificate verified against
    C{ca_certs}), C{ca_certs}, C{ciphers}.
  - C{ssl.SSLContext}, client only: C{verify_mode}, C{check_hostname} and
    the CA certificates loaded into it from files or data
    (C{get_ca_certs}; if there are none, the platform's trust store).
    A client certificate loaded into a context cannot be read back from
    it: pass the dict form instead (L{txtornado.endpoints.EndpointHTTPClient}
    does, from a request's C{client_cert}/C{client_key}).
  - A server C{ssl.SSLContext} cannot be translated (its certificate
    cannot be read back) and raises C{TypeError}.
  - Twisted options objects (C{IOpenSSLClientConnectionCreator},
    C{IOpenSSLServerConnectionCreator}, C{IOpenSSLContextFactory} such as
    C{CertificateOptions}) are used as they are.

Clients verify the server's certificate and host name by default
(C{ssl_options=None}), and send SNI (the host name) when they do.  A
server picks its certificate by the name a client sends with
L{SNIServerOptions}.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from typing import Any

from OpenSSL import SSL
from OpenSSL.crypto import FILETYPE_ASN1
from twisted.internet import ssl as tssl
from twisted.internet.interfaces import (
    IOpenSSLClientConnectionCreator,
    IOpenSSLContextFactory,
    IOpenSSLServerConnectionCreator,
)
from zope.interface import implementer

__all__ = ["SNIServerOptions", "client_creator", "server_options"]


def _is_twisted_options(options: Any) -> bool:
    return bool(
        IOpenSSLClientConnectionCreator.providedBy(options)
        or IOpenSSLServerConnectionCreator.providedBy(options)
        or IOpenSSLContextFactory.providedBy(options)
    )


def _read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def _pem_certificates(data: bytes) -> list[tssl.Certificate]:
    marker = b"-----BEGIN CERTIFICATE-----"
    parts = data.split(marker)[1:]
    return [tssl.Certificate.loadPEM(marker + part) for part in parts]


def _ciphers(options: dict[str, Any]) -> dict[str, Any]:
    if options.get("ciphers"):
        return {
            "acceptableCiphers": tssl.AcceptableCiphers.fromOpenSSLCipherString(
                options["ciphers"]
            )
        }
    return {}


def _private_certificate(certfile: str, keyfile: str | None) -> tssl.PrivateCertificate:
    certs = _pem_certificates(_read(certfile))
    if not certs:
        raise ValueError(f"no certificate in {certfile}")
    key = tssl.KeyPair.load(_read(keyfile or certfile), tssl.SSL.FILETYPE_PEM)  # type: ignore[attr-defined]
    private: tssl.PrivateCertificate = (
        tssl.PrivateCertificate.fromCertificateAndKeyPair(certs[0], key)
    )
    return private


def client_creator(ssl_options: Any, server_hostname: str | None) -> Any:
    """
    Twisted client TLS options for Tornado's C{ssl_options} (C{None}, dict,
    C{ssl.SSLContext} or Twisted options) connecting to
    C{server_hostname}.  Verification is on unless C{ssl_options} turns it
    off; it needs C{server_hostname}.
    """
    if _is_twisted_options(ssl_options):
        return ssl_options
    trust: Any = None
    client_cert: tssl.PrivateCertificate | None = None
    extra: dict[str, Any] = {}
    verify = True
    check_hostname = True
    if ssl_options is None:
        pass
    elif isinstance(ssl_options, ssl.SSLContext):
        verify = ssl_options.verify_mode != ssl.CERT_NONE
        check_hostname = ssl_options.check_hostname
        ders = ssl_options.get_ca_certs(binary_form=True)
        if ders:
            trust = tssl.trustRootFromCertificates(
                [tssl.Certificate.load(der, FILETYPE_ASN1) for der in ders]
            )
    elif isinstance(ssl_options, dict):
        verify = ssl_options.get("cert_reqs", ssl.CERT_REQUIRED) != ssl.CERT_NONE
        check_hostname = verify
        if ssl_options.get("ca_certs"):
            trust = tssl.trustRootFromCertificates(
                _pem_certificates(_read(ssl_options["ca_certs"]))
            )
        if ssl_options.get("certfile"):
            client_cert = _private_certificate(
                ssl_options["certfile"], ssl_options.get("keyfile")
            )
        extra = _ciphers(ssl_options)
    else:
        raise TypeError(f"unsupported ssl_options: {ssl_options!r}")
    if verify and check_hostname:
        if not server_hostname:
            raise ValueError("server_hostname is needed to verify the certificate")
        return tssl.optionsForClientTLS(
            server_hostname,
            trustRoot=trust,
            clientCertificate=client_cert,
            extraCertificateOptions=extra or None,
        )
    cert_kwargs: dict[str, Any] = dict(extra)
    if client_cert is not None:
        cert_kwargs.update(
            privateKey=client_cert.privateKey.original,
            certificate=client_cert.original,
        )
    if verify:
        cert_kwargs["trustRoot"] = trust or tssl.platformTrust()
    return tssl.CertificateOptions(**cert_kwargs)


def server_options(ssl_options: Any) -> Any:
    """
    Twisted server TLS options for Tornado's dict form C{ssl_options} (or
    Twisted options, returned as they are).
    """
    if _is_twisted_options(ssl_options):
        return ssl_options
    if isinstance(ssl_options, ssl.SSLContext):
        raise TypeError(
            "an ssl.SSLContext cannot be used for a Twisted TLS server (its "
            "certificate cannot be read back): pass ssl_options as a dict "
            "(certfile, keyfile, ...) or Twisted CertificateOptions"
        )
    if not isinstance(ssl_options, dict) or not ssl_options.get("certfile"):
        raise TypeError(f"server ssl_options need a certfile: {ssl_options!r}")
    certs = _pem_certificates(_read(ssl_options["certfile"]))
    private = _private_certificate(ssl_options["certfile"], ssl_options.get("keyfile"))
    kwargs: dict[str, Any] = _ciphers(ssl_options)
    kwargs.update(
        privateKey=private.privateKey.original,
        certificate=private.original,
        extraCertChain=[c.original for c in certs[1:]],
    )
    cert_reqs = ssl_options.get("cert_reqs", ssl.CERT_NONE)
    if cert_reqs != ssl.CERT_NONE:
        cas = _pem_certificates(_read(ssl_options["ca_certs"]))
        kwargs.update(
            verify=True,
            caCerts=[c.original for c in cas],
            requireCertificate=cert_reqs == ssl.CERT_REQUIRED,
        )
    return tssl.CertificateOptions(**kwargs)


def _context(ssl_options: Any) -> SSL.Context:
    options = server_options(ssl_options)
    if not IOpenSSLContextFactory.providedBy(options):
        raise TypeError(
            f"{options!r} is not an IOpenSSLContextFactory (such as "
            "CertificateOptions): SNIServerOptions needs its OpenSSL context"
        )
    context: SSL.Context = options.getContext()
    return context


def _normalize(name: str) -> str:
    return name.lower().rstrip(".")


@implementer(IOpenSSLContextFactory)
class SNIServerOptions:
    """
    Server TLS options that pick the certificate by the host name the client
    sends (SNI), for C{ssl_options} of a Tornado server served with
    L{txtornado.listen} or C{start_tls}, and anywhere Twisted takes an
    C{IOpenSSLContextFactory} (C{listenSSL}, C{SSL4ServerEndpoint}).

    A client that sends no name, or one not listed, gets C{default}.  Names
    are matched without case and trailing dot; a name C{"*.example.com"}
    matches one label in its place (C{"a.example.com"}), an exact name
    wins over it.

    The OpenSSL contexts are built once, here; C{default}'s is the one
    every connection starts with, and gets the SNI callback.
    """

    def __init__(self, by_name: Mapping[str, Any], default: Any = None) -> None:
        """
        @param by_name: host name to server C{ssl_options} (Tornado's dict
            form, or Twisted options such as C{CertificateOptions}).
        @param default: the C{ssl_options} for other names; by default the
            first of C{by_name}.
        @raise ValueError: if there are no options at all.
        @raise TypeError: for options that are not server options.
        """
        if not by_name and default is None:
            raise ValueError("SNIServerOptions needs at least one certificate")
        self._contexts = {
            _normalize(name): _context(options) for name, options in by_name.items()
        }
        if default is None:
            self._default = next(iter(self._contexts.values()))
        else:
            self._default = _context(default)
        self._default.set_tlsext_servername_callback(self._select)

    def getContext(self) -> SSL.Context:
        """
        The context every connection starts with (C{IOpenSSLContextFactory}).
        """
        return self._default

    def context_for(self, name: str | None) -> SSL.Context:
        """
        The context for a connection to host name C{name}.
        """
        if not name:
            return self._default
        name = _normalize(name)
        context = self._contexts.get(name)
        if context is None and "." in name:
            context = self._contexts.get("*." + name.split(".", 1)[1])
        return context if context is not None else self._default

    def _select(self, connection: SSL.Connection) -> None:
        """
        OpenSSL's SNI callback, during the handshake: switch the connection
        to the name's context.
        """
        raw = connection.get_servername()
        name = raw.decode("ascii", "replace") if raw else None
        context = self.context_for(name)
        if context is not self._default:
            connection.set_context(context)
