"""POST/GET /customers, GET/PATCH /customers/{id}: placement defaults, rules, scope, roles."""

from __future__ import annotations

import pytest

from onramp.audit.models import AuditEvent
from onramp.tenancy.models import Channel, Customer
from tests.api.helpers import TIMESTAMP, db_state, error

pytestmark = pytest.mark.django_db


def test_create_defaults_to_the_callers_provider(api, provider):
    response = api.post(
        "/customers",
        {
            "name": "  Fabrikam Inc ",
            "azure_tenant_id": "72F988BF-86F1-41AF-91AB-2D7CD011DB47",
            "contact_email": "it@fabrikam.example",
            "notify_admin_on_expiry": True,
        },
    )
    assert response.status_code == 201
    body = response.json()
    customer = Customer.objects.get(name="Fabrikam Inc")
    assert body == {
        "id": str(customer.pk),
        "provider_id": str(provider.pk),
        "channel_id": None,
        "name": "Fabrikam Inc",
        "azure_tenant_id": "72f988bf-86f1-41af-91ab-2d7cd011db47",
        "contact_email": "it@fabrikam.example",
        "notify_admin_on_expiry": True,
        "country": None,
        "created_at": body["created_at"],
    }
    assert TIMESTAMP.fullmatch(body["created_at"])
    assert AuditEvent.objects.filter(action="customer.created", target_id=str(customer.pk)).count()


def test_create_with_only_a_name_and_nulls(api):
    response = api.post(
        "/customers", {"name": "Fabrikam", "azure_tenant_id": None, "contact_email": None}
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["azure_tenant_id"], body["contact_email"], body["channel_id"]) == (None,) * 3
    assert body["notify_admin_on_expiry"] is False


def test_create_in_a_channel_of_the_provider(api, channel):
    response = api.post("/customers", {"name": "Fabrikam", "channel_id": str(channel.pk)})
    assert response.status_code == 201
    assert response.json()["channel_id"] == str(channel.pk)


def test_channel_operator_creates_in_its_own_channel(channel_api, channel, provider):
    response = channel_api.post("/customers", {"name": "Fabrikam"})
    assert response.status_code == 201
    assert (response.json()["provider_id"], response.json()["channel_id"]) == (
        str(provider.pk),
        str(channel.pk),
    )
    other = Channel.objects.create(provider=provider, name="Reseller West")
    before = db_state()
    response = channel_api.post("/customers", {"name": "Wingtip", "channel_id": str(other.pk)})
    assert error(response) == (422, "invalid_input", {"channel_id": ["No such channel."]})
    assert db_state() == before


def test_system_operator_must_name_the_provider(system_api, provider, channel):
    before = db_state()
    response = system_api.post("/customers", {"name": "Fabrikam"})
    assert error(response) == (
        422,
        "invalid_input",
        {"provider_id": ["Choose the provider the customer belongs to."]},
    )
    assert db_state() == before
    response = system_api.post("/customers", {"name": "Fabrikam", "provider_id": str(provider.pk)})
    assert response.status_code == 201
    assert response.json()["provider_id"] == str(provider.pk)
    response = system_api.post("/customers", {"name": "Wingtip", "channel_id": str(channel.pk)})
    assert response.status_code == 201
    assert response.json()["provider_id"] == str(provider.pk)


def test_create_rules(api, provider, other_provider):
    other_channel = Channel.objects.create(provider=other_provider, name="Elsewhere")
    cases = [
        ({"name": "   "}, {"name": ["Enter a name of at most 200 characters."]}),
        ({"name": "x" * 201}, {"name": ["Enter a name of at most 200 characters."]}),
        (
            {"name": "Fabrikam", "azure_tenant_id": "contoso.onmicrosoft.com"},
            {"azure_tenant_id": ["Enter the tenant ID as a GUID, or leave it empty."]},
        ),
        (
            {"name": "Fabrikam", "contact_email": "not-an-email"},
            {"contact_email": ["Enter a valid email address."]},
        ),
        (
            {"name": "Contoso Ltd"},
            {"name": ["This provider already has a customer with this name."]},
        ),
        (
            {"name": "Fabrikam", "provider_id": str(other_provider.pk)},
            {"provider_id": ["No such provider."]},
        ),
        ({"name": "Fabrikam", "provider_id": "nope"}, {"provider_id": ["No such provider."]}),
        (
            {"name": "Fabrikam", "channel_id": str(other_channel.pk)},
            {"channel_id": ["No such channel."]},
        ),
        ({"name": "Fabrikam", "channel_id": "nope"}, {"channel_id": ["No such channel."]}),
    ]
    Customer.objects.create(provider=provider, name="Contoso Ltd")
    before = db_state()
    for body, errors in cases:
        assert error(api.post("/customers", body)) == (422, "invalid_input", errors), body
    assert db_state() == before


def test_monitor_and_customer_operator_may_not_create(monitor_api, customer_api):
    before = db_state()
    for caller in (monitor_api, customer_api):
        response = caller.post("/customers", {"name": "Fabrikam"})
        assert error(response) == (403, "forbidden", None)
        assert response.json()["detail"] == "Your role does not allow this action."
    assert db_state() == before


