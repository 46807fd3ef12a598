"""Add Service → Direct Routing: choose customer, New tenant service, confirmation."""

from __future__ import annotations

import pytest

from onramp.connections.models import TenantConnection
from onramp.invitations.models import Invitation
from onramp.invitations.services import invitation_by_token
from onramp.notifications.models import OutboxMessage
from onramp.notifications.services import outbox_deliver
from onramp.services.models import Service
from tests.pages.conftest import invite
from tests.pages.helpers import (
    counts,
    described_by,
    field_errors,
    input_value,
    page_text,
    shown_link,
    visible_text,
)

pytestmark = pytest.mark.django_db

URL = "/services/add/direct-routing/"


def form_data(**changes):
    data = {
        "full_name": "Contoso Teams voice",
        "short_name": "Contoso-01",
        "license_type": "hosted-pro",
        "licensed_users": "25",
        "method": "invitation",
        "admin_email": "Admin@Contoso.example",
        "tenant_id": "",
        "client_id": "",
        "client_secret": "",
    }
    data.update(changes)
    return data


def test_services_page_offers_add_service_then_direct_routing(ops):
    page = page_text(ops.get("/services/"))
    assert '<a class="btn btn--primary" href="/services/add/">Add Service</a>' in page
    add = page_text(ops.get("/services/add/"))
    assert 'href="/services/add/direct-routing/"' in add
    assert "Direct Routing" in add


def test_step_one_lists_only_customers_in_scope(ops, customer, other_customer):
    response = ops.get(URL)
    assert response.status_code == 200
    text = page_text(response)
    assert "Which customer is the service for?" in text
    assert f'<option value="{customer.pk}">Contoso Ltd</option>' in text
    assert "Tailspin Toys" not in text
    assert 'aria-current="step"' in text


def test_step_one_without_a_choice_says_so(ops, customer):
    response = ops.get(URL + "?customer=")
    assert response.status_code == 422
    assert field_errors(response, "customer") == ["Choose the customer the service is for."]


def test_step_one_without_customers_says_what_to_do(ops):
    text = page_text(ops.get(URL))
    assert "No customers yet" in text
    assert 'href="/customers/add/"' in text


def test_another_providers_customer_is_not_found(ops, other_customer):
    assert ops.get(f"{URL}?customer={other_customer.pk}").status_code == 404
    response = ops.post(f"{URL}?customer={other_customer.pk}", form_data())
    assert response.status_code == 404
    assert Service.objects.count() == 0


def test_step_two_form_has_every_field_labelled(ops, customer):
    response = ops.get(f"{URL}?customer={customer.pk}")
    assert response.status_code == 200
    text = page_text(response)
    for label in (
        "Full name of service",
        "Unique short name of service",
        "License type",
        "Number of licensed users",
        "How to connect to the tenant",
        "Send link to IT administrator for authentication",
        "Use known App registration",
        "Admin email",
        "Tenant ID",
        "Application (Client) ID",
        "Client secret",
        "Hosted Essentials+",
        "Hosted Pro",
    ):
        assert label in text, label
    assert 'type="password" name="client_secret"' in text
    assert 'href="/invitations/?customer=' in text  # the wizard offers Pending Invitations
    assert input_value(response, "method") == "invitation"


