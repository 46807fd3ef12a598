"""Dashboard, Services, Customers and one service: scoped, filtered, paginated, sortable."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from onramp.core.actors import Actor
from onramp.services.models import Service
from onramp.services.onboarding import invitation_authenticate
from onramp.tenancy.models import Customer
from tests.pages.conftest import invite
from tests.pages.helpers import counts, field_errors, input_value, page_text, visible_text
from tests.signin import sign_in

pytestmark = pytest.mark.django_db


def rows(response) -> int:
    return page_text(response).count("<tr") - 1  # minus the header row


# --- Services ---------------------------------------------------------------------------------


def test_services_empty_state(ops):
    text = visible_text(ops.get("/services/"))
    assert "No services yet" in text
    assert "Add a service to invite a customer's Microsoft 365 admin" in text


def test_services_list_columns_and_scope(ops, customer, other_customer):
    invite(customer, short_name="Contoso-01")
    invite(other_customer, short_name="Tailspin-01")
    response = ops.get("/services/")
    text = visible_text(response)
    assert (
        "Contoso-01 Contoso-01 voice Contoso Ltd Hosted Pro 25 Awaiting authentication \u2014 "
        "just now" in text
    )
    assert "Tailspin-01" not in text
    assert rows(response) == 1
    assert "1\u20131 of 1" in text


def test_services_filters(ops, customer, provider, active_service):
    fabrikam = Customer.objects.create(provider=provider, name="Fabrikam Inc")
    invite(fabrikam, short_name="Fabrikam-01")
    assert rows(ops.get("/services/")) == 2
    assert rows(ops.get("/services/?status=active")) == 1
    assert "Contoso-01" in page_text(ops.get("/services/?status=active"))
    assert rows(ops.get(f"/services/?customer={fabrikam.pk}")) == 1
    assert "No services match these filters" in page_text(
        ops.get(f"/services/?customer={fabrikam.pk}&status=active")
    )
    assert rows(ops.get("/services/?status=nonsense&customer=zzz")) == 2


def test_services_sorting(ops, customer):
    for name in ("Bravo-01", "Alpha-01", "Charlie-01"):
        invite(customer, short_name=name)
    by_name = page_text(ops.get("/services/?sort=short_name"))
    assert by_name.index("Alpha-01") < by_name.index("Bravo-01") < by_name.index("Charlie-01")
    assert 'aria-sort="ascending"' in by_name
    reverse = page_text(ops.get("/services/?sort=-short_name"))
    assert reverse.index("Charlie-01") < reverse.index("Alpha-01")
    assert 'aria-sort="descending"' in reverse
    assert rows(ops.get("/services/?sort=password")) == 3  # unknown columns fall back


def test_services_paginate_by_fifty(ops, customer):
    for number in range(51):
        invite(customer, short_name=f"svc-{number:03d}")
    first = ops.get("/services/")
    assert rows(first) == 50
    assert "1\u201350 of 51" in visible_text(first)
    assert "Page 1 of 2" in visible_text(first)
    second = ops.get("/services/?page=2")
    assert rows(second) == 1
    assert "51\u201351 of 51" in visible_text(second)
    assert rows(ops.get("/services/?page=99")) == 1  # beyond the end: the last page


def test_service_detail(ops, invited):
    response = ops.get(f"/services/{invited.service.pk}/")
    assert response.status_code == 200
    text = visible_text(response)
    assert "Short name Contoso-01" in text
    assert "License type Hosted Pro" in text
    assert "Invitation email admin@contoso.example" in text
    assert "Device Authenticated No" in text
    assert "Not connected yet" in text
    assert "Delete service" in text


def test_active_service_cannot_be_deleted(ops, active_service):
    assert "Delete service" not in page_text(ops.get(f"/services/{active_service.pk}/"))
    confirm = ops.get(f"/services/{active_service.pk}/delete/")
    assert confirm.status_code == 409
    assert "An active service cannot be deleted." in visible_text(confirm)
    before = counts()
    response = ops.post(f"/services/{active_service.pk}/delete/")
    assert response.status_code == 409
    assert counts() == before


def test_unknown_service_id_is_not_found(ops):
    assert ops.get("/services/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert ops.get("/services/not-a-uuid/").status_code == 404


# --- Dashboard --------------------------------------------------------------------------------


def test_dashboard_counts_and_ready_to_add(ops, customer, operator, m365_tenant):
    invite(customer, short_name="Wait-01")
    ready = invite(customer, short_name="Ready-01")
    invitation_authenticate(
        invitation=ready.invitation,
        tenant_id=m365_tenant.tenant_id,
        client_id=m365_tenant.app_id,
        client_secret=m365_tenant.secret,
    )
    response = ops.get("/dashboard/")
    assert response.status_code == 200
    text = visible_text(response)
    assert (
        "1 Awaiting authentication 1 Authenticated 0 Active 0 Active · connection failing "
        "0 Disconnected" in text
    )
    assert "1 Authenticated: ready to add 1 Pending 0 Expired" in text
    assert "Ready-01 Contoso Ltd just now Add" in text
    assert f'href="/invitations/{ready.invitation.pk}/add/"' in page_text(response)


# --- Customers --------------------------------------------------------------------------------


def test_customers_list_is_scoped(ops, customer, other_customer):
    invite(customer)
    response = ops.get("/customers/")
    text = visible_text(response)
    assert "Contoso Ltd" in text
    assert "Tailspin Toys" not in text
    assert f'href="/services/?customer={customer.pk}"' in page_text(response)
    assert 'aria-label="1 service of Contoso Ltd"' in page_text(response)


def test_add_customer(ops, provider):
    form = ops.get("/customers/add/")
    assert form.status_code == 200
    for label in ("Name", "Azure tenant ID", "Contact email"):
        assert f">{label}<" in page_text(form)
    response = ops.post(
        "/customers/add/",
        {
            "name": " Fabrikam Inc ",
            "azure_tenant_id": "72F988BF-86F1-41AF-91AB-2D7CD011DB47",
            "contact_email": "it@fabrikam.example",
        },
    )
    assert response.status_code == 302
    assert response.url == "/customers/"
    customer = Customer.objects.get(name="Fabrikam Inc")
    assert customer.provider == provider
    assert customer.azure_tenant_id == "72f988bf-86f1-41af-91ab-2d7cd011db47"
    assert "Customer Fabrikam Inc was added." in visible_text(ops.get("/customers/"))


@pytest.mark.parametrize(
    "data,field,message",
    [
        ({"name": ""}, "name", "Enter a name of at most 200 characters."),
        ({"name": "x" * 201}, "name", "Enter a name of at most 200 characters."),
        (
            {"name": "Fabrikam", "azure_tenant_id": "fabrikam.com"},
            "azure_tenant_id",
            "Enter the tenant ID as a GUID, or leave it empty.",
        ),
        (
            {"name": "Fabrikam", "contact_email": "nope"},
            "contact_email",
            "Enter a valid email address.",
        ),
        ({"name": "Contoso Ltd"}, "name", "This provider already has a customer with this name."),
    ],
)
def test_add_customer_errors(ops, customer, data, field, message):
    before = Customer.objects.count()
    response = ops.post("/customers/add/", data)
    assert response.status_code == 422
    assert field_errors(response, field) == [message]
    assert (input_value(response, "name") or "") == data["name"]
    assert Customer.objects.count() == before


def test_monitor_cannot_add_customers(monitor_client):
    assert "Add customer" not in page_text(monitor_client.get("/customers/"))
    assert monitor_client.get("/customers/add/").status_code == 403
    response = monitor_client.post("/customers/add/", {"name": "Sneaky"})
    assert response.status_code == 403
    assert not Customer.objects.filter(name="Sneaky").exists()


# --- Query counts: lists do not run more queries as rows grow -------------------------------


def fill(customer, operator, start: int, count: int) -> None:
    actor = Actor.for_operator(operator)
    for number in range(start, start + count):
        invite(customer, short_name=f"q-{number:03d}", actor=actor)


@pytest.mark.parametrize("url", ["/services/", "/invitations/", "/customers/", "/dashboard/"])
def test_list_queries_do_not_grow_with_rows(
    ops, customer, operator, provider, url, django_assert_max_num_queries
):
    fill(customer, operator, 0, 5)
    for number in range(5):
        Customer.objects.create(provider=provider, name=f"Customer {number}")
    with CaptureQueriesContext(connection) as five:
        assert ops.get(url).status_code == 200
    fill(customer, operator, 5, 45)
    for number in range(5, 50):
        Customer.objects.create(provider=provider, name=f"Customer {number}")
    assert Service.objects.count() == 50
    with django_assert_max_num_queries(len(five.captured_queries)):
        response = ops.get(url)
    assert response.status_code == 200
    if url != "/dashboard/":
        assert rows(response) == 50


def test_add_customer_in_a_channel(ops, provider):
    from onramp.tenancy.models import Channel

    channel = Channel.objects.create(provider=provider, name="Reseller North")
    form = page_text(ops.get("/customers/add/"))
    assert f'<option value="{channel.pk}">Reseller North</option>' in form
    response = ops.post("/customers/add/", {"name": "Fabrikam Inc", "channel_id": str(channel.pk)})
    assert response.status_code == 302
    assert Customer.objects.get(name="Fabrikam Inc").channel == channel
    bogus = ops.post("/customers/add/", {"name": "Other Inc", "channel_id": "nope"})
    assert bogus.status_code == 422
    assert field_errors(bogus, "channel_id") == [
        "Select a valid choice. nope is not one of the available choices."
    ]
    assert not Customer.objects.filter(name="Other Inc").exists()


def test_system_operator_chooses_the_provider(client, provider):
    from onramp.accounts.models import Operator

    admin = Operator.objects.create_user(
        "root@onramp.example", "x" * 20, role="admin", scope="system"
    )
    sign_in(client, admin)
    form = page_text(client.get("/customers/add/"))
    assert "Service provider" in form
    missing = client.post("/customers/add/", {"name": "Fabrikam Inc"})
    assert missing.status_code == 422
    assert field_errors(missing, "provider_id") == ["Choose the provider the customer belongs to."]
    response = client.post(
        "/customers/add/", {"name": "Fabrikam Inc", "provider_id": str(provider.pk)}
    )
    assert response.status_code == 302
    assert Customer.objects.get(name="Fabrikam Inc").provider == provider
    assert "Northwind Voice" in visible_text(client.get("/customers/"))  # provider column


def test_demo_operator_sees_the_second_factor_banner(ops, operator):
    assert "exempt from the second factor" not in visible_text(ops.get("/services/"))
    operator.second_factor_exempt = True
    operator.save()
    assert "Demo sign-in: this operator is exempt from the second factor." in visible_text(
        ops.get("/services/")
    )
