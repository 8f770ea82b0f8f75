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
(C{ssl_options=None}), and send SNI (the host name) when they do.
"""

from __future__ import annotations

import ssl
from typing import Any

from OpenSSL.crypto import FILETYPE_ASN1
from twisted.internet import ssl as tssl
from twisted.internet.interfaces import (
    IOpenSSLClientConnectionCreator,
    IOpenSSLContextFactory,
    IOpenSSLServerConnectionCreator,
)

__all__ = ["client_creator", "server_options"]


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
