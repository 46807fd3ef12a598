"""The service portal: Configuration → M365 Configuration and its actions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from onramp.accounts.models import Operator
from onramp.audit.models import AuditEvent
from onramp.connections.models import TenantConnection, ValidationRun
from onramp.core.actors import Actor
from onramp.invitations.models import Invitation
from onramp.invitations.services import invitation_by_token
from onramp.services.models import Service
from tests.conftest import PASSWORD
from tests.factories import ServiceFactory
from tests.m365.conftest import make_tenant
from tests.pages.conftest import activate_known
from tests.pages.helpers import counts, field_errors, page_text, shown_link, visible_text
from tests.signin import sign_in

pytestmark = pytest.mark.django_db


def m365(service) -> str:
    return f"/services/{service.pk}/m365/"


def test_service_page_links_to_m365_configuration(ops, active_service):
    text = page_text(ops.get(f"/services/{active_service.pk}/"))
    assert "Configuration" in text
    assert f'href="/services/{active_service.pk}/m365/"' in text


def test_not_connected_yet(ops, invited):
    response = ops.get(m365(invited.service))
    assert response.status_code == 200
    text = visible_text(response)
    assert "Not connected yet" in text
    assert "The invitation to admin@contoso.example is pending." in text
    assert "Validate Authentication" not in text


def test_every_field_of_step_eight(ops, active_service, m365_tenant):
    response = ops.get(m365(active_service))
    assert response.status_code == 200
    text = visible_text(response)
    expires = m365_tenant.secret_expires
    for fact in (
        f"Application ID {m365_tenant.app_id}",
        f"Tenant ID {m365_tenant.tenant_id}",
        "Tenant name Contoso Ltd",
        f"Default domain {m365_tenant.default_domain}",
        f"Client secret hint {m365_tenant.secret[:3]}",
        f"Secret expiry date {expires:%Y-%m-%d}",
        "Client Secret Days Until Expire 180 OK",
        "Granted permissions Organization.Read.All Application.Read.All User.ReadWrite.All "
        "Domain.ReadWrite.All",
        "Assigned Entra roles Teams Administrator",
        "Authenticated by ops@northwind.example",
        "Last validation",
        "Valid The application registration is valid.",
    ):
        assert fact in text, fact
    assert "entered by an operator" not in text
    assert "Secret expiry date Save" not in text  # no hand entry while Microsoft tells it
    body = page_text(response)
    assert body.count('class="check check--ok"') == 7
    assert m365_tenant.secret not in body
    assert ">Validate Authentication</button>" in body
    assert ">Re-initiate Authentication Flow</a>" in body


def test_validate_authentication_shows_exact_days(
    ops, customer, sandbox, microsoft_settings, actor
):
    tenant = make_tenant(sandbox, expires_in=timedelta(days=42, hours=1))
    service = activate_known(customer, tenant, actor=actor)
    runs = ValidationRun.objects.count()
    response = ops.post(f"{m365(service)}validate/")
    assert response.status_code == 302
    assert response.url == m365(service)
    assert ValidationRun.objects.count() == runs + 1
    text = visible_text(ops.get(m365(service)))
    assert "Validation passed: The application registration is valid." in text
    assert "Client Secret Days Until Expire 42 OK" in text
    assert "The client secret expires on" in text and "(42 days)" in text
    assert "Validate Authentication · ops@northwind.example" in text


def test_validate_authentication_failing_check_first_with_how_to_fix(
    ops, active_service, m365_tenant, sandbox
):
    sandbox.admin.update_application(m365_tenant.tenant_id, m365_tenant.app_id, roles=[])
    ops.post(f"{m365(active_service)}validate/")
    response = ops.get(m365(active_service))
    text = visible_text(response)
    assert "Validation failed: The application's service principal" in text
    body = page_text(response)
    checks = body[body.index('aria-label="Last validation checks"') :]
    assert checks.index('data-check="teams_access"') < checks.index('data-check="tenant"')
    assert "How to fix: Assign the Teams Administrator role to the app" in text
    assert "Failed" in text
    assert Service.objects.get().status == "active"


def test_validate_when_microsoft_is_down(ops, active_service, sandbox):
    sandbox.admin.set_faults(status=503, paths="token")
    before = counts()
    response = ops.post(f"{m365(active_service)}validate/")
    assert response.status_code == 503
    assert (
        "Microsoft could not be reached, try again in a moment; nothing was saved."
        in visible_text(response)
    )
    assert counts() == before


def test_renew_secret_with_a_new_sandbox_secret(ops, active_service, m365_tenant, sandbox):
    end = (timezone.now() + timedelta(days=90, hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    new = sandbox.admin.add_secret(m365_tenant.tenant_id, m365_tenant.app_id, end_date_time=end)
    response = ops.post(f"{m365(active_service)}secret/", {"client_secret": new["secret_text"]})
    assert response.status_code == 302
    connection = TenantConnection.objects.get()
    assert connection.secret_hint == new["secret_text"][:3]
    page = ops.get(m365(active_service))
    text = visible_text(page)
    assert "The new client secret was accepted by Microsoft and stored." in text
    assert "Client Secret Days Until Expire 90" in text
    assert new["secret_text"] not in page_text(page)
    assert AuditEvent.objects.filter(action="connection.secret_replaced").count() == 1


def test_renew_secret_refused_by_microsoft_keeps_the_old(ops, active_service, m365_tenant):
    before = TenantConnection.objects.get()
    response = ops.post(
        f"{m365(active_service)}secret/", {"client_secret": "not-the-secret-of-this-app"}
    )
    assert response.status_code == 422
    assert field_errors(response, "client_secret") == [
        "The client secret is not valid for this application. Copy the secret's Value (not its "
        "Secret ID) from Certificates & secrets, or create a new secret there, and try again."
    ]
    assert "Microsoft did not accept the new secret; the stored secret is unchanged." in (
        visible_text(response)
    )
    assert "not-the-secret-of-this-app" not in page_text(response)
    after = TenantConnection.objects.get()
    assert (after.secret_sealed, after.secret_hint) == (before.secret_sealed, before.secret_hint)


def test_renew_secret_empty(ops, active_service):
    before = counts()
    response = ops.post(f"{m365(active_service)}secret/", {"client_secret": "  "})
    assert response.status_code == 422
    assert field_errors(response, "client_secret") == ["Enter the new client secret's value."]
    assert counts() == before


def test_renew_is_not_blocked_by_other_failing_checks_then_expiry_by_hand(
    ops, active_service, m365_tenant, sandbox
):
    """Without Application.Read.All Microsoft cannot tell the expiry: the operator enters it."""
    sandbox.admin.update_application(
        m365_tenant.tenant_id,
        m365_tenant.app_id,
        permissions=["Organization.Read.All", "User.ReadWrite.All", "Domain.ReadWrite.All"],
    )
    new = sandbox.admin.add_secret(m365_tenant.tenant_id, m365_tenant.app_id)
    response = ops.post(f"{m365(active_service)}secret/", {"client_secret": new["secret_text"]})
    assert response.status_code == 302
    page = ops.get(m365(active_service))
    text = visible_text(page)
    assert "The new client secret was accepted by Microsoft and stored." in text
    assert "Other checks failed and need attention:" in text
    assert "Secret expiry date Unknown: Microsoft did not tell it" in text
    assert "Client Secret Days Until Expire Unknown" in text
    assert "the application lacks Application.Read.All" in text
    assert ">Save expiry date</button>" in page_text(page)

    bad = ops.post(f"{m365(active_service)}expiry/", {"expires_on": "31/12/2030"})
    assert bad.status_code == 422
    assert field_errors(bad, "expires_on") == ["Enter a date such as 2026-03-31."]
    empty = ops.post(f"{m365(active_service)}expiry/", {"expires_on": ""})
    assert field_errors(empty, "expires_on") == ["Enter the date the client secret expires."]
    assert TenantConnection.objects.get().secret_expires_at is None

    day = (timezone.now() + timedelta(days=20)).date()
    response = ops.post(f"{m365(active_service)}expiry/", {"expires_on": day.isoformat()})
    assert response.status_code == 302
    connection = TenantConnection.objects.get()
    assert connection.secret_expiry_source == "operator"
    assert connection.secret_expires_at == datetime(day.year, day.month, day.day, tzinfo=UTC)
    text = visible_text(ops.get(m365(active_service)))
    assert (
        f"The client secret's expiry date was set to {day:%Y-%m-%d} (entered by an operator)."
        in text
    )
    assert f"Secret expiry date {day:%Y-%m-%d} (entered by an operator)" in text
    assert "Client Secret Days Until Expire 20 Expires within 30 days" in text


def test_expiry_by_hand_refused_while_microsoft_tells_it(ops, active_service):
    before = counts()
    response = ops.post(f"{m365(active_service)}expiry/", {"expires_on": "2030-01-01"})
    assert response.status_code == 409
    assert (
        "Microsoft reports this secret's expiry date; it cannot be entered by hand."
        in visible_text(response)
    )
    assert counts() == before


def test_reinitiate_shows_the_new_link_once(ops, active_service):
    form = ops.get(f"{m365(active_service)}reinitiate/")
    assert form.status_code == 200
    assert "Admin email" in page_text(form)
    bad = ops.post(f"{m365(active_service)}reinitiate/", {"admin_email": "nope"})
    assert bad.status_code == 422
    assert field_errors(bad, "admin_email") == ["Enter a valid email address."]
    assert Invitation.objects.count() == 0

    response = ops.post(f"{m365(active_service)}reinitiate/", {"admin_email": "it@contoso.example"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "The invitation email was queued to it@contoso.example." in visible_text(response)
    link = shown_link(response)
    invitation = Invitation.objects.get()
    assert invitation_by_token(link.rsplit("/", 1)[1]) == invitation
    assert invitation.status == "pending"
    assert Service.objects.get().status == "active"  # the current connection stays
    assert TenantConnection.objects.count() == 1

    page = visible_text(ops.get(m365(active_service)))
    assert "An invitation to it@contoso.example is open (pending)." in page
    assert "The service already has an open invitation" in visible_text(
        ops.get(f"{m365(active_service)}reinitiate/")
    )
    before = counts()
    again = ops.post(f"{m365(active_service)}reinitiate/", {"admin_email": "it@contoso.example"})
    assert again.status_code == 409
    assert "resend it instead" in visible_text(again)
    assert counts() == before


def test_monitor_reads_but_cannot_act(monitor_client, active_service, m365_tenant):
    response = monitor_client.get(m365(active_service))
    assert response.status_code == 200
    body = page_text(response)
    assert m365_tenant.app_id in body
    for control in ("Validate Authentication</button>", "Replace secret", "Re-initiate"):
        assert control not in body
    before = counts()
    connection = TenantConnection.objects.get()
    for url, data in (
        ("validate/", {}),
        ("secret/", {"client_secret": m365_tenant.secret}),
        ("expiry/", {"expires_on": "2030-01-01"}),
        ("reinitiate/", {"admin_email": "it@contoso.example"}),
    ):
        assert monitor_client.post(m365(active_service) + url, data).status_code == 403, url
    assert monitor_client.get(f"{m365(active_service)}reinitiate/").status_code == 403
    assert counts() == before
    assert TenantConnection.objects.get().secret_sealed == connection.secret_sealed


def test_customer_operator_validates_but_does_not_reinitiate(active_service, customer):
    operator = Operator.objects.create_user(
        "it@contoso.example",
        PASSWORD,
        role="operator",
        scope="customer",
        provider=customer.provider,
        customer=customer,
    )
    client = Client()
    sign_in(client, operator)
    body = page_text(client.get(m365(active_service)))
    assert "Validate Authentication</button>" in body
    assert "Replace secret" in body
    assert "Re-initiate Authentication Flow" not in body
    assert client.post(f"{m365(active_service)}validate/").status_code == 302
    before = counts()
    response = client.post(f"{m365(active_service)}reinitiate/", {"admin_email": "a@b.example"})
    assert response.status_code == 403
    assert counts() == before


def test_another_providers_service_is_not_found(ops, other_customer, m365_tenant, sandbox):
    theirs = activate_known(other_customer, m365_tenant, actor=Actor.system())
    before = counts()
    served = len(sandbox.admin.requests_served())
    assert ops.get(m365(theirs)).status_code == 404
    assert ops.get(f"/services/{theirs.pk}/").status_code == 404
    for url in ("validate/", "secret/", "expiry/", "reinitiate/"):
        assert ops.post(m365(theirs) + url, {"client_secret": "x"}).status_code == 404
    assert ops.get(f"{m365(theirs)}reinitiate/").status_code == 404
    assert counts() == before
    assert len(sandbox.admin.requests_served()) == served  # Microsoft was not even asked


def test_expiry_by_hand_after_application_read_all_is_withdrawn(
    ops, active_service, m365_tenant, sandbox
):
    """Validate keeps the last known date; Microsoft cannot tell it now, so it may be entered."""
    assert ">Save expiry date</button>" not in page_text(ops.get(m365(active_service)))
    sandbox.admin.update_application(
        m365_tenant.tenant_id,
        m365_tenant.app_id,
        permissions=["Organization.Read.All", "User.ReadWrite.All", "Domain.ReadWrite.All"],
    )
    ops.post(f"{m365(active_service)}validate/")
    page = ops.get(m365(active_service))
    text = visible_text(page)
    assert "Validation failed:" in text
    assert (
        f"Secret expiry date {m365_tenant.secret_expires:%Y-%m-%d} "
        "(last known date: Microsoft cannot tell it now)"
    ) in text
    assert ">Save expiry date</button>" in page_text(page)
    response = ops.post(f"{m365(active_service)}expiry/", {"expires_on": "2031-01-31"})
    assert response.status_code == 302
    text = visible_text(ops.get(m365(active_service)))
    assert "Secret expiry date 2031-01-31 (entered by an operator)" in text


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1999-12-31", "3000-01-01"])
def test_expiry_by_hand_outside_the_accepted_years_is_a_field_error(ops, customer, day):
    service = ServiceFactory(connected=True, customer=customer)
    before = counts()
    response = ops.post(f"{m365(service)}expiry/", {"expires_on": day})
    assert response.status_code == 422
    assert field_errors(response, "expires_on") == [
        "Enter a date from 2000-01-01 to 2999-12-31 (UTC)."
    ]
    connection = TenantConnection.objects.get()
    assert (connection.secret_expires_at, connection.secret_expiry_source) == (None, "")
    assert counts() == before
