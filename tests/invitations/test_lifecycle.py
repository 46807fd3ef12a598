"""Every row of SPEC.md's invitation and service lifecycle table, through the service layer."""

from __future__ import annotations

import uuid

import pytest

from onramp.audit.models import AuditEvent
from onramp.connections.models import TenantConnection
from onramp.core.errors import InvalidState, MicrosoftUnavailable, ValidationFailed
from onramp.invitations.models import Invitation
from onramp.invitations.services import TenantPinned, invitation_by_token, invitation_resend
from onramp.notifications.models import OutboxMessage
from onramp.services.models import Service
from onramp.services.onboarding import (
    invitation_authenticate,
    invitation_revoke,
    service_activate,
    service_reinitiate,
)
from onramp.services.services import service_delete
from tests.invitations.conftest import expire
from tests.m365.conftest import make_tenant

pytestmark = pytest.mark.django_db(transaction=True)


def authenticate(invitation, tenant, secret=None):
    return invitation_authenticate(
        invitation=invitation,
        tenant_id=tenant.tenant_id,
        client_id=tenant.app_id,
        client_secret=secret or tenant.secret,
    )


def snapshot(invitation):
    invitation.refresh_from_db()
    return {f.name: getattr(invitation, f.name) for f in Invitation._meta.fields}


def test_create_makes_a_pending_invitation_and_an_awaiting_service(invite):
    service, invitation, token = invite()
    assert (invitation.status, service.status) == ("pending", "awaiting-authentication")
    assert invitation_by_token(token) == invitation
    assert len(token) == 43 and invitation.token_hash != token
    assert OutboxMessage.objects.filter(invitation=invitation, status="queued").count() == 1
    assert [e.action for e in AuditEvent.objects.order_by("id")] == [
        "service.created",
        "invitation.created",
    ]


def test_wizard_success_pins_the_tenant_and_holds_credentials(invite, m365_tenant):
    service, invitation, _ = invite()
    assert authenticate(invitation, m365_tenant).ok
    invitation.refresh_from_db()
    service.refresh_from_db()
    assert invitation.status == "authenticated"
    assert invitation.tenant_id == m365_tenant.tenant_id
    assert invitation.client_id == m365_tenant.app_id
    assert invitation.secret_hint == m365_tenant.secret[:3]
    assert m365_tenant.secret not in invitation.secret_sealed
    assert invitation.secret_expires_at == m365_tenant.secret_expires
    assert invitation.tenant_display_name == "Contoso Ltd"
    assert service.status == "authenticated"


def test_wizard_success_again_replaces_the_credentials(invite, m365_tenant, sandbox):
    _, invitation, _ = invite()
    authenticate(invitation, m365_tenant)
    newer = sandbox.admin.add_secret(m365_tenant.tenant_id, m365_tenant.app_id)
    assert authenticate(invitation, m365_tenant, secret=newer["secret_text"]).ok
    invitation.refresh_from_db()
    assert invitation.secret_hint == newer["hint"]
    assert invitation.status == "authenticated"


def test_wizard_with_another_tenant_is_refused_and_changes_nothing(invite, m365_tenant, sandbox):
    _, invitation, _ = invite()
    authenticate(invitation, m365_tenant)
    before = snapshot(invitation)
    other = make_tenant(sandbox, name="Fabrikam")
    with pytest.raises(TenantPinned, match="already connected to tenant"):
        authenticate(invitation, other)
    with pytest.raises(TenantPinned):  # by domain name: refused after resolving it
        invitation_authenticate(
            invitation=invitation,
            tenant_id=other.default_domain,
            client_id=other.app_id,
            client_secret=other.secret,
        )
    assert snapshot(invitation) == before


@pytest.mark.parametrize("first_success", [False, True])
def test_wizard_failure_changes_nothing(invite, m365_tenant, first_success):
    service, invitation, _ = invite()
    if first_success:
        authenticate(invitation, m365_tenant)
    before = snapshot(invitation)
    result = authenticate(invitation, m365_tenant, secret="wrong-secret-value")
    assert (result.ok, result.reason) == (False, "invalid_client_secret")
    assert snapshot(invitation) == before
    service.refresh_from_db()
    assert service.status == ("authenticated" if first_success else "awaiting-authentication")
    assert AuditEvent.objects.filter(action="invitation.rejected").count() == 1


