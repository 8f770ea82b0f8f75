# -*- test-case-name: txtornado.test.test_tls -*-
"""
Tornado's C{ssl_options} as Twisted TLS options.

Tornado takes TLS settings as an C{ssl.SSLContext} or as a dict of
C{ssl.wrap_socket} arguments; Twisted's TLS runs on pyOpenSSL and takes an
C{IOpenSSLClientConnectionCreator} (from C{optionsForClientTLS}) or a
C{CertificateOptions}.  L{client_creator} and L{server_options} translate.

What is honoured (anything else is refused, never dropped):

  - dict form: exactly Tornado's keys (L{SSL_OPTIONS_KEYS}); any other
    key raises C{ValueError} naming it.
  - dict form, client: C{ca_certs} (PEM file; default: the platform's trust
    store), C{cert_reqs} (C{ssl.CERT_NONE} turns verification, and the
    host name check, off; C{CERT_OPTIONAL}/C{CERT_REQUIRED} verify),
    C{certfile}/C{keyfile} (the client certificate), C{ciphers} (an
    OpenSSL cipher string), C{ssl_version} (C{PROTOCOL_TLS}/
    C{PROTOCOL_TLS_CLIENT}: the defaults; C{PROTOCOL_TLSv1},
    C{PROTOCOL_TLSv1_1}, C{PROTOCOL_TLSv1_2}: that version only;
    C{PROTOCOL_TLS_SERVER} is refused).
  - dict form, server: C{certfile}/C{keyfile} (required; C{keyfile}
    defaults to C{certfile}; the first certificate is the server's, any
    others are sent as its chain), C{cert_reqs} (C{CERT_REQUIRED} /
    C{CERT_OPTIONAL} ask for a client certificate verified against
    C{ca_certs}, which they need), C{ca_certs}, C{ciphers}, C{ssl_version}
    (as for a client, with C{PROTOCOL_TLS_SERVER} a default and
    C{PROTOCOL_TLS_CLIENT} refused).
  - C{ssl.SSLContext}, client only: C{verify_mode}, C{check_hostname},
    the CA certificates loaded into it from files or data
    (C{get_ca_certs}; if there are none, the platform's trust store),
    C{minimum_version}/C{maximum_version} and the C{OP_NO_TLSv1*} options
    (versions that are not one range are refused), and its cipher suites
    for TLS 1.2 and below (C{get_ciphers}).  Certificate revocation checks
    (C{VERIFY_CRL_CHECK_*} in C{verify_flags}) are refused.  A client
    certificate loaded into a context cannot be read back from it: pass
    the dict form instead (L{txtornado.endpoints.EndpointHTTPClient} does,
    from a request's C{client_cert}/C{client_key}).
  - A server C{ssl.SSLContext} cannot be translated (its certificate
    cannot be read back) and raises C{TypeError}.
  - Twisted options objects (C{IOpenSSLClientConnectionCreator},
    C{IOpenSSLServerConnectionCreator}, C{IOpenSSLContextFactory} such as
    C{CertificateOptions}) are used as they are.

Defaults, as Python's C{ssl} module and Tornado have them: TLS 1.2 and
1.3 (Twisted's minimum is TLS 1.2), the TLS 1.2 cipher suites of
L{DEFAULT_CIPHERS} (ECDHE or DHE key exchange with AES-GCM, ChaCha20 or
AES with SHA-2 MACs; no SHA-1 MACs, no RSA key exchange), OpenSSL's TLS 1.3
suites, no TLS compression; the server picks the cipher.

Clients verify the server's certificate and host name by default
(C{ssl_options=None}), and send SNI (the host name) when they do.  A
server picks its certificate by the name a client sends with
L{SNIServerOptions}, and answers ALPN as L{serve_alpn} says.
"""

from __future__ import annotations

import functools
import ssl
from collections.abc import Mapping, Sequence
from typing import Any
from weakref import WeakKeyDictionary

from OpenSSL import SSL
from OpenSSL.crypto import FILETYPE_ASN1
from twisted.internet import ssl as tssl
from twisted.internet.interfaces import (
    IOpenSSLClientConnectionCreator,
    IOpenSSLContextFactory,
    IOpenSSLServerConnectionCreator,
)
from zope.interface import implementer

__all__ = [
    "DEFAULT_CIPHERS",
    "SSL_OPTIONS_KEYS",
    "SNIServerOptions",
    "client_creator",
    "serve_alpn",
    "server_options",
]


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


#: the keys of Tornado's dict form of C{ssl_options}
#: (C{tornado.netutil._SSL_CONTEXT_KEYWORDS}); any other key is an error
SSL_OPTIONS_KEYS = frozenset(
    ["ssl_version", "certfile", "keyfile", "cert_reqs", "ca_certs", "ciphers"]
)

