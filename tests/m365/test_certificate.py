"""Client credentials with a certificate: the key pair Onramp generates, and validation with it
against the real sandbox over HTTPS (MSAL signs the client assertion)."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.utils import timezone

from onramp.m365.credentials import (
    ClientCertificate,
    ClientSecret,
    key_pair_generate,
)
from tests.m365.conftest import make_tenant
from tests.m365.test_validation import CHECKS, NOT_CHECKED, checks_of


def test_key_pair_is_a_self_signed_client_certificate_for_a_year():
    now = timezone.now()
    pair = key_pair_generate(subject="Contoso voice", now=now)
    certificate = x509.load_pem_x509_certificate(pair.certificate_pem.encode())
    der = certificate.public_bytes(serialization.Encoding.DER)
    assert pair.thumbprint_sha1 == hashlib.sha1(der).hexdigest().upper()  # noqa: S324
    assert pair.thumbprint_sha256 == hashlib.sha256(der).hexdigest().upper()
    assert pair.expires_at == certificate.not_valid_after_utc
    assert pair.expires_at == (now + timedelta(days=365)).replace(microsecond=0)
    assert certificate.not_valid_before_utc == (now - timedelta(minutes=15)).replace(microsecond=0)
    assert certificate.subject == certificate.issuer
    assert certificate.subject.rfc4514_string() == "CN=Contoso voice"
    key = serialization.load_pem_private_key(pair.private_key_pem.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey) and key.key_size == 2048
    assert key.public_key().public_numbers() == certificate.public_key().public_numbers()
    assert pair.key_base64 == base64.b64encode(der).decode()
    assert "PRIVATE KEY" not in repr(pair) and pair.private_key_pem not in repr(pair)


def test_validity_days_and_its_lower_bound():
    now = timezone.now()
    assert key_pair_generate(validity_days=30, now=now).expires_at == (
        now + timedelta(days=30)
    ).replace(microsecond=0)
    with pytest.raises(ValueError, match="validity_days must be at least 1"):
        key_pair_generate(validity_days=0)


def test_secret_stays_out_of_repr():
    assert repr(ClientSecret("s3cret-value")) == "ClientSecret()"


def test_certificate_on_the_application_passes_every_check(sandbox, client_for):
    tenant = make_tenant(sandbox)
    pair = key_pair_generate(now=timezone.now())
    uploaded = sandbox.admin.add_certificate(tenant.tenant_id, tenant.app_id, pair.certificate_pem)
    assert uploaded["thumbprint_sha1"] == pair.thumbprint_sha1
    result = client_for().validate(
        tenant=tenant.tenant_id, client_id=tenant.app_id, credential=pair
    )
    assert result.ok is True, result.message
    assert checks_of(result) == [(name, True) for name in CHECKS]
    assert result.checks[1].message == (
        f"Microsoft issued a Graph token to application {tenant.app_id}."
    )
    assert result.client_secret_expires_at == pair.expires_at
    assert result.client_secret_hint is None
    body = result.as_dict()
    assert body["client_secret_days_until_expire"] == 365
    assert body["checks"][6]["message"] == (
        f"The certificate expires on {pair.expires_at:%Y-%m-%d} (365 days)."
    )
    served = [r["path"] for r in sandbox.admin.requests_served()]
    assert f"/{tenant.tenant_id}/oauth2/v2.0/token" in served


def test_certificate_not_uploaded_is_invalid_at_once(sandbox, client_for):
    tenant = make_tenant(sandbox)
    pair = key_pair_generate(now=timezone.now())
    result = client_for().validate(
        tenant=tenant.tenant_id, client_id=tenant.app_id, credential=pair
    )
    assert result.reason == "invalid_client_certificate"
    assert result.message == (
        "Microsoft does not accept the certificate: it is not among the certificates of this "
        "application. Upload the certificate Onramp gave you under Certificates & secrets → "
        "Certificates in the app registration, and try again."
    )
    assert checks_of(result) == [("tenant", True)] + [(name, False) for name in CHECKS[1:]]
    assert [c.message for c in result.checks[2:]] == [NOT_CHECKED] * 5
    assert result.transient is False


def test_expired_certificate(sandbox, client_for, clock):
    tenant = make_tenant(sandbox)
    pair = key_pair_generate(validity_days=10, now=timezone.now() - timedelta(days=20))
    sandbox.admin.add_certificate(tenant.tenant_id, tenant.app_id, pair.certificate_pem)
    result = client_for().validate(
        tenant=tenant.tenant_id, client_id=tenant.app_id, credential=pair
    )
    assert result.reason == "client_certificate_expired"
    assert result.message == (
        "The certificate has expired — create a new certificate, upload it under "
        "Certificates & secrets → Certificates, and try again."
    )
    assert result.checks[1].ok is False


def test_certificate_listed_by_hex_thumbprint_also_matches():
    pair = key_pair_generate()
    assert pair.is_entry({"customKeyIdentifier": pair.thumbprint_sha1.lower()})
    assert not pair.is_entry({"customKeyIdentifier": None})
    assert not ClientCertificate.load(
        key_pair_generate().certificate_pem, pair.private_key_pem
    ).is_entry({"customKeyIdentifier": pair.thumbprint_sha1})


def test_certificate_expiry_unreadable_without_application_read_all(sandbox, client_for):
    tenant = make_tenant(
        sandbox,
        permissions=["Organization.Read.All", "User.ReadWrite.All", "Domain.ReadWrite.All"],
    )
    pair = key_pair_generate(now=timezone.now())
    sandbox.admin.add_certificate(tenant.tenant_id, tenant.app_id, pair.certificate_pem)
    result = client_for().validate(
        tenant=tenant.tenant_id, client_id=tenant.app_id, credential=pair
    )
    assert result.client_secret_expires_at is None
    assert result.checks[6].message.startswith(
        "Microsoft Graph refused to read the certificate's expiry date: the application lacks "
        "Application.Read.All."
    )
