"""Drive the seed flow through the API, the email and the public wizard, then look everywhere
for the client secrets and the invitation tokens in clear: every database table (sessions and
task rows included), every log record, every API response except create/resend. Only the email
that carries the link may hold the token. The same for a certificate's private key."""

from __future__ import annotations

import logging

import pytest
from cryptography.fernet import Fernet
from django.db import transaction
from django.test import Client
from django.utils import timezone

from onramp.connections.live import validate_live
from onramp.connections.services import connection_store
from onramp.core.actors import Actor
from onramp.health.services import validation_job_create, validation_job_run
from onramp.m365.credentials import key_pair_generate
from onramp.notifications.models import OutboxMessage
from onramp.notifications.services import outbox_deliver
from onramp.ops.rotation import keys_rotate
from tests.api.helpers import Api, token_for
from tests.factories import ServiceFactory
from tests.m365.conftest import make_tenant
from tests.security.scan import every_stored_value

pytestmark = pytest.mark.django_db(transaction=True)


def test_no_secret_or_token_in_clear_anywhere(
    operator, customer, m365_tenant, sandbox, smtp_settings, smtp_server, caplog
):
    caplog.set_level(logging.DEBUG)
    api = Api(token_for(operator), operator)
    api_token = api.token
    secrets = [m365_tenant.secret]
    responses = []

    created = api.post(
        "/services",
        {
            "customer_id": str(customer.pk),
            "short_name": "Contoso-01",
            "license_type": "hosted-pro",
            "licensed_users": 5,
            "connection": {"method": "invitation", "admin_email": "admin@contoso.example"},
        },
    )
    assert created.status_code == 201
    link = created.json()["invitation"]["link"]
    tokens = [link.rsplit("/", 1)[1]]
    invitation_id = created.json()["invitation"]["id"]

    resent = api.post(f"/invitations/{invitation_id}/resend")
    assert resent.status_code == 200
    tokens.append(resent.json()["link"].rsplit("/", 1)[1])

    for message in OutboxMessage.objects.filter(status="queued"):
        outbox_deliver(str(message.pk))
    assert len(smtp_server.messages) == 1  # the first message died with its link

    admin = Client()
    path = f"/invite/{tokens[1]}"
    assert admin.get(path).status_code == 200
    wrong = admin.post(
        path,
        {
            "method": "app-registration",
            "tenant_id": m365_tenant.tenant_id,
            "client_id": m365_tenant.app_id,
            "client_secret": "wrong-" + m365_tenant.secret,
        },
    )
    secrets.append("wrong-" + m365_tenant.secret)
    ok = admin.post(
        path,
        {
            "method": "app-registration",
            "tenant_id": m365_tenant.tenant_id,
            "client_id": m365_tenant.app_id,
            "client_secret": m365_tenant.secret,
        },
    )
    assert (wrong.status_code, ok.status_code) == (422, 200)
    wizard_pages = [wrong.content.decode(), ok.content.decode()]  # they live at the link itself

    service_id = created.json()["id"]
    responses.append(api.get("/invitations").content.decode())
    responses.append(api.get(f"/invitations/{invitation_id}").content.decode())
    added = api.post(f"/invitations/{invitation_id}/add")
    assert added.status_code == 200
    responses.append(added.content.decode())
    responses.append(api.get(f"/services/{service_id}/m365").content.decode())
    responses.append(api.post(f"/services/{service_id}/m365/validate").content.decode())
    renewed = sandbox.admin.add_secret(m365_tenant.tenant_id, m365_tenant.app_id)
    secrets.append(renewed["secret_text"])
    replaced = api.put(
        f"/services/{service_id}/m365/secret", {"client_secret": renewed["secret_text"]}
    )
    assert replaced.status_code == 200
    responses.append(replaced.content.decode())
    responses.append(api.get("/services").content.decode())

    stored = every_stored_value()
    logged = "\n".join(record.getMessage() for record in caplog.records) + caplog.text
    for secret in secrets:
        assert secret not in stored
        assert secret not in logged
        assert [i for i, body in enumerate(responses + wizard_pages) if secret in body] == []
    for token in tokens:
        assert token not in stored
        assert token not in logged
        assert [i for i, body in enumerate(responses) if token in body] == []
    assert api_token not in stored and api_token not in logged
    assert (
        f"/invite/{tokens[1]}" in smtp_server.messages[0].as_string().replace("=\n", "")
        or tokens[1] in smtp_server.messages[0].get_payload()[0].get_payload(decode=True).decode()
    )


def test_no_private_key_in_clear_anywhere(
    operator, customer, sandbox, microsoft_settings, settings, caplog
):
    """A certificate-based connection through every path that opens its private key: stored,
    Validate Authentication, the bulk job, the M365 object, key rotation."""
    caplog.set_level(logging.DEBUG)
    tenant = make_tenant(sandbox)
    pair = key_pair_generate(now=timezone.now())
    sandbox.admin.add_certificate(tenant.tenant_id, tenant.app_id, pair.certificate_pem)
    result = validate_live(
        tenant=tenant.tenant_id, client_id=tenant.app_id, credential=pair, expected_tenant_id=None
    )
    service = ServiceFactory(customer=customer, status="active", activated_at=timezone.now())
    with transaction.atomic():
        connection_store(
            service=service,
            tenant_id=tenant.tenant_id,
            client_id=tenant.app_id,
            credential=pair,
            result=result,
            method="app-certificate",
            authenticated_by=operator.email,
            authenticated_at=result.validated_at,
        )
    api = Api(token_for(operator), operator)
    responses = [
        api.post(f"/services/{service.pk}/m365/validate").content.decode(),
        api.get(f"/services/{service.pk}/m365").content.decode(),
        api.post("/validations", {"scope": "all"}).content.decode(),
    ]
    job = validation_job_run(validation_job_create(scope="all").pk, concurrency=2)
    assert job.ok == 1
    settings.ENCRYPTION_KEYS = [Fernet.generate_key().decode(), *settings.ENCRYPTION_KEYS]
    assert keys_rotate(actor=Actor.system()) == 1
    stored = every_stored_value()
    logged = "\n".join(record.getMessage() for record in caplog.records) + caplog.text
    key_lines = pair.private_key_pem.splitlines()[1:-1]
    for line in key_lines:
        assert line not in stored
        assert line not in logged
        assert [i for i, body in enumerate(responses) if line in body] == []
    assert "PRIVATE KEY" not in stored + logged + "".join(responses)
