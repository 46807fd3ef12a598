"""The whole onboarding through the API, with the real sandbox and a real SMTP server:
create → email → wizard success → Add → M365 configuration → validate → renew the secret →
expiry entry refused (Microsoft knows it) → re-initiate → Add again replaces the connection."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from onramp.audit.models import AuditEvent
from onramp.notifications.models import OutboxMessage
from onramp.notifications.services import outbox_deliver
from tests.api.conftest import error, service_body, wizard_success
from tests.m365.conftest import make_tenant

pytestmark = pytest.mark.django_db


def deliver_all() -> None:
    for message in OutboxMessage.objects.filter(status="queued"):
        assert outbox_deliver(str(message.pk)) == "sent"


def text_of(message) -> str:
    return message.get_payload()[0].get_payload(decode=True).decode()


def test_onboarding_lifecycle(api, customer, sandbox, m365_tenant, smtp_settings, smtp_server):
    created = api.post("/services", service_body(customer)).json()
    service_id, invitation_id = created["id"], created["invitation"]["id"]
    link = created["invitation"]["link"]
    assert created["status"] == "awaiting-authentication"

    deliver_all()
    assert len(smtp_server.messages) == 1
    assert link in text_of(smtp_server.messages[0])
    invitation = api.get(f"/invitations/{invitation_id}").json()
    assert (invitation["email_sent"], invitation["email_send_count"]) == (True, 1)

    wizard_success(link, m365_tenant)
    pending = api.get("/invitations", {"status": "authenticated"}).json()["items"]
    assert [(i["id"], i["device_authenticated"]) for i in pending] == [(invitation_id, True)]
    assert api.get(f"/services/{service_id}").json()["status"] == "authenticated"

    added = api.post(f"/invitations/{invitation_id}/add")
    assert added.status_code == 200
    assert added.json()["service"]["status"] == "active"
    assert api.get(f"/invitations/{invitation_id}").json()["status"] == "completed"

    config = api.get(f"/services/{service_id}/m365").json()
    assert (config["tenant_id"], config["application_id"]) == (
        m365_tenant.tenant_id,
        m365_tenant.app_id,
    )
    assert config["authenticated_by"] == "admin@contoso.example"
    assert config["client_secret_days_until_expire"] == 180
    assert config["last_validation"] == added.json()["validation"]

    validated = api.post(f"/services/{service_id}/m365/validate")
    assert (validated.status_code, validated.json()["ok"]) == (200, True)

    end = timezone.now().replace(microsecond=0) + timedelta(days=400)
    renewed = sandbox.admin.add_secret(
        m365_tenant.tenant_id, m365_tenant.app_id, end_date_time=end.strftime("%Y-%m-%dT%H:%M:%SZ")
    )
    response = api.put(
        f"/services/{service_id}/m365/secret", {"client_secret": renewed["secret_text"]}
    )
    assert response.status_code == 200
    assert response.json()["m365"]["client_secret_days_until_expire"] == 400
    assert response.json()["m365"]["client_secret_hint"] == renewed["hint"]

    response = api.put(
        f"/services/{service_id}/m365/secret-expiry", {"expires_at": "2030-01-01T00:00:00Z"}
    )
    assert error(response) == (409, "invalid_state", None)

    # Re-initiate; the admin connects another tenant's registration. The current connection
    # keeps working until Add replaces it.
    reinvited = api.post(
        f"/services/{service_id}/m365/reinitiate", {"admin_email": "admin@contoso.example"}
    )
    assert reinvited.status_code == 201
    second_app = make_tenant(sandbox, name="Contoso Two")
    wizard_success(reinvited.json()["link"], second_app)
    assert api.get(f"/services/{service_id}").json()["status"] == "active"
    assert api.get(f"/services/{service_id}/m365").json()["tenant_id"] == m365_tenant.tenant_id
    assert api.post(f"/invitations/{reinvited.json()['id']}/add").status_code == 200
    config = api.get(f"/services/{service_id}/m365").json()
    assert (config["tenant_id"], config["application_id"]) == (
        second_app.tenant_id,
        second_app.app_id,
    )
    assert error(api.delete(f"/services/{service_id}")) == (409, "invalid_state", None)

    secrets = (m365_tenant.secret, renewed["secret_text"], second_app.secret, link)
    events = list(AuditEvent.objects.order_by("id").values_list("action", "changes"))
    assert not any(secret in repr(events) for secret in secrets)
    assert [action for action, _ in events if action != "token.created"] == [
        "service.created",
        "invitation.created",
        "invitation.emailed",
        "connection.validated",
        "invitation.authenticated",
        "connection.validated",
        "service.activated",
        "connection.validated",
        "connection.validated",
        "connection.secret_replaced",
        "invitation.created",
        "connection.validated",
        "invitation.authenticated",
        "connection.validated",
        "service.activated",
    ]
