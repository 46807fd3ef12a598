"""A Global Administrator creates the app registration through the redirect sign-in; the
operator's Add then completes the onboarding. Exact outcomes, read back from the sandbox."""

from __future__ import annotations

import pytest

from onramp.audit.models import AuditEvent
from onramp.createdapp.models import AppCreation, CreationStatus
from onramp.invitations.models import InvitationStatus
from onramp.services.onboarding import service_activate
from tests.wizard.conftest import find, text

from .conftest import REQUIRED, grants_of, microsoft_sign_in

pytestmark = pytest.mark.django_db

NAME = "Northwind Teams Direct Routing \u2013 Contoso-01"


def _start(client, link, name: str = NAME, **extra: str):
    response = client.post(link.path, {"method": "created-app", "app_name": name, **extra})
    assert response.status_code == 302, response.content.decode()
    return response["Location"]


def page_text(response) -> str:
    return text(find(response, "main")[0]["text"])


def _callback(client, params: dict[str, str]):
    return client.get("/invite/callback", params)


def test_the_landing_page_offers_it_only_with_a_sign_in_app(client, link, settings):
    settings.SIGN_IN_CLIENT_ID = None
    page = client.get(link.path)
    assert "Coming soon" in text(page.content.decode())
    assert not find(page, "a", href="?method=created-app")
    assert client.get(f"{link.path}?method=created-app").status_code == 200  # the landing
    settings.SIGN_IN_CLIENT_ID = "11111111-1111-1111-1111-111111111111"
    page = client.get(link.path)
    (offer,) = find(page, "a", href="?method=created-app")
    assert text(offer["text"]) == "Create the app registration for me"


def test_the_name_page(client, link, tenant, provider):
    page = client.get(f"{link.path}?method=created-app")
    assert page.status_code == 200
    (field,) = find(page, "input", name="app_name")
    assert field["attrs"]["value"] == f"{provider.name} Teams Direct Routing \u2013 Contoso-01"
    (button,) = find(page, "button", type="submit")
    assert text(button["text"]) == "Sign in with Microsoft"
    (device,) = find(page, "a", href="?method=created-app&sign_in=device")
    assert text(device["text"]) == "Sign in on another device"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Enter a name for the app registration."),
        ("x" * 121, "Use at most 120"),
        ("tab\there", "Use printable characters only"),
    ],
)
def test_a_bad_name_is_refused_before_anything(client, link, tenant, name, message):
    response = client.post(link.path, {"method": "created-app", "app_name": name})
    assert response.status_code == 422
    assert message in text(find(response, role="alert")[0]["text"])
    assert not AppCreation.objects.exists()


