"""Every page of the public wizard and its status, before anything is sent to Microsoft."""

from __future__ import annotations

import re

import pytest
from django.conf import settings

from onramp.audit.models import AuditEvent
from onramp.connections.models import ValidationRun
from onramp.core.tokens import token_hash
from onramp.invitations.models import SupersededLink
from onramp.invitations.services import invitation_resend
from onramp.services.onboarding import invitation_revoke
from tests.wizard.conftest import (
    alert_text,
    assert_wizard_headers,
    expire,
    find,
    input_value,
    snapshot,
    text,
)

pytestmark = pytest.mark.django_db

NOT_VALID = "This link is not valid"


def body(response) -> str:
    return response.content.decode()


def assert_reveals_nothing(response, link) -> None:
    page = body(response)
    for secret_fact in (
        link.service.short_name,
        link.service.full_name,
        link.service.customer.name,
        link.service.provider.name,
        str(link.service.pk),
        str(link.invitation.pk),
    ):
        assert secret_fact not in page


@pytest.mark.parametrize("method", ["get", "post"])
def test_unknown_link_is_404_and_reveals_nothing(client, link, method):
    response = getattr(client, method)("/invite/" + "x" * 43)
    assert response.status_code == 404
    assert_wizard_headers(response)
    assert text(find(response, "h1")[0]["text"]) == NOT_VALID
    assert_reveals_nothing(response, link)


@pytest.mark.parametrize("path", ["/invite/", "/invite/abc/def", "/invite/abc/"])
def test_any_other_path_under_invite_is_the_unknown_link_page(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert_wizard_headers(response)
    assert text(find(response, "h1")[0]["text"]) == NOT_VALID


def test_landing_page_names_provider_service_customer_and_permissions(client, link):
    response = client.get(link.path)
    assert response.status_code == 200
    assert_wizard_headers(response)
    page = text(body(response))
    assert text(find(response, "h1")[0]["text"]) == "Connect your Microsoft 365 tenant"
    assert "Northwind Voice" in page
    assert "Contoso main" in page and "(Contoso-01)" in page
    assert "Contoso Ltd" in page
    for name in [*settings.REQUIRED_GRAPH_PERMISSIONS, *settings.REQUIRED_DIRECTORY_ROLES]:
        assert find(response, "code") and name in [c["text"] for c in find(response, "code")]
    assert "API permissions" in page and "Grant admin consent" in page
    assert "Roles &amp; admins" in body(response)
    assert "What happens with the credentials" in page
    steps = find(response, "li", aria_current="step")
    assert [text(s["text"]) for s in steps] == ["1 Step 1: Choose how to connect"]
    (choose,) = [a for a in find(response, "a") if text(a["text"]) == "Use App Registration"]
    assert choose["attrs"]["href"] == "?method=app-registration"
    # no operator navigation, no internal ids, no login
    for absent in (
        "Pending Invitations",
        "Dashboard",
        "Sign out",
        str(link.service.pk),
        str(link.invitation.pk),
        str(link.service.customer.pk),
        str(link.service.provider.pk),
    ):
        assert absent not in page
    assert "noindex" in find(response, "meta", name="robots")[0]["attrs"]["content"]


def test_first_open_is_recorded_once(client, link):
    assert link.invitation.opened_at is None
    client.get(link.path)
    opened = link.reload().opened_at
    assert opened is not None
    client.get(link.path + "?method=app-registration")
    assert link.reload().opened_at == opened
    assert AuditEvent.objects.filter(action="invitation.opened").count() == 1
    event = AuditEvent.objects.get(action="invitation.opened")
    assert (event.actor_type, event.target_id) == ("admin", str(link.invitation.pk))


def test_app_registration_form_has_the_exact_labels_names_and_one_button(client, link):
    response = client.get(link.path + "?method=app-registration")
    assert response.status_code == 200
    assert_wizard_headers(response)
    labels = {label["attrs"]["for"]: text(label["text"]) for label in find(response, "label")}
    assert labels == {
        "id_tenant_id": "Tenant ID",
        "id_client_id": "Application (Client) ID",
        "id_client_secret": "Client secret",
    }
    for name in ("tenant_id", "client_id", "client_secret"):
        (field,) = find(response, "input", name=name)
        assert field["attrs"]["id"] == f"id_{name}"
        assert field["attrs"]["autocomplete"] == "off"
    assert find(response, "input", name="client_secret")[0]["attrs"]["type"] == "password"
    (form,) = find(response, "form")
    assert (form["attrs"]["method"], form["attrs"]["action"]) == ("post", link.path)
    assert input_value(response, "method") == "app-registration"
    assert find(response, "input", name="csrfmiddlewaretoken")
    submits = [b for b in find(response, "button") if b["attrs"].get("type", "submit") == "submit"]
    assert [text(b["text"]) for b in submits] == ["Start authentication"]
    assert not find(response, "input", type="submit")
    steps = find(response, "li", aria_current="step")
    assert [text(s["text"]) for s in steps] == ["2 Step 2: Enter the app registration"]


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        (
            {"tenant_id": "not a tenant", "client_id": "1234", "client_secret": "abc"},
            {
                "tenant_id": "Enter the Directory (tenant) ID — a GUID such as "
                "72f988bf-86f1-41af-91ab-2d7cd011db47 — or a tenant domain such as "
                "contoso.onmicrosoft.com.",
                "client_id": "Enter the Application (client) ID: a GUID such as "
                "1b730954-1685-4b74-9bfd-dac224a7b894.",
            },
        ),
        (
            {
                "tenant_id": "contoso.onmicrosoft.com",
                "client_id": "1b730954-1685-4b74-9bfd-dac224a7b894",
                "client_secret": "   ",
            },
            {"client_secret": "Enter the client secret."},
        ),
    ],
)
def test_malformed_fields_are_shown_next_to_them_and_microsoft_is_not_asked(
    client, link, sandbox, fields, errors
):
    before = snapshot(link.invitation)
    response = client.post(link.path, {"method": "app-registration", **fields})
    assert response.status_code == 422
    assert_wizard_headers(response)
    shown = {
        e["attrs"]["id"].removeprefix("id_").removesuffix("_error"): text(e["text"])
        for e in find(response, "p")
        if e["attrs"].get("class") == "wz-error"
    }
    assert shown == errors
    for name in errors:
        (field,) = find(response, "input", name=name)
        assert field["attrs"]["aria-invalid"] == "true"
        assert f"id_{name}_error" in field["attrs"]["aria-describedby"]
    summary = alert_text(response)
    assert summary.startswith("Please correct")
    for message in errors.values():
        assert message in summary
    assert input_value(response, "tenant_id") == fields["tenant_id"]
    assert input_value(response, "client_secret") is None
    assert sandbox.admin.requests_served() == []
    assert snapshot(link.invitation) == before
    assert ValidationRun.objects.count() == 0


