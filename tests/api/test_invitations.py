"""GET /invitations (effective status, newest first), resend, revoke and Add — with a 409 for
every state the lifecycle table does not allow."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from onramp.audit.models import AuditEvent
from onramp.connections.models import TenantConnection, ValidationRun
from onramp.invitations.models import Invitation
from onramp.invitations.services import invitation_by_token
from onramp.notifications.models import OutboxMessage
from onramp.services.models import Service
from tests.api.conftest import db_state, error, link_token, service_body, wizard_success

pytestmark = pytest.mark.django_db


def expire(invitation_id: str) -> None:
    Invitation.objects.filter(pk=invitation_id).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )


def test_list_is_newest_first_with_effective_status(api, customer, provider):
    from onramp.tenancy.models import Customer

    fabrikam = Customer.objects.create(provider=provider, name="Fabrikam")
    ids = []
    for n, owner in enumerate([customer, fabrikam, customer]):
        created = api.post("/services", service_body(owner, short_name=f"Svc-{n}")).json()
        ids.append(created["invitation"]["id"])
    expire(ids[1])
    api.post(f"/invitations/{ids[2]}/revoke")
    listed = api.get("/invitations").json()
    assert [(i["id"], i["status"]) for i in listed["items"]] == [
        (ids[2], "revoked"),
        (ids[1], "expired"),
        (ids[0], "pending"),
    ]
    assert listed["next"] is None
    assert [i["id"] for i in api.get("/invitations", {"status": "expired"}).json()["items"]] == [
        ids[1]
    ]
    assert [i["id"] for i in api.get("/invitations", {"status": "pending"}).json()["items"]] == [
        ids[0]
    ]
    assert [
        i["id"] for i in api.get("/invitations", {"customer_id": str(customer.pk)}).json()["items"]
    ] == [ids[2], ids[0]]
    assert (
        api.get("/invitations", {"customer_id": str(customer.pk), "status": "expired"}).json()[
            "items"
        ]
        == []
    )
    assert error(api.get("/invitations", {"status": "lost"})) == (
        422,
        "invalid_input",
        {
            "status": [
                "Use one of: 'pending', 'authenticated', 'completed', 'expired' or 'revoked'."
            ]
        },
    )


def test_get_one_never_holds_the_link(api, invited):
    invitation = api.get(f"/invitations/{invited['invitation']['id']}").json()
    expected = dict(invited["invitation"])
    expected.pop("link")
    assert invitation == expected


def test_authenticated_invitation_shows_the_received_registration(api, authenticated, m365_tenant):
    invitation = api.get(f"/invitations/{authenticated['invitation']['id']}").json()
    assert invitation["status"] == "authenticated"
    assert invitation["device_authenticated"] is True
    assert invitation["authenticated_method"] == "app-registration"
    assert (invitation["tenant_id"], invitation["client_id"]) == (
        m365_tenant.tenant_id,
        m365_tenant.app_id,
    )
    assert invitation["authenticated_at"].endswith("Z")
    assert m365_tenant.secret not in str(invitation)
    assert api.get(f"/services/{authenticated['id']}").json()["status"] == "authenticated"


def test_resend_gives_a_new_link_and_queues_the_mail(api, invited):
    invitation_id = invited["invitation"]["id"]
    old_link = invited["invitation"]["link"]
    old_expiry = Invitation.objects.get().expires_at
    Invitation.objects.update(expires_at=old_expiry - timedelta(hours=1))
    response = api.post(f"/invitations/{invitation_id}/resend")
    assert response.status_code == 200
    resent = response.json()
    assert resent["id"] == invitation_id and resent["status"] == "pending"
    assert resent["link"] != old_link
    assert invitation_by_token(link_token(old_link)) is None
    assert invitation_by_token(link_token(resent["link"])).pk == Invitation.objects.get().pk
    assert Invitation.objects.get().expires_at > old_expiry - timedelta(hours=1)
    assert list(OutboxMessage.objects.order_by("created_at").values_list("status", flat=True)) == [
        "cancelled",
        "queued",
    ]
    assert AuditEvent.objects.filter(action="invitation.resent").count() == 1
    assert "link" not in api.get(f"/invitations/{invitation_id}").json()


def test_resend_revives_an_expired_invitation(api, invited):
    invitation_id = invited["invitation"]["id"]
    expire(invitation_id)
    assert api.get(f"/invitations/{invitation_id}").json()["status"] == "expired"
    response = api.post(f"/invitations/{invitation_id}/resend")
    assert (response.status_code, response.json()["status"]) == (200, "pending")


def test_revoke(api, invited):
    invitation_id = invited["invitation"]["id"]
    response = api.post(f"/invitations/{invitation_id}/revoke")
    assert response.status_code == 200
    revoked = response.json()
    assert revoked["status"] == "revoked" and "link" not in revoked
    assert invitation_by_token(link_token(invited["invitation"]["link"])).status == "revoked"
    assert api.get(f"/services/{invited['id']}").json()["status"] == "disconnected"
    assert OutboxMessage.objects.get().status == "cancelled"


def test_revoke_purges_received_credentials(api, authenticated):
    response = api.post(f"/invitations/{authenticated['invitation']['id']}/revoke")
    assert response.json()["status"] == "revoked"
    assert (response.json()["tenant_id"], response.json()["client_id"]) == (None, None)
    assert Invitation.objects.get().secret_sealed == ""


@pytest.mark.parametrize("action", ["resend", "revoke"])
def test_resend_and_revoke_refused_once_revoked_or_completed(api, invited, action):
    invitation_id = invited["invitation"]["id"]
    api.post(f"/invitations/{invitation_id}/revoke")
    before = db_state()
    response = api.post(f"/invitations/{invitation_id}/{action}")
    assert error(response) == (409, "invalid_state", None)
    verb = "resent" if action == "resend" else "revoked"
    assert response.json()["detail"] == f"An invitation that is revoked cannot be {verb}."
    assert db_state() == before


def test_add_completes_the_onboarding(api, authenticated, m365_tenant):
    invitation_id = authenticated["invitation"]["id"]
    response = api.post(f"/invitations/{invitation_id}/add")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"service", "validation"}
    assert body["service"]["status"] == "active"
    assert body["service"]["invitation"]["status"] == "completed"
    assert body["validation"]["ok"] is True
    assert body["validation"]["client_secret_days_until_expire"] == 180
    assert m365_tenant.secret not in response.content.decode()
    assert invitation_by_token(link_token(authenticated["invitation"]["link"])).status == (
        "completed"
    )
    assert TenantConnection.objects.get().tenant_id == m365_tenant.tenant_id
    assert ValidationRun.objects.filter(trigger="add", ok=True).count() == 1


@pytest.mark.parametrize("state", ["pending", "expired", "revoked", "completed"])
def test_add_is_409_unless_authenticated_and_unexpired(api, invited, m365_tenant, state):
    invitation_id = invited["invitation"]["id"]
    if state in ("expired", "completed"):
        wizard_success(invited["invitation"]["link"], m365_tenant)
    if state == "expired":
        expire(invitation_id)
    if state == "revoked":
        api.post(f"/invitations/{invitation_id}/revoke")
    if state == "completed":
        assert api.post(f"/invitations/{invitation_id}/add").status_code == 200
    before = db_state()
    response = api.post(f"/invitations/{invitation_id}/add")
    assert error(response) == (409, "invalid_state", None)
    assert response.json()["detail"] == (
        f"Only an authenticated, unexpired invitation can be added; this one is {state}."
    )
    assert db_state() == before


def test_add_with_credentials_that_now_fail_is_422(api, authenticated, m365_tenant, sandbox):
    sandbox.admin.update_application(m365_tenant.tenant_id, m365_tenant.app_id, enabled=False)
    response = api.post(f"/invitations/{authenticated['invitation']['id']}/add")
    assert error(response) == (422, "validation_failed", None)
    assert response.json()["validation"]["reason"] == "application_disabled"
    assert Service.objects.get().status == "authenticated"
    assert Invitation.objects.get().status == "authenticated"
    assert not TenantConnection.objects.exists()
    assert ValidationRun.objects.filter(trigger="add", ok=False).count() == 1


def test_add_while_microsoft_throttles_is_503_and_changes_nothing(api, authenticated, sandbox):
    sandbox.admin.set_faults(status=429, retry_after=12, paths="graph")
    before = db_state()
    response = api.post(f"/invitations/{authenticated['invitation']['id']}/add")
    assert error(response) == (503, "microsoft_unavailable", None)
    assert response["Retry-After"] == "12"
    assert response.json()["validation"]["reason"] == "throttled"
    assert db_state() == before


def test_unknown_invitation_is_404(api, db):
    for path in ("/invitations/72f988bf-86f1-41af-91ab-2d7cd011db47", "/invitations/nope"):
        assert error(api.get(path)) == (404, "not_found", None)
        for action in ("resend", "revoke", "add"):
            assert error(api.post(f"{path}/{action}")) == (404, "not_found", None)