def test_wizard_when_microsoft_is_down_changes_nothing(invite, m365_tenant, sandbox):
    _, invitation, _ = invite()
    before = snapshot(invitation)
    sandbox.admin.set_faults(status=503)
    with pytest.raises(MicrosoftUnavailable):
        authenticate(invitation, m365_tenant)
    assert snapshot(invitation) == before
    assert not AuditEvent.objects.filter(action__startswith="invitation.rej").exists()


@pytest.mark.parametrize(
    "state", ["pending", "authenticated", "expired-pending", "expired-authenticated"]
)
def test_resend_gives_a_new_link_and_keeps_credentials(invite, m365_tenant, actor, state):
    _, invitation, token = invite()
    if "authenticated" in state:
        authenticate(invitation, m365_tenant)
    if state.startswith("expired"):
        expire(invitation)
        assert invitation.effective_status(invitation.expires_at) == "expired"
    held = snapshot(invitation)["secret_sealed"]
    old_expiry = invitation.expires_at
    issued = invitation_resend(actor=actor, invitation=invitation)
    new_token = issued.link.rsplit("/", 1)[1]
    assert invitation_by_token(token) is None
    assert invitation_by_token(new_token).pk == invitation.pk
    invitation.refresh_from_db()
    assert invitation.expires_at > old_expiry
    assert invitation.status == ("authenticated" if "authenticated" in state else "pending")
    assert invitation.secret_sealed == held
    assert list(
        OutboxMessage.objects.filter(invitation=invitation)
        .values_list("status", flat=True)
        .order_by("created_at")
    ) == ["cancelled", "queued"]


@pytest.mark.parametrize("state", ["pending", "authenticated", "expired"])
def test_revoke_kills_the_link_purges_credentials_and_disconnects(
    invite, m365_tenant, actor, state
):
    service, invitation, _token = invite()
    if state == "authenticated":
        authenticate(invitation, m365_tenant)
    if state == "expired":
        expire(invitation)
    invitation_revoke(actor=actor, invitation=invitation)
    invitation.refresh_from_db()
    service.refresh_from_db()
    assert invitation.status == "revoked"
    assert (invitation.secret_sealed, invitation.client_id, invitation.tenant_id) == ("", "", "")
    assert invitation.effective_status(invitation.expires_at) == "revoked"
    assert service.status == "disconnected"
    event = AuditEvent.objects.get(action="invitation.revoked")
    assert event.changes == {
        "old": {"status": state},
        "new": {"status": "revoked", "service_status": "disconnected"},
    }


def test_add_completes_onboarding(invite, m365_tenant, actor):
    service, invitation, token = invite()
    authenticate(invitation, m365_tenant)
    service, result = service_activate(actor=actor, invitation=invitation)
    invitation.refresh_from_db()
    assert (service.status, invitation.status, result.ok) == ("active", "completed", True)
    assert invitation_by_token(token).effective_status(invitation.expires_at) == "completed"
    assert TenantConnection.objects.get(service=service).client_id == m365_tenant.app_id


def test_add_that_fails_validation_changes_nothing(invite, m365_tenant, actor, sandbox):
    service, invitation, _ = invite()
    authenticate(invitation, m365_tenant)
    before = snapshot(invitation)
    sandbox.admin.update_application(m365_tenant.tenant_id, m365_tenant.app_id, enabled=False)
    with pytest.raises(ValidationFailed) as failure:
        service_activate(actor=actor, invitation=invitation)
    assert failure.value.validation.reason == "application_disabled"
    assert snapshot(invitation) == before
    service.refresh_from_db()
    assert service.status == "authenticated"
    assert not TenantConnection.objects.exists()


@pytest.mark.parametrize("state", ["pending", "expired", "revoked", "completed"])
def test_add_in_any_other_state_is_409(invite, m365_tenant, actor, state):
    _service, invitation, _ = invite()
    if state in ("expired", "completed"):
        authenticate(invitation, m365_tenant)
    if state == "expired":
        expire(invitation)
    if state == "revoked":
        invitation_revoke(actor=actor, invitation=invitation)
    if state == "completed":
        service_activate(actor=actor, invitation=invitation)
    before = snapshot(invitation)
    with pytest.raises(InvalidState, match=f"this one is {state}"):
        service_activate(actor=actor, invitation=invitation)
    assert snapshot(invitation) == before