def test_expired_link_is_410_and_reveals_nothing(client, link):
    expire(link.invitation)
    for response in (client.get(link.path), client.post(link.path, {})):
        assert response.status_code == 410
        assert_wizard_headers(response)
        assert text(find(response, "h1")[0]["text"]) == "This invitation has expired"
        assert (
            "ask the person who sent you the invitation for a new link"
            in text(body(response)).lower()
        )
        assert_reveals_nothing(response, link)
    assert link.reload().opened_at is None


def test_revoked_link_is_410_and_reveals_nothing(client, link, actor):
    invitation_revoke(actor=actor, invitation=link.invitation)
    response = client.get(link.path)
    assert response.status_code == 410
    assert_wizard_headers(response)
    assert text(find(response, "h1")[0]["text"]) == "This invitation was withdrawn"
    assert_reveals_nothing(response, link)


def test_completed_link_is_410_and_reveals_nothing(client, link):
    from onramp.invitations.models import Invitation

    Invitation.objects.filter(pk=link.invitation.pk).update(status="completed")
    response = client.get(link.path)
    assert response.status_code == 410
    assert_wizard_headers(response)
    assert text(find(response, "h1")[0]["text"]) == "This invitation has already been used"
    assert_reveals_nothing(response, link)


def test_a_link_replaced_by_a_resend_is_410_naming_the_masked_address_and_the_provider(
    client, link, actor
):
    invitation_resend(actor=actor, invitation=link.invitation)
    invitation_resend(actor=actor, invitation=link.invitation)  # a second resend: still replaced
    before = snapshot(link.invitation)
    events = AuditEvent.objects.count()
    for response in (client.get(link.path), client.post(link.path, {"client_secret": "Zq8~x"})):
        assert response.status_code == 410
        assert_wizard_headers(response)
        assert text(find(response, "h1")[0]["text"]) == "A newer link was sent"
        assert [text(p["text"]) for p in find(response, "p", class_="wz-lead")] == [
            "This link was replaced by a newer one, sent to a•••@contoso.example."
        ]
        page = body(response)
        contact = "Open the link in the newest email, or ask Northwind Voice for a new one."
        assert contact in text(page)
        for secret_fact in (
            link.service.short_name,
            link.service.full_name,
            link.service.customer.name,
            "admin@contoso.example",
            str(link.service.pk),
            str(link.invitation.pk),
            "Zq8~x",
        ):
            assert secret_fact not in page
    assert snapshot(link.invitation) == before
    assert AuditEvent.objects.count() == events
    # Only hashes are kept: the first link's, then the second's.
    kept = SupersededLink.objects.values_list("token_hash", "invitation_id")
    assert len(kept) == 2 and (token_hash(link.token), link.invitation.pk) in kept
    assert link.token not in repr(list(kept))


def test_other_http_methods_are_405_with_the_wizard_headers(client, link):
    response = client.put(link.path)
    assert response.status_code == 405
    assert_wizard_headers(response)


def test_failures_are_logged_with_the_token_masked(client, link, caplog):
    expire(link.invitation)
    with caplog.at_level("INFO"):
        client.get(link.path)
        client.get("/invite/" + "y" * 43)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert link.token not in logged and "y" * 43 not in logged
    assert re.search(r"Gone: /invite/\S+", logged)
    assert re.search(r"Not Found: /invite/\S+", logged)


def test_an_authenticated_invitation_still_opens_and_says_so(client, link):
    from django.utils import timezone

    from onramp.invitations.models import Invitation

    Invitation.objects.filter(pk=link.invitation.pk).update(
        status="authenticated", authenticated_at=timezone.now(), tenant_display_name="Contoso Ltd"
    )
    response = client.get(link.path)
    assert response.status_code == 200
    notice = text(find(response, role="status")[0]["text"])
    assert notice.startswith("Credentials were already received")
    assert "for the tenant Contoso Ltd" in notice
    assert client.get(link.path + "?method=app-registration").status_code == 200


def test_an_unexpected_error_is_a_wizard_page_and_the_log_masks_the_token(
    client, settings, link, caplog
):
    settings.WIZARD_RATE_LIMITS = "a broken setting"
    with caplog.at_level("INFO"):
        response = client.post(link.path, {"client_secret": "Zq8~never-shown"})
    assert response.status_code == 500
    assert_wizard_headers(response)
    assert text(find(response, "h1")[0]["text"]) == "Something went wrong on our side"
    assert "Zq8~never-shown" not in body(response)
    assert "ONRAMP_WIZARD_RATE_LIMITS" not in body(response)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert re.search(r"Error in the invitation wizard: /invite/\S+", logged)
    assert link.token not in logged