#: the cipher suites (TLS 1.2 and below) a server or client accepts unless its
#: C{ssl_options} name others: Python's C{ssl} module's default (and so
#: Tornado's), AES-GCM, ChaCha20 and AES with ECDHE/DHE key exchange, no
#: SHA-1 MAC; TLS 1.3 suites are OpenSSL's (as with Python's C{ssl})
DEFAULT_CIPHERS = (
    "ECDH+AESGCM:ECDH+CHACHA20:ECDH+AES:DHE+AES:!aNULL:!eNULL:!aDSS:!SHA1:!AESCCM"
)

_TLS_VERSIONS: dict[ssl.TLSVersion, Any] = {
    ssl.TLSVersion.SSLv3: tssl.TLSVersion.SSLv3,
    ssl.TLSVersion.TLSv1: tssl.TLSVersion.TLSv1_0,
    ssl.TLSVersion.TLSv1_1: tssl.TLSVersion.TLSv1_1,
    ssl.TLSVersion.TLSv1_2: tssl.TLSVersion.TLSv1_2,
    ssl.TLSVersion.TLSv1_3: tssl.TLSVersion.TLSv1_3,
}

_ORDERED_VERSIONS = list(_TLS_VERSIONS)

#: C{ssl.OP_NO_*} per version, for an C{SSLContext}'s C{options}
_DISABLE_FLAGS: dict[ssl.TLSVersion, int] = {
    ssl.TLSVersion.SSLv3: ssl.OP_NO_SSLv3,
    ssl.TLSVersion.TLSv1: ssl.OP_NO_TLSv1,
    ssl.TLSVersion.TLSv1_1: ssl.OP_NO_TLSv1_1,
    ssl.TLSVersion.TLSv1_2: ssl.OP_NO_TLSv1_2,
    ssl.TLSVersion.TLSv1_3: ssl.OP_NO_TLSv1_3,
}

#: the single version of each version-specific C{ssl_version}
_PROTOCOL_VERSIONS: dict[int, ssl.TLSVersion] = {
    ssl.PROTOCOL_TLSv1: ssl.TLSVersion.TLSv1,
    ssl.PROTOCOL_TLSv1_1: ssl.TLSVersion.TLSv1_1,
    ssl.PROTOCOL_TLSv1_2: ssl.TLSVersion.TLSv1_2,
}

_CERT_REQS = (ssl.CERT_NONE, ssl.CERT_OPTIONAL, ssl.CERT_REQUIRED)

#: C{SSLContext.verify_flags} that Twisted's TLS cannot honour
_CRL_FLAGS = ssl.VERIFY_CRL_CHECK_LEAF | ssl.VERIFY_CRL_CHECK_CHAIN


def _check_keys(ssl_options: dict[str, Any], server_side: bool) -> None:
    """
    Refuse keys Tornado does not take, and values that cannot be honoured.
    """
    unknown = sorted(set(ssl_options) - SSL_OPTIONS_KEYS)
    if unknown:
        raise ValueError(
            f"unknown ssl_options {', '.join(map(repr, unknown))}: Tornado's dict "
            f"form takes {', '.join(sorted(SSL_OPTIONS_KEYS))}"
        )
    cert_reqs = ssl_options.get("cert_reqs", ssl.CERT_NONE)
    if cert_reqs not in _CERT_REQS:
        raise ValueError(
            f"ssl_options cert_reqs={cert_reqs!r}: not ssl.CERT_NONE, "
            "ssl.CERT_OPTIONAL or ssl.CERT_REQUIRED"
        )


def _ciphers(cipher_string: str | None) -> dict[str, Any]:
    """
    C{CertificateOptions}' C{acceptableCiphers} for an OpenSSL cipher
    string (L{DEFAULT_CIPHERS} for C{None}).
    """
    return {
        "acceptableCiphers": tssl.AcceptableCiphers.fromOpenSSLCipherString(
            cipher_string or DEFAULT_CIPHERS
        )
    }


def _versions(
    minimum: ssl.TLSVersion | None, maximum: ssl.TLSVersion | None
) -> dict[str, Any]:
    """
    C{CertificateOptions}' keyword arguments for TLS versions C{minimum} to
    C{maximum} (C{None}: Twisted's default minimum, TLS 1.2; the newest).
    """
    kwargs: dict[str, Any] = {}
    if minimum is not None:
        kwargs["insecurelyLowerMinimumTo"] = _TLS_VERSIONS[minimum]
    if maximum is not None and maximum != ssl.TLSVersion.TLSv1_3:
        if _maximum_is_exclusive():
            maximum = _ORDERED_VERSIONS[_ORDERED_VERSIONS.index(maximum) + 1]
        kwargs["lowerMaximumSecurityTo"] = _TLS_VERSIONS[maximum]
    return kwargs


