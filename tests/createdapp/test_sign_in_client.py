"""The installation's sign-in app: its settings, and a certificate as its credential (MSAL signs
the client assertion) against the sandbox."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from onramp.core.config import sign_in_client
from onramp.createdapp.models import AppCreation, CreationStatus
from onramp.m365.signin import certificate_from_pem
from tests.sandbox.flows import recent_certificate

from .conftest import microsoft_sign_in
from .test_flow import _callback, _start

CLIENT = "6a3c1f5e-1111-4222-8333-944455556666"


def test_unset_turns_the_sign_in_methods_off():
    assert sign_in_client(None, None, None) == (None, None, None)
    assert sign_in_client(" ", "ignored", None) == (None, "ignored", None)


@pytest.mark.parametrize(("secret", "certificate"), [(None, None), ("s3cret", "/etc/hostname")])
def test_exactly_one_credential(secret, certificate):
    with pytest.raises(ImproperlyConfigured) as refused:
        sign_in_client(CLIENT, secret, certificate)
    assert str(refused.value) == (
        "ONRAMP_SIGN_IN_CLIENT_ID needs exactly one of ONRAMP_SIGN_IN_CLIENT_SECRET and "
        "ONRAMP_SIGN_IN_CLIENT_CERTIFICATE"
    )


def test_the_certificate_must_be_a_file(tmp_path):
    with pytest.raises(ImproperlyConfigured, match="must be a PEM file"):
        sign_in_client(CLIENT, None, str(tmp_path / "missing.pem"))
    pem = tmp_path / "signin.pem"
    pem.write_text("x")
    assert sign_in_client(CLIENT, "", str(pem)) == (CLIENT, None, str(pem))


def test_a_pem_file_in_either_order():
    cert = recent_certificate()
    for text in (cert.key_pem + cert.cert_pem, cert.cert_pem + cert.key_pem):
        loaded = certificate_from_pem(text)
        assert loaded.thumbprint_sha1 == cert.thumbprint_hex
        assert "PRIVATE KEY" in loaded.private_key_pem and "CERTIFICATE" not in (
            loaded.private_key_pem
        )
    with pytest.raises(ValueError, match="a certificate and its private key"):
        certificate_from_pem(cert.cert_pem)


@pytest.mark.django_db
def test_a_sign_in_app_with_a_certificate(
    client, link, tenant, admin_browser, sandbox, settings, tmp_path
):
    cert = recent_certificate("onramp sign-in")
    sandbox.admin.add_certificate(
        tenant.provider_tenant_id, tenant.sign_in_client_id, cert.cert_pem
    )
    settings.SIGN_IN_CLIENT_SECRET = None
    settings.SIGN_IN_CLIENT_CERTIFICATE = str(cert.write(tmp_path))
    params = microsoft_sign_in(admin_browser, _start(client, link), tenant.users["ga"])
    response = _callback(client, params)
    assert response.status_code == 302
    assert AppCreation.objects.get().status == CreationStatus.SIGNED_IN
