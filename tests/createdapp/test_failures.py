"""Each way the sign-in or the creation can go wrong gets its own page, asserted exactly, and
nothing in the tenant or on the invitation changes when it stops before writing."""

from __future__ import annotations

import pytest
from django.test import Client

from onramp.createdapp.models import AppCreation, CreationStatus
from onramp.invitations.models import InvitationStatus
from onramp.services.onboarding import invitation_revoke
from tests.wizard.conftest import expire, find, snapshot, text

from .conftest import microsoft_sign_in
from .test_flow import NAME, _callback, _start, page_text

pytestmark = pytest.mark.django_db

SPEC_MESSAGE = (
    "Granting Microsoft Graph application permissions and assigning the Teams Administrator "
    "role need Global Administrator or Privileged Role Administrator; you are signed in as "
    "Application Administrator."
)


def _alert(response) -> str:
    (alert,) = find(response, role="alert")
    return text(alert["text"])


@pytest.fixture
def unchanged(sandbox, tenant, link):
    """What the tenant and the invitation hold before; call it to assert nothing changed."""
    apps = sandbox.admin.applications(tenant.tenant_id)
    invitation = snapshot(link.invitation)

    def check() -> None:
        assert sandbox.admin.applications(tenant.tenant_id) == apps
        now = snapshot(link.invitation)
        assert {k: v for k, v in now.items() if k != "opened_at"} == {
            k: v for k, v in invitation.items() if k != "opened_at"
        }
        assert now["status"] == InvitationStatus.PENDING

    return check


def test_an_application_administrator_is_stopped_before_anything_is_created(
    client, link, tenant, admin_browser, unchanged
):
    params = microsoft_sign_in(admin_browser, _start(client, link), tenant.users["app.admin"])
    response = _callback(client, params)
    assert response.status_code == 422
    assert _alert(response).startswith(
        f"Your account cannot create the app registration {SPEC_MESSAGE}"
    )
    creation = AppCreation.objects.get()
    assert creation.status == CreationStatus.STOPPED and creation.token_sealed == ""
    assert creation.signed_in_upn == tenant.users["app.admin"]
    assert not creation.steps.exists()
    unchanged()


def test_an_only_eligible_role_is_stopped_with_the_pim_hint(
    client, link, tenant, admin_browser, sandbox
):
    # A Global Administrator consented for the organization first (Microsoft asks a user
    # without an active admin role for admin approval otherwise, and never comes back).
    first = microsoft_sign_in(admin_browser, _start(client, link), tenant.users["ga"])
    assert _callback(client, first).status_code == 302
    apps = sandbox.admin.applications(tenant.tenant_id)
    admin_browser.cookies.clear()
    params = microsoft_sign_in(admin_browser, _start(client, link), tenant.users["eligible"])
    response = _callback(client, params)
    assert response.status_code == 422
    assert _alert(response) == (
        "Your account cannot create the app registration Granting Microsoft Graph application "
        "permissions and assigning the Teams Administrator role need Global Administrator or "
        "Privileged Role Administrator; you are signed in without an active administrator "
        "role. A role that is only eligible in Privileged Identity Management does not count: "
        "activate it first, then sign in again."
    )
    creation = AppCreation.objects.get()
    assert creation.status == CreationStatus.STOPPED and creation.token_sealed == ""
    assert sandbox.admin.applications(tenant.tenant_id) == apps
    assert link.reload().status == InvitationStatus.PENDING


def test_consent_declined(client, link, tenant, admin_browser, unchanged):
    params = microsoft_sign_in(
        admin_browser, _start(client, link), tenant.users["ga"], accept=False
    )
    assert params["error"] == "access_denied"
    response = _callback(client, params)
    assert response.status_code == 422
    assert _alert(response) == (
        "The sign-in was declined The sign-in was cancelled or the permissions were declined, "
        "so nothing was created. To continue, sign in again and accept the permissions for "
        "your organization."
    )
    unchanged()


def test_a_state_from_another_browser_session_is_refused(
    client, link, tenant, admin_browser, unchanged
):
    params = microsoft_sign_in(admin_browser, _start(client, link), tenant.users["ga"])
    response = _callback(Client(), params)
    assert response.status_code == 403
    assert _alert(response).startswith("This sign-in was started in another browser")
    assert AppCreation.objects.get().flow_sealed  # still usable by the right browser
    unknown = _callback(client, {**params, "state": "not-ours"})
    assert unknown.status_code == 400
    assert _alert(unknown).startswith("This sign-in is not known")
    unchanged()


def test_a_code_is_redeemed_once(client, link, tenant, admin_browser):
    params = microsoft_sign_in(admin_browser, _start(client, link), tenant.users["ga"])
    assert _callback(client, params).status_code == 302
    again = _callback(client, params)
    assert again.status_code == 400
    assert _alert(again).startswith("This sign-in was already used")


def test_a_callback_for_a_revoked_invitation(client, link, tenant, admin_browser, actor, sandbox):
    apps = sandbox.admin.applications(tenant.tenant_id)
    params = microsoft_sign_in(admin_browser, _start(client, link), tenant.users["ga"])
    invitation_revoke(actor=actor, invitation=link.invitation)
    response = _callback(client, params)
    assert response.status_code == 410
    assert "This invitation was withdrawn" in page_text(response)
    assert AppCreation.objects.get().token_sealed == ""
    assert sandbox.admin.applications(tenant.tenant_id) == apps