def test_a_global_administrator_creates_the_app(
    client, link, tenant, admin_browser, run_steps, sandbox, actor
):
    before = {app["display_name"] for app in sandbox.admin.applications(tenant.tenant_id)}
    auth_uri = _start(client, link)
    assert auth_uri.startswith(f"{sandbox.url}/organizations/oauth2/v2.0/authorize?")
    assert "offline_access" not in auth_uri and "code_challenge_method=S256" in auth_uri
    creation = AppCreation.objects.get()
    assert creation.flow_sealed and "code_verifier" not in creation.flow_sealed

    params = microsoft_sign_in(admin_browser, auth_uri, tenant.users["ga"])
    response = _callback(client, params)
    assert response.status_code == 302
    page_url = response["Location"]
    assert page_url == f"/invite/created/{creation.pk}"

    review = client.get(page_url)
    assert review.status_code == 200
    body = page_text(review)
    assert "Contoso" in body and tenant.default_domain in body
    assert f"signed in as {tenant.users['ga']}" in body
    for permission in REQUIRED:
        assert permission in body
    (button,) = find(review, "button", type="submit")
    assert text(button["text"]) == "Create the app registration"
    assert sandbox.admin.applications(tenant.tenant_id)[0]["display_name"] in before  # nothing yet

    assert client.post(page_url).status_code == 302
    progress = client.get(page_url)
    assert find(progress, "p", role="status")
    assert progress["Refresh"] == "3"  # reloads itself, no JavaScript
    (stop,) = find(progress, "a", href="?refresh=off")
    assert text(stop["text"]) == "Stop updating this page"
    assert "Refresh" not in client.get(f"{page_url}?refresh=off")
    creation = run_steps(creation)
    assert creation.status == CreationStatus.DONE, creation.message
    assert creation.token_sealed == "" and creation.grants_removed == 1

    done = client.get(page_url)
    assert "The application registration is valid" in page_text(done)
    assert "removed the permissions its sign-in app received" in page_text(done)

    apps = [a for a in sandbox.admin.applications(tenant.tenant_id) if a["display_name"] == NAME]
    assert len(apps) == 1
    (app,) = apps
    assert sorted(app["permissions"]) == sorted(REQUIRED)
    assert app["roles"] == ["Teams Administrator"]
    assert len(app["key_credentials"]) == 1 and app["password_credentials"] == []
    assert app["object_id"] == creation.application_object_id
    assert grants_of(sandbox, tenant) == []

    invitation = link.reload()
    assert invitation.status == InvitationStatus.AUTHENTICATED
    assert invitation.authenticated_method == "created-app"
    assert invitation.signed_in_upn == tenant.users["ga"]
    assert invitation.application_object_id == app["object_id"]
    assert invitation.client_id == app["app_id"] and invitation.tenant_id == tenant.tenant_id
    assert invitation.credential_kind == "certificate" and invitation.private_key_sealed
    assert invitation.certificate_thumbprint_sha1 == app["key_credentials"][0]["thumbprint_sha1"]
    assert AuditEvent.objects.filter(action="connection.created_app").count() == 1

    service, result = service_activate(actor=actor, invitation=invitation)
    assert result.ok and service.status == "active"
    assert service.connection.method == "created-app"
    assert service.connection.signed_in_upn == tenant.users["ga"]
    assert service.connection.application_object_id == app["object_id"]


def test_the_operator_sees_the_method_who_signed_in_and_the_app(
    client, link, tenant, admin_browser, run_steps, sandbox, actor, operator
):
    from django.test import Client

    from tests.api.helpers import Api, token_for
    from tests.signin import sign_in

    params = microsoft_sign_in(admin_browser, _start(client, link), tenant.users["ga"])
    page_url = _callback(client, params)["Location"]
    client.post(page_url)
    creation = run_steps(AppCreation.objects.get())
    entra = (
        "https://entra.microsoft.com/#view/Microsoft_AAD_RegisteredApps/ApplicationMenuBlade/~/"
        f"Overview/appId/{creation.application_app_id}"
    )
    ops = Client()
    sign_in(ops, operator)
    pending = ops.get("/invitations/")
    assert pending.status_code == 200
    (row,) = find(pending, "tr", data_invitation=str(link.invitation.pk))
    assert "App registration created by Onramp" in text(row["text"])
    assert tenant.users["ga"] in text(row["text"])
    (anchor,) = find(pending, "a", href=entra)
    assert text(anchor["text"]) == creation.application_object_id

    api = Api(token_for(operator), operator)
    body = api.get(f"/invitations/{link.invitation.pk}").json()
    assert body["authenticated_method"] == "created-app"
    assert body["signed_in_upn"] == tenant.users["ga"]
    assert body["application_object_id"] == creation.application_object_id

    service_activate(actor=actor, invitation=link.reload())
    m365 = api.get(f"/services/{link.service.pk}/m365").json()
    assert m365["method"] == "created-app" and m365["credential_kind"] == "certificate"
    assert m365["signed_in_upn"] == tenant.users["ga"]
    assert m365["application_object_id"] == creation.application_object_id
    assert m365["application_id"] == creation.application_app_id
    page = ops.get(f"/services/{link.service.pk}/m365/")
    (method,) = find(page, "dd", id="m365-method")
    assert text(method["text"]) == "App registration created by Onramp"
    assert find(page, "a", href=entra)
