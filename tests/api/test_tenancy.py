"""Providers (system admins create and change them) and channels (with their customer limit)."""

from __future__ import annotations

import pytest

from onramp.audit.models import AuditEvent
from onramp.tenancy.models import Channel, Customer, Provider
from tests.api.helpers import TIMESTAMP, db_state, error

pytestmark = pytest.mark.django_db


def test_a_system_admin_creates_and_changes_a_provider(system_api):
    response = system_api.post(
        "/providers", {"name": " Fabrikam Voice ", "sbc_domain": "SBC.Fabrikam.example"}
    )
    assert response.status_code == 201
    provider = Provider.objects.get(name="Fabrikam Voice")
    body = response.json()
    assert body == {
        "id": str(provider.pk),
        "name": "Fabrikam Voice",
        "sbc_domain": "sbc.fabrikam.example",
        "sbc_domains": ["sbc.fabrikam.example"],
        "created_at": body["created_at"],
    }
    assert TIMESTAMP.fullmatch(body["created_at"])
    path = f"/providers/{provider.pk}"
    assert system_api.get(path).json() == body
    response = system_api.patch(path, {"sbc_domain": None})
    assert (response.status_code, response.json()["sbc_domain"]) == (200, None)
    response = system_api.patch(path, {"name": "Fabrikam Telecom"})
    assert response.json()["name"] == "Fabrikam Telecom"
    events = AuditEvent.objects.filter(target_id=str(provider.pk)).order_by("id")
    assert [(e.action, e.changes) for e in events] == [
        (
            "provider.created",
            {"new": {"name": "Fabrikam Voice", "sbc_domain": "sbc.fabrikam.example"}},
        ),
        (
            "provider.changed",
            {
                "old": {
                    "sbc_domain": "sbc.fabrikam.example",
                    "sbc_domains": ["sbc.fabrikam.example"],
                },
                "new": {"sbc_domain": "", "sbc_domains": []},
            },
        ),
        (
            "provider.changed",
            {"old": {"name": "Fabrikam Voice"}, "new": {"name": "Fabrikam Telecom"}},
        ),
    ]
    assert all(e.provider_id == provider.pk for e in events)


def test_provider_rules(system_api, provider):
    cases = [
        ({"name": " "}, {"name": ["Enter a name of at most 200 characters."]}),
        ({"name": "Northwind Voice"}, {"name": ["A provider with this name already exists."]}),
        (
            {"name": "X", "sbc_domain": "not a domain"},
            {"sbc_domain": ["Enter a domain name such as sbc.example.com."]},
        ),
        ({"name": "X", "sbc_domain": "d" * 254}, {"sbc_domain": ["Use at most 253 characters."]}),
    ]
    before = db_state()
    for body, errors in cases:
        assert error(system_api.post("/providers", body)) == (422, "invalid_input", errors), body
    other = system_api.post("/providers", {"name": "Southwind"}).json()
    before = db_state()
    response = system_api.patch(f"/providers/{other['id']}", {"name": "Northwind Voice"})
    assert error(response) == (
        422,
        "invalid_input",
        {"name": ["A provider with this name already exists."]},
    )
    assert db_state() == before


def test_only_system_admins_create_or_change_providers(api, admin_api, provider, system_api):
    system_operator = system_api.operator
    system_operator.role = "operator"
    system_operator.save()
    before = db_state()
    for caller in (api, admin_api, system_api):
        assert error(caller.post("/providers", {"name": "Mine"})) == (403, "forbidden", None)
        response = caller.patch(f"/providers/{provider.pk}", {"name": "Mine"})
        assert error(response) == (403, "forbidden", None)
    assert db_state() == before


def test_provider_operators_see_their_own_provider_only(api, provider, other_provider, system_api):
    assert [p["name"] for p in api.get("/providers").json()["items"]] == ["Northwind Voice"]
    assert error(api.get(f"/providers/{other_provider.pk}")) == (404, "not_found", None)
    names = [p["name"] for p in system_api.get("/providers").json()["items"]]
    assert names == ["Southwind Telecom", "Northwind Voice"]  # newest first


