"""A connection held with a certificate: the private key sealed, the public part shown, and
every path that validates (Add, Validate Authentication, the bulk job) using the certificate."""

from __future__ import annotations

import logging

import pytest
from cryptography.fernet import Fernet
from django.utils import timezone

from onramp.audit.models import AuditEvent
from onramp.audit.services import audit_record
from onramp.connections.live import validate_live
from onramp.connections.models import CredentialKind, ExpirySource, TenantConnection
from onramp.connections.services import (
    connection_store,
    connection_validate,
    credentials_hold,
    held_credential,
)
from onramp.core.actors import Actor
from onramp.core.crypto import key_id, secret_box
from onramp.health.services import validation_job_create, validation_job_run
from onramp.m365.credentials import ClientCertificate, key_pair_generate
from onramp.ops.rotation import keys_rotate
from tests.api.helpers import Api, token_for
from tests.factories import InvitationFactory, ServiceFactory
from tests.m365.conftest import make_tenant
from tests.security.scan import every_stored_value

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def certified(sandbox, microsoft_settings, customer):
    """An active service whose connection holds a certificate uploaded to its application."""
    tenant = make_tenant(sandbox)
    pair = key_pair_generate(now=timezone.now())
    sandbox.admin.add_certificate(tenant.tenant_id, tenant.app_id, pair.certificate_pem)
    result = validate_live(
        tenant=tenant.tenant_id, client_id=tenant.app_id, credential=pair, expected_tenant_id=None
    )
    assert result.ok, result.message
    service = ServiceFactory(customer=customer, status="active", activated_at=timezone.now())
    connection_store(
        service=service,
        tenant_id=tenant.tenant_id,
        client_id=tenant.app_id,
        credential=pair,
        result=result,
        method="app-certificate",
        authenticated_by="ops@provider.example",
        authenticated_at=result.validated_at,
    )
    return service, pair


def test_certificate_is_held_sealed_with_its_public_facts(certified):
    service, pair = certified
    connection = TenantConnection.objects.get(service=service)
    assert connection.credential_kind == CredentialKind.CERTIFICATE
    assert (connection.secret_sealed, connection.secret_hint) == ("", "")
    assert connection.certificate_pem == pair.certificate_pem
    assert connection.certificate_thumbprint_sha1 == pair.thumbprint_sha1
    assert connection.certificate_thumbprint_sha256 == pair.thumbprint_sha256
    assert connection.certificate_expires_at == pair.expires_at
    # The expiry fields describe the certificate, as Microsoft lists it.
    assert connection.secret_expires_at == pair.expires_at
    assert connection.secret_expiry_source == ExpirySource.MICROSOFT
    assert connection.private_key_key_id == secret_box().current_key_id
    assert secret_box().open(connection.private_key_sealed) == pair.private_key_pem
    assert held_credential(connection) == pair
    assert pair.private_key_pem not in every_stored_value()


def test_validate_authentication_and_the_bulk_job_use_the_certificate(certified, actor, caplog):
    caplog.set_level(logging.DEBUG)
    service, pair = certified
    run = connection_validate(actor=actor, service=service)
    assert (run.ok, run.reason) == (True, ""), run.message
    assert run.result["checks"][6]["message"] == (
        f"The certificate expires on {pair.expires_at:%Y-%m-%d} (365 days)."
    )
    job = validation_job_run(
        validation_job_create(scope="all", created_by="test").pk, concurrency=2
    )
    assert (job.total, job.ok, job.failed, job.errors) == (1, 1, 0, 0)
    logged = "\n".join(record.getMessage() for record in caplog.records) + caplog.text
    body = pair.private_key_pem.splitlines()[1]
    assert body not in logged and body not in every_stored_value()


def test_certificate_removed_from_the_application_fails_as_invalid(certified, actor, sandbox):
    service, pair = certified
    connection = TenantConnection.objects.get(service=service)
    other = key_pair_generate(now=timezone.now())
    connection.certificate_pem = other.certificate_pem
    connection.certificate_thumbprint_sha1 = other.thumbprint_sha1
    connection.private_key_sealed = secret_box().seal(other.private_key_pem)
    connection.save()
    run = connection_validate(actor=actor, service=service)
    assert (run.ok, run.reason) == (False, "invalid_client_certificate")
    connection.refresh_from_db()
    assert connection.secret_expires_at == pair.expires_at  # a refusal teaches nothing


def test_invitation_hands_its_certificate_to_the_service(sandbox, microsoft_settings, customer):
    pair = key_pair_generate(now=timezone.now())
    tenant = make_tenant(sandbox)
    sandbox.admin.add_certificate(tenant.tenant_id, tenant.app_id, pair.certificate_pem)
    result = validate_live(
        tenant=tenant.tenant_id, client_id=tenant.app_id, credential=pair, expected_tenant_id=None
    )
    invitation = InvitationFactory(service__customer=customer)
    credentials_hold(
        invitation,
        tenant_id=tenant.tenant_id,
        client_id=tenant.app_id,
        credential=pair,
        result=result,
    )
    invitation.save()
    assert invitation.holds_credentials
    connection = connection_store(
        service=invitation.service,
        tenant_id=tenant.tenant_id,
        client_id=tenant.app_id,
        sealed_from=invitation,
        result=result,
        authenticated_by=invitation.admin_email,
        authenticated_at=result.validated_at,
    )
    assert held_credential(connection) == pair
    invitation.clear()
    assert not invitation.holds_credentials


def test_rotate_keys_reseals_the_private_key(certified, settings):
    service, pair = certified
    fresh = Fernet.generate_key().decode()
    settings.ENCRYPTION_KEYS = [fresh, *settings.ENCRYPTION_KEYS]
    assert keys_rotate(actor=Actor.system()) == 1
    connection = TenantConnection.objects.get(service=service)
    assert connection.private_key_key_id == key_id(fresh)
    assert (
        ClientCertificate.load(
            connection.certificate_pem, secret_box().open(connection.private_key_sealed)
        )
        == pair
    )


def test_audit_never_keeps_a_private_key(certified):
    service, pair = certified
    audit_record(
        actor=Actor.system(),
        action="connection.validated",
        target=service,
        provider_id=service.provider_id,
        customer_id=service.customer_id,
        new={"private_key_pem": pair.private_key_pem, "private_key": "x", "ok": True},
    )
    stored = AuditEvent.objects.get(action="connection.validated").changes
    assert pair.private_key_pem not in str(stored) and "private_key" not in str(stored)


def test_m365_configuration_shows_the_certificate_never_its_key(certified, operator):
    service, pair = certified
    api = Api(token_for(operator), operator)
    config = api.get(f"/services/{service.pk}/m365").json()
    assert {k: config[k] for k in ("method", "credential_kind", "client_secret_hint")} == {
        "method": "app-certificate",
        "credential_kind": "certificate",
        "client_secret_hint": None,
    }
    assert config["certificate_thumbprint_sha256"] == pair.thumbprint_sha256
    assert (
        config["certificate_expires_at"]
        == config["client_secret_expires_at"]
        == (pair.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ"))
    )
    assert config["client_secret_days_until_expire"] == 365
    validated = api.post(f"/services/{service.pk}/m365/validate")
    assert validated.json()["ok"] is True
    for body in (str(config), validated.content.decode()):
        assert "PRIVATE KEY" not in body and pair.private_key_pem.splitlines()[1] not in body
