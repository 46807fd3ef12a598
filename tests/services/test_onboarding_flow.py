"""The onboarding workflow through the service layer, against the real sandbox and SMTP."""

from __future__ import annotations

import pytest

from onramp.connections.models import TenantConnection, ValidationRun
from onramp.connections.services import connection_validate
from onramp.invitations.models import Invitation
from onramp.invitations.services import invitation_by_token
from onramp.notifications.services import outbox_deliver
from onramp.services.models import Service
from onramp.services.onboarding import invitation_authenticate, service_activate, service_create
from onramp.services.services import ServiceRequest

pytestmark = pytest.mark.django_db(transaction=True)


def test_invitation_flow_activates_the_service(
    actor, customer, m365_tenant, smtp_settings, smtp_server, django_capture_on_commit_callbacks
):
    created = service_create(
        actor=actor,
        customer=customer,
        request=ServiceRequest(
            short_name="Contoso-01",
            full_name="",
            license_type="hosted-pro",
            licensed_users=25,
            method="invitation",
            admin_email="Admin@Contoso.example",
        ),
    )
    service = created.service
    assert service.status == "awaiting-authentication"
    assert service.full_name == "Contoso-01"
    token = created.issued.link.rsplit("/", 1)[1]
    assert created.issued.link == f"http://127.0.0.1:8000/invite/{token}"

    message = created.issued.invitation.emails.get()
    assert outbox_deliver(str(message.pk)) == "sent"
    assert len(smtp_server.messages) == 1
    assert (
        created.issued.link
        in smtp_server.messages[0].get_payload()[0].get_payload(decode=True).decode()
    )

    invitation = invitation_by_token(token)
    result = invitation_authenticate(
        invitation=invitation,
        tenant_id=m365_tenant.tenant_id,
        client_id=m365_tenant.app_id,
        client_secret=f"  {m365_tenant.secret} ",
    )
    assert result.ok is True
    invitation.refresh_from_db()
    assert (invitation.status, invitation.device_authenticated) == ("authenticated", True)
    assert Service.objects.get().status == "authenticated"

    service, _ = service_activate(actor=actor, invitation=invitation)
    assert service.status == "active"
    invitation.refresh_from_db()
    assert invitation.status == "completed"
    assert invitation.secret_sealed == ""
    connection = TenantConnection.objects.get()
    assert connection.tenant_id == m365_tenant.tenant_id
    assert connection.secret_hint == m365_tenant.secret[:3]
    assert connection.authenticated_by == "admin@contoso.example"
    assert connection.secret_expiry_source == "microsoft"

    run = connection_validate(actor=actor, service=service)
    assert run.ok is True
    assert run.result["client_secret_days_until_expire"] == 180
    assert ValidationRun.objects.count() == 3
    assert Invitation.objects.count() == 1