def test_invitation_option_creates_service_and_shows_the_link_once(
    ops, customer, smtp_settings, smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        response = ops.post(f"{URL}?customer={customer.pk}", form_data())
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    text = page_text(response)
    assert "The invitation email was queued to admin@contoso.example." in visible_text(response)
    service = Service.objects.get()
    assert (service.short_name, service.full_name, service.status) == (
        "Contoso-01",
        "Contoso Teams voice",
        "awaiting-authentication",
    )
    assert (service.license_type, service.licensed_users) == ("hosted-pro", 25)
    link = shown_link(response)
    assert link.startswith("http://127.0.0.1:8000/invite/")
    assert invitation_by_token(link.rsplit("/", 1)[1]) == Invitation.objects.get()
    assert 'data-copy="invitation-link"' in text
    # Never again: not in the session, not on any later page.
    assert link not in str(dict(ops.session))
    for url in ("/services/", "/invitations/", f"/services/{service.pk}/"):
        assert link not in page_text(ops.get(url))
    # The email carries the same link.
    assert outbox_deliver(str(OutboxMessage.objects.get().pk)) == "sent"
    assert link in smtp_server.messages[0].as_string()


def test_full_name_defaults_to_short_name(ops, customer):
    ops.post(f"{URL}?customer={customer.pk}", form_data(full_name=""))
    assert Service.objects.get().full_name == "Contoso-01"


@pytest.mark.parametrize(
    "changes,field,messages",
    [
        ({"short_name": "ab"}, "short_name", ["Use 3 to 15 characters (this has 2)."]),
        ({"short_name": "a.b/c"}, "short_name", ["Remove these characters: . /"]),
        (
            {"short_name": "two words"},
            "short_name",
            ["Spaces and other whitespace are not allowed."],
        ),
        ({"short_name": "AUDIT"}, "short_name", ["'AUDIT' is a reserved word."]),
        ({"full_name": "x" * 201}, "full_name", ["Use at most 200 characters."]),
        (
            {"full_name": "Contoso\r\nClick https://evil.example"},
            "full_name",
            ["Use printable characters only (no line breaks or control characters)."],
        ),
        (
            {"full_name": "Contoso\tvoice"},
            "full_name",
            ["Use printable characters only (no line breaks or control characters)."],
        ),
        ({"license_type": ""}, "license_type", ["Choose Hosted Essentials+ or Hosted Pro."]),
        ({"license_type": "gold"}, "license_type", ["Choose Hosted Essentials+ or Hosted Pro."]),
        ({"licensed_users": "0"}, "licensed_users", ["Enter a whole number from 1 to 500."]),
        ({"licensed_users": "501"}, "licensed_users", ["Enter a whole number from 1 to 500."]),
        ({"licensed_users": "2.5"}, "licensed_users", ["Enter a whole number from 1 to 500."]),
        ({"licensed_users": ""}, "licensed_users", ["Enter a whole number from 1 to 500."]),
        ({"admin_email": "not-an-email"}, "admin_email", ["Enter a valid email address."]),
        ({"method": ""}, "method", ["Choose how to connect to the tenant."]),
    ],
)
def test_each_rule_is_shown_next_to_its_field(ops, customer, changes, field, messages):
    before = counts()
    response = ops.post(f"{URL}?customer={customer.pk}", form_data(**changes))
    assert response.status_code == 422
    assert field_errors(response, field) == messages
    assert f"id_{field}-error" in described_by(response, field) or field in (
        "license_type",
        "method",
    )
    text = page_text(response)
    assert "Please correct the fields below" in text
    assert f"{messages[0]}</a></li>" in text  # the summary at the top links to the field
    assert counts() == before


def test_values_are_kept_after_errors_but_never_the_secret(ops, customer):
    response = ops.post(
        f"{URL}?customer={customer.pk}",
        form_data(
            method="app-registration",
            tenant_id="not a tenant",
            client_id="c0ffee",
            client_secret="s3cret-value-123",
            short_name="x",
        ),
    )
    assert response.status_code == 422
    assert input_value(response, "short_name") == "x"
    assert input_value(response, "tenant_id") == "not a tenant"
    assert input_value(response, "client_id") == "c0ffee"
    assert input_value(response, "client_secret") is None
    assert "s3cret-value-123" not in page_text(response)
    assert field_errors(response, "tenant_id")[0].startswith("Enter the Directory (tenant) ID")
    assert field_errors(response, "client_id")[0].startswith("Enter the Application (client) ID")
    assert Service.objects.count() == 0


def test_app_registration_without_secret(ops, customer):
    response = ops.post(
        f"{URL}?customer={customer.pk}",
        form_data(
            method="app-registration",
            tenant_id="72f988bf-86f1-41af-91ab-2d7cd011db47",
            client_id="1b730954-1685-4b74-9bfd-dac224a7b894",
        ),
    )
    assert field_errors(response, "client_secret") == ["Enter the client secret's value."]
    assert field_errors(response, "admin_email") == []


def test_duplicate_short_name_is_refused_case_insensitively(ops, customer):
    invite(customer, short_name="Contoso-01")
    before = counts()
    response = ops.post(f"{URL}?customer={customer.pk}", form_data(short_name="CONTOSO-01"))
    assert response.status_code == 422
    assert field_errors(response, "short_name") == [
        "Another service of this provider already uses this short name."
    ]
    assert counts() == before


def test_known_credentials_validate_and_activate(ops, customer, m365_tenant):
    response = ops.post(
        f"{URL}?customer={customer.pk}",
        form_data(
            method="app-registration",
            tenant_id=m365_tenant.tenant_id,
            client_id=m365_tenant.app_id,
            client_secret=m365_tenant.secret,
        ),
    )
    assert response.status_code == 200
    text = page_text(response)
    assert "Service Contoso-01 is active" in text
    assert text.count('class="check check--ok"') == 7
    assert m365_tenant.secret not in text
    service = Service.objects.get()
    assert service.status == "active"
    assert TenantConnection.objects.get().client_id == m365_tenant.app_id
    assert Invitation.objects.count() == 0


def test_known_credentials_failing_a_check_save_nothing(ops, customer, m365_tenant, sandbox):
    sandbox.admin.update_application(
        m365_tenant.tenant_id, m365_tenant.app_id, permissions=["Organization.Read.All"]
    )
    before = counts()
    response = ops.post(
        f"{URL}?customer={customer.pk}",
        form_data(
            method="app-registration",
            tenant_id=m365_tenant.tenant_id,
            client_id=m365_tenant.app_id,
            client_secret=m365_tenant.secret,
        ),
    )
    assert response.status_code == 422
    text = page_text(response)
    assert "Microsoft did not accept the app registration" in text
    assert "Nothing was saved." in text
    # The failing check comes first, with its how-to-fix.
    first = text.index('data-check="permissions"')
    assert first < text.index('data-check="tenant"')
    assert "Application.Read.All" in text
    assert "How to fix:" in text
    assert input_value(response, "tenant_id") == m365_tenant.tenant_id
    assert input_value(response, "client_secret") is None
    assert m365_tenant.secret not in text
    assert counts() == before


def test_microsoft_unreachable_saves_nothing(ops, customer, m365_tenant, sandbox):
    sandbox.admin.set_faults(status=503, paths="token")
    before = counts()
    response = ops.post(
        f"{URL}?customer={customer.pk}",
        form_data(
            method="app-registration",
            tenant_id=m365_tenant.tenant_id,
            client_id=m365_tenant.app_id,
            client_secret=m365_tenant.secret,
        ),
    )
    assert response.status_code == 503
    assert (
        "Microsoft could not be reached, try again in a moment; nothing was saved."
        in visible_text(response)
    )
    assert input_value(response, "short_name") == "Contoso-01"
    assert counts() == before


def test_monitor_cannot_add(monitor_client, customer):
    text = page_text(monitor_client.get("/services/"))
    assert "Add Service" not in text
    assert monitor_client.get("/services/add/").status_code == 403
    assert monitor_client.get(URL).status_code == 403
    before = counts()
    response = monitor_client.post(f"{URL}?customer={customer.pk}", form_data())
    assert response.status_code == 403
    assert "Your role does not allow this action." in page_text(response)
    assert counts() == before
