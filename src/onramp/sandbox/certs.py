"""TLS material and the token-signing key, kept in the data directory so restarts reuse them.

Reusing the CA means a client that trusted `ca.pem` once keeps working; reusing the signing key
means tokens handed out before a restart still verify at the sandbox's Graph.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import os
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

_WILDCARD_HOSTS = {"", "0.0.0.0", "::"}  # noqa: S104 - names, not a bind


def _write_private(path: Path, data: bytes) -> None:
    """Write a key readable by the owner only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _covers(cert_path: Path, names: list[str]) -> bool:
    """True when the stored server certificate is still valid for every name we serve."""
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    if cert.not_valid_after_utc < datetime.now(UTC) + timedelta(days=1):
        return False
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    dns = set(san.get_values_for_type(x509.DNSName))
    ips = {str(ip) for ip in san.get_values_for_type(x509.IPAddress)}
    for name in names:
        try:
            if str(ipaddress.ip_address(name)) not in ips:
                return False
        except ValueError:
            if name not in dns:
                return False
    return True


def server_context(data_dir: Path, host: str) -> tuple[ssl.SSLContext, Path]:
    """Create or reuse the CA and the server certificate; return the TLS context and ca.pem."""
    ca_pem, ca_key = data_dir / "ca.pem", data_dir / "ca-key.pem"
    cert_pem, key_pem = data_dir / "server.pem", data_dir / "server-key.pem"
    names = ["localhost", "127.0.0.1", "::1"]
    if host not in _WILDCARD_HOSTS and host not in names:
        names.append(host)
    if ca_pem.exists() and ca_key.exists():
        ca = trustme.CA.from_pem(ca_pem.read_bytes(), ca_key.read_bytes())
    else:
        ca = trustme.CA(organization_name="Onramp sandbox")
        _write_private(ca_key, ca.private_key_pem.bytes())
        ca.cert_pem.write_to_path(str(ca_pem))
    if not (cert_pem.exists() and key_pem.exists() and _covers(cert_pem, names)):
        leaf = ca.issue_cert(*names)
        cert_pem.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
        _write_private(key_pem, leaf.private_key_pem.bytes())
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_pem, key_pem)
    return context, ca_pem.resolve()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64url_int(value: int) -> str:
    return _b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


@dataclass
class SigningKey:
    """The RSA key behind every access token; key objects are parsed once and cached here."""

    private: rsa.RSAPrivateKey
    certificate: x509.Certificate

    @classmethod
    def load_or_create(cls, data_dir: Path) -> SigningKey:
        key_path, cert_path = data_dir / "signing-key.pem", data_dir / "signing-cert.pem"
        if key_path.exists() and cert_path.exists():
            private = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
            assert isinstance(private, rsa.RSAPrivateKey)
            return cls(private, x509.load_pem_x509_certificate(cert_path.read_bytes()))
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Onramp sandbox token signing")])
        now = datetime.now(UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(private.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=3650))
            .sign(private, hashes.SHA256())
        )
        _write_private(
            key_path,
            private.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
        )
        cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        return cls(private, certificate)

    def __post_init__(self) -> None:
        der = self.certificate.public_bytes(serialization.Encoding.DER)
        self.kid = _b64url(hashlib.sha1(der).digest())  # noqa: S324 - x5t is SHA-1 by definition
        self._x5c = base64.b64encode(der).decode()
        self.public = self.private.public_key()

    def jwk(self, issuer: str) -> dict:
        """The JWKS entry, with the fields Microsoft publishes."""
        numbers = self.public.public_numbers()
        return {
            "kty": "RSA",
            "use": "sig",
            "kid": self.kid,
            "x5t": self.kid,
            "n": _b64url_int(numbers.n),
            "e": _b64url_int(numbers.e),
            "x5c": [self._x5c],
            "cloud_instance_name": "microsoftonline.com",
            "issuer": issuer,
        }

    def mint(self, claims: dict) -> str:
        """RS256 JWT with the v1 header (typ, alg, kid, x5t)."""
        return jwt.encode(
            claims, self.private, algorithm="RS256", headers={"kid": self.kid, "x5t": self.kid}
        )

    def verify(self, token: str, audiences: list[str]) -> dict:
        """Claims of a token we signed; raises jwt.PyJWTError when bad, expired or not for us."""
        return jwt.decode(
            token,
            self.public,
            algorithms=["RS256"],
            audience=audiences,
            options={"require": ["exp", "aud", "tid"]},
        )
