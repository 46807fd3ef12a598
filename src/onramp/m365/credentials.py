"""What an application proves itself with: a client secret, or a certificate whose private key
signs the client assertion MSAL sends (research/provisioning.md B.2).

Both kinds answer the same questions (what MSAL is given, where the application lists the
credential and which entry is this one), so validation has one code path for either. Neither
shows its secret part in ``repr``, so a credential in a log line or a traceback leaks nothing.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DEFAULT_VALIDITY_DAYS = 365
KEY_SIZE = 2048
# Backdated a little, as CIPP does, so a clock a few minutes behind still accepts it.
NOT_BEFORE_MARGIN = timedelta(minutes=15)


@dataclass(frozen=True)
class ClientSecret:
    value: str = field(repr=False)

    kind: ClassVar[str] = "secret"
    noun: ClassVar[str] = "client secret"
    listed_in: ClassVar[str] = "passwordCredentials"

    @property
    def hint(self) -> str:
        return self.value[:3]

    def msal_credential(self) -> str:
        return self.value

    def is_entry(self, entry: dict[str, Any]) -> bool:
        """Microsoft lists a secret by its first three characters only."""
        return entry.get("hint") == self.hint

    def expiry_message(self, expires_at: datetime, days: int, matches: int) -> str:
        message = f"The client secret expires on {expires_at:%Y-%m-%d} ({days} days)."
        if matches > 1:
            message += (
                f" The match is ambiguous: {matches} secrets start with '{self.hint}'; "
                "the earliest expiry is shown."
            )
        return message

    def unlisted_message(self) -> str:
        return (
            f"No client secret starting with '{self.hint}' is listed on the application, so its "
            "expiry date is unknown. Enter the expiry date by hand."
        )


@dataclass(frozen=True)
class ClientCertificate:
    """A certificate and its private key; build with ``load`` so the facts match the PEM."""

    certificate_pem: str
    private_key_pem: str = field(repr=False)
    thumbprint_sha1: str  # upper-case hex, as the Entra admin center shows it
    thumbprint_sha256: str
    expires_at: datetime

    kind: ClassVar[str] = "certificate"
    noun: ClassVar[str] = "certificate"
    listed_in: ClassVar[str] = "keyCredentials"
    hint: ClassVar[None] = None

    @classmethod
    def load(cls, certificate_pem: str, private_key_pem: str) -> ClientCertificate:
        """Raises ValueError for a PEM that is not an X.509 certificate."""
        certificate = x509.load_pem_x509_certificate(certificate_pem.encode())
        der = certificate.public_bytes(serialization.Encoding.DER)
        return cls(
            certificate_pem=certificate_pem,
            private_key_pem=private_key_pem,
            thumbprint_sha1=hashlib.sha1(der).hexdigest().upper(),  # noqa: S324 - x5t is SHA-1
            thumbprint_sha256=hashlib.sha256(der).hexdigest().upper(),
            expires_at=certificate.not_valid_after_utc,
        )

    @property
    def key_base64(self) -> str:
        """The public certificate as keyCredentials' ``key`` holds it (base64 DER)."""
        der = x509.load_pem_x509_certificate(self.certificate_pem.encode()).public_bytes(
            serialization.Encoding.DER
        )
        return base64.b64encode(der).decode()

    def msal_credential(self) -> dict[str, str]:
        return {"private_key": self.private_key_pem, "thumbprint": self.thumbprint_sha1}

    def is_entry(self, entry: dict[str, Any]) -> bool:
        """Graph gives ``customKeyIdentifier`` as base64 of the SHA-1 thumbprint; older tools
        show it as hex. Either names this certificate."""
        listed = str(entry.get("customKeyIdentifier") or "")
        as_base64 = base64.b64encode(bytes.fromhex(self.thumbprint_sha1)).decode()
        return listed == as_base64 or listed.upper() == self.thumbprint_sha1

    def expiry_message(self, expires_at: datetime, days: int, matches: int) -> str:
        return f"The certificate expires on {expires_at:%Y-%m-%d} ({days} days)."

    def unlisted_message(self) -> str:
        return (
            f"The certificate {self.thumbprint_sha1} is not listed among the application's "
            "certificates, so Microsoft's expiry date for it is unknown."
        )


Credential = ClientSecret | ClientCertificate


def key_pair_generate(
    *,
    subject: str = "Onramp",
    validity_days: int = DEFAULT_VALIDITY_DAYS,
    now: datetime | None = None,
) -> ClientCertificate:
    """A new RSA key pair and a self-signed certificate (client authentication) valid from
    ``now`` for ``validity_days``: the public part is uploaded to the application, the private
    key never leaves Onramp."""
    if validity_days < 1:
        raise ValueError("validity_days must be at least 1")
    now = now or datetime.now(UTC)
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - NOT_BEFORE_MARGIN)
        .not_valid_after(now + timedelta(days=validity_days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    private_key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return ClientCertificate.load(
        certificate.public_bytes(serialization.Encoding.PEM).decode(), private_key_pem
    )