def test_channels_are_created_in_the_callers_provider(api, provider):
    response = api.post("/channels", {"name": " Reseller North ", "max_customers": 2})
    assert response.status_code == 201
    channel = Channel.objects.get()
    body = response.json()
    assert body == {
        "id": str(channel.pk),
        "provider_id": str(provider.pk),
        "name": "Reseller North",
        "max_customers": 2,
        "customer_count": 0,
        "created_at": body["created_at"],
    }
    event = AuditEvent.objects.get(action="channel.created")
    assert (event.target_id, event.provider_id, event.changes) == (
        str(channel.pk),
        provider.pk,
        {"new": {"name": "Reseller North", "max_customers": 2}},
    )


def test_channel_rules(api, provider, other_provider, system_api, channel):
    cases = [
        ({"name": ""}, {"name": ["Enter a name of at most 200 characters."]}),
        (
            {"name": "Reseller East"},
            {"name": ["This provider already has a channel with this name."]},
        ),
        (
            {"name": "X", "max_customers": -1},
            {"max_customers": ["Use a whole number from 0 to 1,000,000, or null for no limit."]},
        ),
        (
            {"name": "X", "provider_id": str(other_provider.pk)},
            {"provider_id": ["No such provider."]},
        ),
    ]
    before = db_state()
    for body, errors in cases:
        assert error(api.post("/channels", body)) == (422, "invalid_input", errors), body
    assert error(system_api.post("/channels", {"name": "X"})) == (
        422,
        "invalid_input",
        {"provider_id": ["Choose the provider the channel belongs to."]},
    )
    assert error(api.post("/channels", {"name": "X", "max_customers": "3"}))[:2] == (
        400,
        "malformed_request",
    )
    assert db_state() == before
    response = system_api.post("/channels", {"name": "X", "provider_id": str(other_provider.pk)})
    assert response.json()["provider_id"] == str(other_provider.pk)


def test_channel_visibility(api, channel, channel_api, customer_api, other_api, provider):
    west = Channel.objects.create(provider=provider, name="Reseller West")
    Customer.objects.create(provider=provider, channel=channel, name="Fabrikam")
    assert [(c["name"], c["customer_count"]) for c in api.get("/channels").json()["items"]] == [
        ("Reseller West", 0),
        ("Reseller East", 1),
    ]
    assert [c["name"] for c in channel_api.get("/channels").json()["items"]] == ["Reseller East"]
    assert channel_api.get(f"/channels/{channel.pk}").json()["customer_count"] == 1
    assert error(channel_api.get(f"/channels/{west.pk}")) == (404, "not_found", None)
    assert customer_api.get("/channels").json() == {"items": [], "next": None}
    assert error(other_api.get(f"/channels/{channel.pk}")) == (404, "not_found", None)


def test_a_channel_operator_may_not_create_or_change_channels(channel_api, channel):
    before = db_state()
    assert error(channel_api.post("/channels", {"name": "Mine"})) == (403, "forbidden", None)
    response = channel_api.patch(f"/channels/{channel.pk}", {"max_customers": 1000})
    assert error(response) == (403, "forbidden", None)
    assert db_state() == before