@functools.cache
def _maximum_is_exclusive() -> bool:
    """
    Whether this Twisted's C{CertificateOptions} disables the version named
    as C{lowerMaximumSecurityTo} too (contrary to its documentation, as
    Twisted 24.7 does; the probe can go once the oldest supported Twisted
    allows it), found from the context it makes for TLS 1.2
    to 1.2 (C{set_options(0)} reads the context's options back).
    """
    probe = tssl.CertificateOptions(
        insecurelyLowerMinimumTo=tssl.TLSVersion.TLSv1_2,
        lowerMaximumSecurityTo=tssl.TLSVersion.TLSv1_2,
    ).getContext()
    return bool(probe.set_options(0) & SSL.OP_NO_TLSv1_2)


def _protocol_versions(ssl_version: Any, server_side: bool) -> dict[str, Any]:
    """
    The TLS versions of Tornado's C{ssl_version} (an C{ssl.PROTOCOL_*}).
    """
    generic = {ssl.PROTOCOL_TLS}
    generic.add(ssl.PROTOCOL_TLS_SERVER if server_side else ssl.PROTOCOL_TLS_CLIENT)
    if ssl_version is None or ssl_version in generic:
        return {}
    version = _PROTOCOL_VERSIONS.get(ssl_version)
    if version is None:
        side = "a server" if server_side else "a client"
        raise ValueError(
            f"ssl_options ssl_version={ssl_version!r} cannot be used for {side}"
        )
    return _versions(version, version)


def _context_versions(context: ssl.SSLContext) -> dict[str, Any]:
    """
    The TLS versions an C{ssl.SSLContext} allows: its C{minimum_version} and
    C{maximum_version}, less those its C{options} disable
    (C{OP_NO_TLSv1_3}, ...).

    @raise ValueError: if the versions left are not one range.
    """
    low = context.minimum_version
    high = context.maximum_version
    allowed = [
        v
        for v in _ORDERED_VERSIONS
        if (low == ssl.TLSVersion.MINIMUM_SUPPORTED or v >= low)
        and (high == ssl.TLSVersion.MAXIMUM_SUPPORTED or v <= high)
        and not context.options & _DISABLE_FLAGS[v]
    ]
    if not allowed:
        raise ValueError(f"{context!r} allows no TLS version")
    first = _ORDERED_VERSIONS.index(allowed[0])
    if allowed != _ORDERED_VERSIONS[first : first + len(allowed)]:
        raise ValueError(
            f"{context!r} allows TLS versions {[v.name for v in allowed]}, "
            "which are not one range: Twisted's TLS takes a minimum and a maximum"
        )
    return _versions(allowed[0], allowed[-1])


