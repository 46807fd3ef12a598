"""Credential submissions against the real sandbox: success, every failure, pinning, secrecy."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from onramp.audit.models import AuditEvent
from onramp.connections.models import ValidationRun
from onramp.m365.errors import message_for
from tests.m365.conftest import make_tenant
from tests.wizard.conftest import (
    alert_text,
    assert_wizard_headers,
    find,
    input_value,
    snapshot,
    text,
)

pytestmark = pytest.mark.django_db(transaction=True)


def submit(client, link, tenant, secret=None, **overrides):
    data = {
        "method": "app-registration",
        "tenant_id": tenant.tenant_id,
        "client_id": tenant.app_id,
        "client_secret": tenant.secret if secret is None else secret,
        **overrides,
    }
    return client.post(link.path, data)


def test_success_authenticates_the_invitation(client, link, m365_tenant):
    client.get(link.path)
    response = submit(client, link, m365_tenant)
    assert response.status_code == 200
    assert_wizard_headers(response)
    page = text(response.content.decode())
    assert "The application registration is valid" in page
    assert "You can close this window." in page
    assert m365_tenant.secret not in response.content.decode()
    assert [text(s["text"]) for s in find(response, "li", aria_current="step")] == [
        "3 Step 3: Done"
    ]
    invitation = link.reload()
    assert (invitation.status, invitation.device_authenticated) == ("authenticated", True)
    assert invitation.tenant_id == m365_tenant.tenant_id
    assert invitation.client_id == m365_tenant.app_id
    assert invitation.secret_hint == m365_tenant.secret[:3]
    assert invitation.authenticated_method == "app-registration"
    assert link.service.status == "authenticated"
    run = ValidationRun.objects.get()
    assert (run.ok, run.trigger, run.invitation_id) == (True, "wizard", invitation.pk)
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == [
        "service.created",
        "invitation.created",
        "invitation.opened",
        "connection.validated",
        "invitation.authenticated",
    ]
    assert m365_tenant.secret not in str(list(AuditEvent.objects.values_list("changes", flat=True)))


def test_a_secret_with_surrounding_spaces_is_trimmed(client, link, m365_tenant):
    response = submit(
        client,
        link,
        m365_tenant,
        secret=f"  {m365_tenant.secret}\t ",
        tenant_id=f" {m365_tenant.tenant_id} ",
        client_id=f"{m365_tenant.app_id} ",
    )
    assert response.status_code == 200
    assert link.reload().status == "authenticated"
    assert link.invitation.secret_hint == m365_tenant.secret[:3]


def _wrong_secret(sandbox, tenant):
    return tenant, "Wx9~not-the-right-secret-value"


def _expired_secret(sandbox, tenant):
    expired = make_tenant(sandbox, name="Expired Co", expires_in=timedelta(days=-2))
    return expired, None


def _unknown_client(sandbox, tenant):
    tenant.app_id = str(uuid.uuid4())
    return tenant, None


def _missing_permissions(sandbox, tenant):
    sandbox.admin.update_application(
        tenant.tenant_id,
        tenant.app_id,
        permissions=["Organization.Read.All", "Application.Read.All", "User.ReadWrite.All"],
    )
    return tenant, None


@pytest.mark.parametrize(
    ("arrange", "reason", "message", "failed_check"),
    [
        (
            _wrong_secret,
            "invalid_client_secret",
            message_for("invalid_client_secret"),
            "Credentials accepted",
        ),
        (
            _expired_secret,
            "client_secret_expired",
            "The client secret has expired — create a new secret under Certificates & secrets "
            "and try again.",
            "Credentials accepted",
        ),
        (_unknown_client, "application_not_found", None, "Credentials accepted"),
        (
            _missing_permissions,
            "missing_permissions",
            "The application lacks these Microsoft Graph application permissions: "
            "Domain.ReadWrite.All. Add them under API permissions and grant admin consent. "
            "If you granted consent a moment ago, try again in a few minutes.",
            "Microsoft Graph permissions",
        ),
    ],
    ids=["wrong-secret", "expired-secret", "unknown-client", "missing-permissions"],
)
def test_failure_shows_the_form_again_with_the_message_and_changes_nothing(
    client, link, sandbox, m365_tenant, arrange, reason, message, failed_check
):
    tenant, secret = arrange(sandbox, m365_tenant)
    secret = secret or tenant.secret
    if message is None:
        message = message_for(reason, client_id=tenant.app_id)
    before = snapshot(link.invitation)
    response = submit(client, link, tenant, secret=secret)
    assert response.status_code == 422
    assert_wizard_headers(response)
    assert alert_text(response) == f"The credentials could not be verified {message}"
    assert input_value(response, "tenant_id") == tenant.tenant_id
    assert input_value(response, "client_id") == tenant.app_id
    assert input_value(response, "client_secret") is None
    assert secret not in response.content.decode()
    checks = [c for c in find(response, "li") if "wz-check" in c["attrs"].get("class", "")]
    first = text(checks[0]["text"])
    assert first.startswith(f"✗ {failed_check} failed")
    assert snapshot(link.invitation) == before
    assert link.service.status == "awaiting-authentication"
    run = ValidationRun.objects.get()
    assert (run.ok, run.reason) == (False, reason)
    rejected = AuditEvent.objects.get(action="invitation.rejected")
    assert rejected.changes["new"]["reason"] == reason
    assert secret not in str(rejected.changes)


@pytest.mark.parametrize(
    ("faults", "retry_after"),
    [({"status": 503}, None), ({"status": 429, "retry_after": 30}, "30")],
    ids=["unavailable", "throttled"],
)
def test_microsoft_unavailable_stores_nothing_and_the_link_stays_usable(
    client, link, sandbox, m365_tenant, faults, retry_after
):
    before = snapshot(link.invitation)
    events = AuditEvent.objects.count()
    sandbox.admin.set_faults(**faults)
    response = submit(client, link, m365_tenant)
    assert response.status_code == 200
    assert_wizard_headers(response)
    assert response.get("Retry-After") == retry_after
    alert = alert_text(response)
    assert alert.startswith(
        "Microsoft could not be reached Microsoft did not answer, so your credentials could not "
        "be checked. Nothing was stored — try again in a moment."
    )
    assert input_value(response, "tenant_id") == m365_tenant.tenant_id
    assert input_value(response, "client_secret") is None
    assert m365_tenant.secret not in response.content.decode()
    assert snapshot(link.invitation) == before
    assert ValidationRun.objects.count() == 0
    assert AuditEvent.objects.count() == events

    sandbox.admin.clear_faults()
    assert submit(client, link, m365_tenant).status_code == 200
    assert link.reload().status == "authenticated"


def test_another_tenant_is_refused_and_the_stored_credentials_are_untouched(
    client, link, sandbox, m365_tenant
):
    assert submit(client, link, m365_tenant).status_code == 200
    before = snapshot(link.invitation)
    other = make_tenant(sandbox, name="Fabrikam")
    for tenant_id in (other.tenant_id, other.default_domain):
        response = submit(client, link, other, tenant_id=tenant_id)
        assert response.status_code == 409
        assert_wizard_headers(response)
        assert alert_text(response) == (
            "This invitation is connected to another tenant This invitation is already "
            f"connected to tenant {m365_tenant.tenant_id}. It cannot be used for another "
            "tenant; ask your provider for a new invitation if the tenant is wrong. The "
            "credentials stored earlier are unchanged."
        )
        assert input_value(response, "client_secret") is None
        assert other.secret not in response.content.decode()
    assert snapshot(link.invitation) == before


def test_an_authenticated_invitation_can_be_corrected_for_the_same_tenant(
    client, link, sandbox, m365_tenant
):
    assert submit(client, link, m365_tenant).status_code == 200
    assert client.get(link.path).status_code == 200
    newer = sandbox.admin.add_secret(m365_tenant.tenant_id, m365_tenant.app_id)
    response = submit(client, link, m365_tenant, secret=newer["secret_text"])
    assert response.status_code == 200
    assert "The application registration is valid" in response.content.decode()
    invitation = link.reload()
    assert (invitation.status, invitation.secret_hint) == ("authenticated", newer["hint"])
    event = AuditEvent.objects.filter(action="invitation.authenticated").latest("id")
    assert event.changes["new"]["credentials_replaced"] is True


def test_the_secret_never_appears_in_any_response(client, link, sandbox, m365_tenant):
    bodies = [
        client.get(link.path),
        client.get(link.path + "?method=app-registration"),
        submit(client, link, m365_tenant, client_id="not-a-guid"),
        submit(client, link, m365_tenant, secret=m365_tenant.secret + "x"),
        submit(client, link, m365_tenant),
        client.get(link.path),
        client.get(link.path + "?method=app-registration"),
    ]
    for response in bodies:
        page = response.content.decode()
        assert m365_tenant.secret not in page
        assert m365_tenant.secret[3:] not in page
        assert_wizard_headers(response)