def test_max_customers_limits_creating_and_attaching(api, channel, provider, customer):
    api.patch(f"/channels/{channel.pk}", {"max_customers": 1})
    response = api.post("/customers", {"name": "Fabrikam", "channel_id": str(channel.pk)})
    assert response.status_code == 201
    full = {"channel_id": ["The channel Reseller East is full: its limit is 1 customer."]}
    before = db_state()
    response = api.post("/customers", {"name": "Wingtip", "channel_id": str(channel.pk)})
    assert error(response) == (422, "invalid_input", full)
    response = api.patch(f"/customers/{customer.pk}", {"channel_id": str(channel.pk)})
    assert error(response) == (422, "invalid_input", full)
    assert db_state() == before
    fabrikam = Customer.objects.get(name="Fabrikam")
    # Staying in the channel, or changing something else, needs no room.
    response = api.patch(
        f"/customers/{fabrikam.pk}", {"channel_id": str(channel.pk), "name": "Fabrikam Inc"}
    )
    assert response.status_code == 200
    assert api.patch(f"/customers/{fabrikam.pk}", {"channel_id": None}).status_code == 200
    response = api.patch(f"/customers/{customer.pk}", {"channel_id": str(channel.pk)})
    assert response.json()["channel_id"] == str(channel.pk)


def test_max_customers_cannot_drop_below_the_customers_attached(api, channel, provider):
    for name in ("A", "B"):
        Customer.objects.create(provider=provider, channel=channel, name=name)
    before = db_state()
    response = api.patch(f"/channels/{channel.pk}", {"max_customers": 1})
    assert error(response) == (
        422,
        "invalid_input",
        {"max_customers": ["The channel has 2 customers already."]},
    )
    assert db_state() == before
    response = api.patch(f"/channels/{channel.pk}", {"max_customers": 2, "name": "East"})
    assert response.json() == {**response.json(), "max_customers": 2, "name": "East"}
    assert response.json()["customer_count"] == 2
    event = AuditEvent.objects.get(action="channel.changed")
    assert event.changes == {
        "old": {"name": "Reseller East", "max_customers": None},
        "new": {"name": "East", "max_customers": 2},
    }
    response = api.patch(f"/channels/{channel.pk}", {"max_customers": None})
    assert response.json()["max_customers"] is None
    assert api.post("/customers", {"name": "C", "channel_id": str(channel.pk)}).status_code == 201


def test_a_channel_full_at_zero_takes_no_customer(channel_api, channel, api):
    api.patch(f"/channels/{channel.pk}", {"max_customers": 0})
    before = db_state()
    response = channel_api.post("/customers", {"name": "Fabrikam"})
    assert error(response) == (
        422,
        "invalid_input",
        {"channel_id": ["The channel Reseller East is full: its limit is 0 customers."]},
    )
    assert db_state() == before


def test_the_providers_own_admins_set_its_sbc_domains_but_not_its_name(admin_api, provider):
    path = f"/providers/{provider.pk}"
    response = admin_api.patch(
        path, {"sbc_domains": ["SBC1.northwind.example", "sbc2.northwind.example"]}
    )
    assert response.status_code == 200
    assert (response.json()["sbc_domain"], response.json()["sbc_domains"]) == (
        "sbc1.northwind.example",
        ["sbc1.northwind.example", "sbc2.northwind.example"],
    )
    response = admin_api.patch(path, {"sbc_domain": "sbc0.northwind.example"})
    assert response.json()["sbc_domains"] == ["sbc0.northwind.example", "sbc2.northwind.example"]
    before = db_state()
    assert error(admin_api.patch(path, {"name": "Northwind Telecom"}))[:2] == (403, "forbidden")
    assert db_state() == before


def test_sbc_domains_rules(admin_api, api, provider):
    path = f"/providers/{provider.pk}"
    before = db_state()
    assert error(admin_api.patch(path, {"sbc_domains": ["sbc.x.example", "not a domain"]})) == (
        422,
        "invalid_input",
        {"sbc_domains": ["not a domain: Enter a domain name such as sbc.example.com."]},
    )
    assert error(admin_api.patch(path, {"sbc_domains": ["a.example", "A.example"]}))[2] == {
        "sbc_domains": ["Name each SBC domain once."]
    }
    assert error(api.patch(path, {"sbc_domains": ["a.example"]}))[:2] == (403, "forbidden")
    assert db_state() == before