def _context_ciphers(context: ssl.SSLContext) -> dict[str, Any]:
    """
    The cipher suites (TLS 1.2 and below) of an C{ssl.SSLContext}.
    """
    names = [c["name"] for c in context.get_ciphers() if c["protocol"] != "TLSv1.3"]
    if not names:
        raise ValueError(f"{context!r} has no cipher suite for TLS 1.2 or below")
    return _ciphers(":".join(names))


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

    @raise ValueError: for a dict key Tornado does not take, or a setting
        that cannot be honoured (see the module).
    """
    if _is_twisted_options(ssl_options):
        return ssl_options
    trust: Any = None
    client_cert: tssl.PrivateCertificate | None = None
    extra: dict[str, Any]
    verify = True
    check_hostname = True
    if ssl_options is None:
        extra = _ciphers(None)
    elif isinstance(ssl_options, ssl.SSLContext):
        if ssl_options.verify_flags & _CRL_FLAGS:
            raise ValueError(
                f"{ssl_options!r} checks certificate revocation lists "
                "(verify_flags), which Twisted's TLS does not: pass Twisted "
                "client TLS options instead"
            )
        verify = ssl_options.verify_mode != ssl.CERT_NONE
        check_hostname = ssl_options.check_hostname
        ders = ssl_options.get_ca_certs(binary_form=True)
        if ders:
            trust = tssl.trustRootFromCertificates(
                [tssl.Certificate.load(der, FILETYPE_ASN1) for der in ders]
            )
        extra = {**_context_ciphers(ssl_options), **_context_versions(ssl_options)}
    elif isinstance(ssl_options, dict):
        _check_keys(ssl_options, server_side=False)
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
        extra = {
            **_ciphers(ssl_options.get("ciphers")),
            **_protocol_versions(ssl_options.get("ssl_version"), server_side=False),
        }
    else:
        raise TypeError(f"unsupported ssl_options: {ssl_options!r}")
    if verify and check_hostname:
        if not server_hostname:
            raise ValueError("server_hostname is needed to verify the certificate")
        return tssl.optionsForClientTLS(
            server_hostname,
            trustRoot=trust,
            clientCertificate=client_cert,
            extraCertificateOptions=extra,
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

    @raise ValueError: for a key Tornado does not take, or a setting that
        cannot be honoured (see the module).
    @raise TypeError: for an C{ssl.SSLContext}, or a dict without
        C{certfile}.
    """
    if _is_twisted_options(ssl_options):
        return ssl_options
    if isinstance(ssl_options, ssl.SSLContext):
        raise TypeError(
            "an ssl.SSLContext cannot be used for a Twisted TLS server (its "
            "certificate cannot be read back): pass ssl_options as a dict "
            "(certfile, keyfile, ...) or Twisted CertificateOptions"
        )
    if not isinstance(ssl_options, dict):
        raise TypeError(f"unsupported server ssl_options: {ssl_options!r}")
    _check_keys(ssl_options, server_side=True)
    if not ssl_options.get("certfile"):
        raise TypeError(f"server ssl_options need a certfile: {ssl_options!r}")
    certs = _pem_certificates(_read(ssl_options["certfile"]))
    private = _private_certificate(ssl_options["certfile"], ssl_options.get("keyfile"))
    kwargs: dict[str, Any] = {
        **_ciphers(ssl_options.get("ciphers")),
        **_protocol_versions(ssl_options.get("ssl_version"), server_side=True),
    }
    kwargs.update(
        privateKey=private.privateKey.original,
        certificate=private.original,
        extraCertChain=[c.original for c in certs[1:]],
    )
    cert_reqs = ssl_options.get("cert_reqs", ssl.CERT_NONE)
    if cert_reqs != ssl.CERT_NONE:
        if not ssl_options.get("ca_certs"):
            raise ValueError(
                "ssl_options cert_reqs asks for client certificates: give "
                "ca_certs, the CA certificates to verify them against"
            )
        cas = _pem_certificates(_read(ssl_options["ca_certs"]))
        kwargs.update(
            verify=True,
            caCerts=[c.original for c in cas],
            requireCertificate=cert_reqs == ssl.CERT_REQUIRED,
        )
    options = tssl.CertificateOptions(**kwargs)
    _answer_alpn(options.getContext())
    return options


#: the ALPN protocols each server connection of L{serve_alpn} picks from
_served_protocols: WeakKeyDictionary[SSL.Connection, tuple[bytes, ...]] = (
    WeakKeyDictionary()
)


def _alpn_select(connection: SSL.Connection, offered: list[bytes]) -> Any:
    """
    OpenSSL's ALPN callback, during a server's handshake: the first of the
    connection's protocols the client offers, else no protocol.
    """
    for protocol in _served_protocols.get(connection, ()):
        if protocol in offered:
            return protocol
    return SSL.NO_OVERLAPPING_PROTOCOLS


def serve_alpn(tls: Any, protocols: Sequence[bytes]) -> None:
    """
    Tell the server side of a TLS connection which ALPN protocols it
    speaks (most preferred first), before its handshake (in
    C{connectionMade}, or right after C{startTLS}).

    Contexts made here (L{server_options}' dict form, L{SNIServerOptions})
    answer ALPN as Python's C{ssl} module does: with the first of the
    connection's protocols that the client offers, and, if it offers none
    of them, with no protocol, the handshake going on (the client decides;
    Tornado's own servers name no protocol at all).  Other contexts
    (Twisted's C{ssl:} endpoint, C{CertificateOptions} given as options)
    answer as Twisted does; see L{txtornado.endpoints.StreamServerFactory}.

    @param tls: the connection's TLS layer (C{TLSMemoryBIOProtocol}, whose
        C{getHandle()} is the C{SSL.Connection}).
    @param protocols: ALPN protocol names, such as C{b"http/1.1"}.
    """
    connection = tls.getHandle()
    if not isinstance(connection, SSL.Connection):
        raise TypeError(f"{tls!r} has no OpenSSL connection")
    _served_protocols[connection] = tuple(protocols)


def _answer_alpn(context: SSL.Context) -> None:
    """
    Make a server context answer ALPN with the protocols of
    L{serve_alpn}; a context that has made connections already (Twisted
    options given to L{SNIServerOptions} and used elsewhere) cannot be
    changed (pyOpenSSL) and keeps Twisted's answer.
    """
    try:
        context.set_alpn_select_callback(_alpn_select)
    except ValueError:
        pass


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
        for context in {
            id(c): c for c in [self._default, *self._contexts.values()]
        }.values():
            # the context a client's name selects answers ALPN
            _answer_alpn(context)

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