def test_a_callback_for_an_expired_invitation(client, link, tenant, admin_browser, sandbox):
    apps = sandbox.admin.applications(tenant.tenant_id)
    params = microsoft_sign_in(admin_browser, _start(client, link), tenant.users["ga"])
    expire(link.invitation)
    response = _callback(client, params)
    assert response.status_code == 410
    assert "This invitation has expired" in page_text(response)
    creation = AppCreation.objects.get()
    assert creation.flow_sealed and creation.token_sealed == ""  # the code was not redeemed
    assert sandbox.admin.applications(tenant.tenant_id) == apps
    assert link.reload().status == InvitationStatus.PENDING and not link.invitation.tenant_id


def test_a_sign_in_to_another_tenant_than_the_recorded_one_is_refused(
    client, link, tenant, admin_browser, unchanged, customer
):
    auth_uri = _start(client, link)  # no tenant known yet: /organizations/
    customer.azure_tenant_id = "0b0b0b0b-0000-4000-8000-000000000001"
    customer.save()
    params = microsoft_sign_in(admin_browser, auth_uri, tenant.users["ga"])
    response = _callback(client, params)
    assert response.status_code == 409
    assert _alert(response) == (
        f"You signed in to another tenant You signed in to the tenant {tenant.tenant_id}, but "
        "this invitation is for the tenant 0b0b0b0b-0000-4000-8000-000000000001. Nothing was "
        "created. Sign in with an administrator account of that tenant."
    )
    assert AppCreation.objects.get().token_sealed == ""
    unchanged()


def test_a_known_tenant_is_signed_in_to_directly(client, link, tenant, customer, sandbox):
    customer.azure_tenant_id = tenant.tenant_id
    customer.save()
    assert _start(client, link).startswith(f"{sandbox.url}/{tenant.tenant_id}/oauth2/v2.0/")


def test_conditional_access_blocking_the_device_code(client, link, tenant, sandbox, unchanged):
    from tests.sandbox.test_device_code import device_sign_in

    sandbox.admin.set_conditional_access(tenant.tenant_id, block_device_code=True)
    page_url = _start(client, link, sign_in="device")
    waiting = client.get(page_url)
    assert waiting.status_code == 200
    creation = AppCreation.objects.get()
    assert creation.device_user_code in page_text(waiting)
    assert find(waiting, "p", role="status")
    device_sign_in((sandbox.url, sandbox.ca_path), creation.device_user_code, tenant.users["ga"])
    response = client.get(page_url)
    assert response.status_code == 422
    assert _alert(response).startswith(
        "Your organization blocked this sign-in Your organization's Conditional Access "
        "policies blocked this sign-in (AADSTS53003)."
    )
    unchanged()


def test_the_device_code_flow_creates_the_app(client, link, tenant, sandbox, run_steps):
    from tests.sandbox.test_device_code import device_sign_in

    page_url = _start(client, link, sign_in="device")
    creation = AppCreation.objects.get()
    assert client.get(page_url).status_code == 200  # still waiting: the page polls
    device_sign_in((sandbox.url, sandbox.ca_path), creation.device_user_code, tenant.users["ga"])
    review = client.get(page_url)
    assert "Create the app registration" in page_text(review)
    client.post(page_url)
    assert run_steps(creation).status == CreationStatus.DONE
    names = [app["display_name"] for app in sandbox.admin.applications(tenant.tenant_id)]
    assert names.count(NAME) == 1
    assert link.reload().authenticated_method == "created-app"


def test_microsoft_down_when_the_device_code_is_asked_for(client, link, tenant, sandbox, unchanged):
    sandbox.admin.set_faults(status=503, paths="all")
    response = client.post(
        link.path, {"method": "created-app", "app_name": NAME, "sign_in": "device"}
    )
    assert response.status_code == 422
    assert _alert(response) == (
        "Microsoft sign-in could not start Microsoft did not complete the sign-in just now; "
        "try again in a minute."
    )
    assert not AppCreation.objects.exists()
    sandbox.admin.clear_faults()
    unchanged()


def test_microsoft_down_when_the_code_is_redeemed(
    client, link, tenant, admin_browser, sandbox, unchanged
):
    params = microsoft_sign_in(admin_browser, _start(client, link), tenant.users["ga"])
    sandbox.admin.set_faults(status=503, paths="token")
    response = _callback(client, params)
    assert response.status_code == 422
    assert _alert(response).startswith("Microsoft could not be reached")
    assert AppCreation.objects.get().status == CreationStatus.STOPPED
    sandbox.admin.clear_faults()
    unchanged()


def test_approvals_are_rate_limited(client, link, tenant, admin_browser, settings, queued):
    settings.WIZARD_RATE_LIMITS = "5/10m per link, 30/10m per client"
    params = microsoft_sign_in(admin_browser, _start(client, link), tenant.users["ga"])
    page_url = _callback(client, params)["Location"]
    assert [client.post(page_url).status_code for _ in range(6)] == [302] * 5 + [429]
