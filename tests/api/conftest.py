"""API fixtures: a caller (JSON client with a bearer token) per kind of operator, the objects
they act on, and services in each state built through the API itself."""

from __future__ import annotations

from typing import Any

import pytest

from onramp.tenancy.models import Channel, Customer, Provider
from tests.api.helpers import Api, api_as, app_registration, service_body, token_for, wizard_success


@pytest.fixture
def api(operator) -> Api:
    """The provider-scoped operator (role operator) of tests.conftest."""
    return Api(token_for(operator), operator)


@pytest.fixture
def anonymous(db) -> Api:
    return Api("")


@pytest.fixture
def monitor_api(provider) -> Api:
    return api_as(
        email="monitor@northwind.example", role="monitor", scope="provider", provider=provider
    )


@pytest.fixture
def customer_api(customer) -> Api:
    """An operator scoped to the one customer: maintains its services, creates nothing."""
    return api_as(
        email="it@contoso.example",
        role="operator",
        scope="customer",
        customer=customer,
    )


@pytest.fixture
def system_api(db) -> Api:
    return api_as(email="root@onramp.example", role="admin", scope="system")


@pytest.fixture
def admin_api(provider) -> Api:
    """An admin of the provider: everything, including its operators."""
    return api_as(
        email="admin@northwind.example", role="admin", scope="provider", provider=provider
    )


@pytest.fixture
def channel_admin_api(channel) -> Api:
    return api_as(
        email="admin@reseller.example",
        role="admin",
        scope="channel",
        channel=channel,
    )


@pytest.fixture
def customer_admin_api(customer) -> Api:
    return api_as(
        email="admin@contoso.example",
        role="admin",
        scope="customer",
        customer=customer,
    )


@pytest.fixture
def channel(provider) -> Channel:
    return Channel.objects.create(provider=provider, name="Reseller East")


@pytest.fixture
def channel_api(channel) -> Api:
    return api_as(
        email="east@reseller.example",
        role="operator",
        scope="channel",
        channel=channel,
    )


@pytest.fixture
def other_provider(db) -> Provider:
    return Provider.objects.create(name="Southwind Telecom")


@pytest.fixture
def other_customer(other_provider) -> Customer:
    return Customer.objects.create(provider=other_provider, name="Tailspin Toys")


@pytest.fixture
def other_api(other_provider) -> Api:
    """An admin of a second provider: sees none of the first provider's objects."""
    return api_as(
        email="admin@southwind.example", role="admin", scope="provider", provider=other_provider
    )


@pytest.fixture
def invited(api, customer) -> dict[str, Any]:
    """A service created with the invitation option (awaiting authentication)."""
    response = api.post("/services", service_body(customer))
    assert response.status_code == 201, response.content
    return response.json()


@pytest.fixture
def authenticated(invited, m365_tenant) -> dict[str, Any]:
    """The invited service after the admin's wizard success (invitation authenticated)."""
    wizard_success(invited["invitation"]["link"], m365_tenant)
    return invited


@pytest.fixture
def active(api, customer, m365_tenant) -> dict[str, Any]:
    """A service created active with known app-registration credentials."""
    body = service_body(customer, short_name="Contoso-AR", connection=app_registration(m365_tenant))
    response = api.post("/services", body)
    assert response.status_code == 201, response.content
    return response.json()