@pytest.mark.parametrize("state", ["revoked", "completed"])
def test_resend_and_revoke_of_a_closed_invitation_are_409(invite, m365_tenant, actor, state):
    _, invitation, _ = invite()
    if state == "revoked":
        invitation_revoke(actor=actor, invitation=invitation)
    else:
        authenticate(invitation, m365_tenant)
        service_activate(actor=actor, invitation=invitation)
    before = snapshot(invitation)
    with pytest.raises(InvalidState, match=f"An invitation that is {state} cannot be resent"):
        invitation_resend(actor=actor, invitation=invitation)
    with pytest.raises(InvalidState, match=f"An invitation that is {state} cannot be revoked"):
        invitation_revoke(actor=actor, invitation=invitation)
    assert snapshot(invitation) == before


@pytest.mark.parametrize("state", ["expired", "revoked", "completed"])
def test_wizard_on_a_dead_link_is_409(invite, m365_tenant, actor, state):
    _, invitation, _ = invite()
    authenticate(invitation, m365_tenant)
    if state == "expired":
        expire(invitation)
    elif state == "revoked":
        invitation_revoke(actor=actor, invitation=invitation)
    else:
        service_activate(actor=actor, invitation=invitation)
    before = snapshot(invitation)
    with pytest.raises(InvalidState, match=f"An invitation that is {state} cannot be used"):
        authenticate(invitation, m365_tenant)
    assert snapshot(invitation) == before


def test_expiry_is_computed_without_a_job(invite):
    _, invitation, _ = invite()
    expire(invitation)
    assert invitation.status == "pending"
    assert invitation.effective_status(invitation.expires_at) == "expired"


def test_reinitiated_active_service_keeps_its_connection_until_add(
    invite, m365_tenant, actor, sandbox
):
    service, invitation, _ = invite()
    authenticate(invitation, m365_tenant)
    service_activate(actor=actor, invitation=invitation)
    issued = service_reinitiate(actor=actor, service=service, admin_email="new@contoso.example")
    with pytest.raises(InvalidState, match="already has an open invitation"):
        service_reinitiate(actor=actor, service=service, admin_email="x@contoso.example")
    newer = sandbox.admin.add_secret(m365_tenant.tenant_id, m365_tenant.app_id)
    authenticate(issued.invitation, m365_tenant, secret=newer["secret_text"])
    service.refresh_from_db()
    assert service.status == "active"
    assert TenantConnection.objects.get().secret_hint == m365_tenant.secret[:3]
    service_activate(actor=actor, invitation=issued.invitation)
    connection = TenantConnection.objects.get()
    assert connection.secret_hint == newer["hint"]
    assert connection.authenticated_by == "new@contoso.example"
    assert Service.objects.get().status == "active"


def test_delete_releases_the_name_only_for_never_active_services(invite, m365_tenant, actor):
    service, invitation, token = invite()
    service_delete(actor=actor, service=service)
    assert not Service.objects.exists() and not Invitation.objects.exists()
    assert invitation_by_token(token) is None
    again, invitation, _ = invite()  # the name is free again
    authenticate(invitation, m365_tenant)
    service_activate(actor=actor, invitation=invitation)
    with pytest.raises(InvalidState, match="An active service cannot be deleted"):
        service_delete(actor=actor, service=again)
    assert Service.objects.count() == 1


def test_unknown_token_finds_nothing(invite):
    invite()
    assert invitation_by_token(uuid.uuid4().hex) is None
    assert invitation_by_token("") is None
    assert invitation_by_token("x" * 500) is None


def test_reinitiate_after_an_expired_authenticated_invitation_starts_over(
    invite, m365_tenant, actor
):
    service, invitation, _ = invite()
    authenticate(invitation, m365_tenant)
    expire(invitation)
    issued = service_reinitiate(actor=actor, service=service, admin_email="it@contoso.example")
    invitation.refresh_from_db()
    service.refresh_from_db()
    assert (invitation.status, invitation.secret_sealed, invitation.client_id) == (
        "expired",
        "",
        "",
    )
    assert service.status == "awaiting-authentication"
    assert issued.invitation.status == "pending"