def test_list_and_get_are_scoped(api, customer, other_api, other_customer, customer_api):
    Customer.objects.create(provider=customer.provider, name="Fabrikam")
    assert [c["name"] for c in api.get("/customers").json()["items"]] == [
        "Fabrikam",
        "Contoso Ltd",
    ]
    assert [c["name"] for c in other_api.get("/customers").json()["items"]] == ["Tailspin Toys"]
    assert [c["name"] for c in customer_api.get("/customers").json()["items"]] == ["Contoso Ltd"]
    assert api.get(f"/customers/{customer.pk}").json()["name"] == "Contoso Ltd"
    assert error(other_api.get(f"/customers/{customer.pk}")) == (404, "not_found", None)
    assert error(api.get(f"/customers/{other_customer.pk}")) == (404, "not_found", None)


def test_patch_changes_only_the_fields_sent(api, customer, channel):
    response = api.patch(
        f"/customers/{customer.pk}",
        {"contact_email": " it@contoso.example ", "channel_id": str(channel.pk)},
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["contact_email"], body["channel_id"]) == (
        "Contoso Ltd",
        "it@contoso.example",
        str(channel.pk),
    )
    event = AuditEvent.objects.get(action="customer.changed")
    assert event.changes == {
        "old": {"contact_email": "", "channel_id": None},
        "new": {"contact_email": "it@contoso.example", "channel_id": str(channel.pk)},
    }
    response = api.patch(f"/customers/{customer.pk}", {"channel_id": None, "azure_tenant_id": None})
    assert response.json()["channel_id"] is None
    customer.refresh_from_db()
    assert (customer.channel_id, customer.contact_email) == (None, "it@contoso.example")


def test_patch_with_nothing_new_records_nothing(api, customer):
    response = api.patch(f"/customers/{customer.pk}", {"name": "Contoso Ltd"})
    assert response.status_code == 200
    assert not AuditEvent.objects.filter(action="customer.changed").exists()


def test_patch_rules_and_refusals(api, customer, monitor_api, other_api, other_provider):
    Customer.objects.create(provider=customer.provider, name="Fabrikam")
    foreign = Channel.objects.create(provider=other_provider, name="Elsewhere")
    path = f"/customers/{customer.pk}"
    before = db_state()
    assert error(api.patch(path, {"name": "Fabrikam"})) == (
        422,
        "invalid_input",
        {"name": ["This provider already has a customer with this name."]},
    )
    assert error(api.patch(path, {"name": None})) == (
        422,
        "invalid_input",
        {"name": ["Enter a name of at most 200 characters."]},
    )
    assert error(api.patch(path, {"channel_id": str(foreign.pk)})) == (
        422,
        "invalid_input",
        {"channel_id": ["No such channel."]},
    )
    assert error(api.patch(path, {"provider_id": str(other_provider.pk)})) == (
        400,
        "malformed_request",
        {"provider_id": ["Unknown field."]},
    )
    assert error(monitor_api.patch(path, {"name": "Renamed"})) == (403, "forbidden", None)
    assert error(other_api.patch(path, {"name": "Renamed"})) == (404, "not_found", None)
    assert db_state() == before


def test_channel_operator_keeps_its_customers_in_its_channel(channel_api, channel, provider):
    customer = Customer.objects.create(provider=provider, channel=channel, name="Fabrikam")
    before = db_state()
    response = channel_api.patch(f"/customers/{customer.pk}", {"channel_id": None})
    assert error(response) == (
        422,
        "invalid_input",
        {"channel_id": ["Customers of a channel operator stay in its channel."]},
    )
    assert db_state() == before


def test_country_is_an_iso_3166_code_in_any_case(api):
    response = api.post("/customers", {"name": "Fabrikam", "country": " gb "})
    assert response.status_code == 201
    assert response.json()["country"] == "GB"
    customer = Customer.objects.get(name="Fabrikam")
    assert customer.country == "GB"
    assert AuditEvent.objects.get(action="customer.created").changes["new"]["country"] == "GB"


@pytest.mark.parametrize("country", ["XX", "GBR", "U", "uk", "12"])
def test_a_country_that_is_not_an_iso_3166_code_is_refused(api, country):
    before = db_state()
    response = api.post("/customers", {"name": "Fabrikam", "country": country})
    assert error(response) == (
        422,
        "invalid_input",
        {
            "country": [
                "Enter the country as its ISO 3166 two-letter code, such as GB or US, "
                "or leave it empty."
            ]
        },
    )
    assert db_state() == before


def test_change_and_clear_the_country(api, provider):
    customer = Customer.objects.create(provider=provider, name="Fabrikam", country="GB")
    changed = api.patch(f"/customers/{customer.pk}", {"country": "de"})
    assert (changed.status_code, changed.json()["country"]) == (200, "DE")
    assert AuditEvent.objects.get(action="customer.changed").changes == {
        "old": {"country": "GB"},
        "new": {"country": "DE"},
    }
    before = db_state()
    refused = api.patch(f"/customers/{customer.pk}", {"country": "Germany"})
    assert error(refused)[2] == {
        "country": [
            "Enter the country as its ISO 3166 two-letter code, such as GB or US, "
            "or leave it empty."
        ]
    }
    assert db_state() == before
    cleared = api.patch(f"/customers/{customer.pk}", {"country": None})
    assert cleared.json()["country"] is None
    customer.refresh_from_db()
    assert customer.country == ""
