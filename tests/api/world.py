"""The world the authorization matrix and the robustness test act on: a provider with a
channel, a customer in it, services in each state, an operator to manage, a job — each built
the first time a request names it — and the caller under test."""

from __future__ import annotations

import uuid
from functools import cached_property
from typing import Any

import pytest
from django.db.models import Model

from onramp.accounts.models import ApiToken
from onramp.health.services import validation_job_create
from onramp.tenancy.models import Channel, Customer, Provider
from tests.api.helpers import (
    Api,
    api_as,
    app_registration,
    new_secret,
    service_body,
    token_for,
    wizard_success,
)
from tests.factories import OperatorFactory
from tests.world import Places, person

# The API matrix's callers as the kinds of operator tests/world.py builds.
CALLER_KINDS = {
    "monitor": "provider monitor",
    "operator": "provider operator",
    "provider_admin": "provider admin",
    "system_admin": "system admin",
    "channel_admin": "channel admin",
    "customer_admin": "customer admin",
    "other_provider": "other admin",
}
_CALLER_EMAILS = {"other_provider": "admin@southwind.example"}


class World:
    """The provider's objects, each built the first time a row needs it."""

    def __init__(self, request: pytest.FixtureRequest, caller: str) -> None:
        self.request = request
        self.caller = caller

    def fixture(self, name: str) -> Any:
        return self.request.getfixturevalue(name)

    def __getitem__(self, name: str) -> str:
        """For str.format_map: the id (or value) a path or body names."""
        value = getattr(self, name)
        return str(value.pk if isinstance(value, Model) else value)

    def ids(self) -> dict[str, str]:
        """The ids of what has been built so far (the caller's own objects excepted)."""
        found = {}
        for name in ("provider", "channel", "customer", "target_operator"):
            if name in self.__dict__:
                found[name] = str(self.__dict__[name].pk)
        for name in ("active", "job", "target_token"):
            if name in self.__dict__:
                found[name] = self.__dict__[name]
        if "invited_service" in self.__dict__:
            found["invited"] = self.invited
            found["invitation"] = self.invitation
        return found

    @cached_property
    def provider(self) -> Provider:
        return self.fixture("provider")

    @cached_property
    def channel(self) -> Channel:
        return Channel.objects.create(provider=self.provider, name="Reseller East")

    @cached_property
    def customer(self) -> Customer:
        customer = self.fixture("customer")
        customer.channel = self.channel
        customer.save()
        return customer

    @cached_property
    def builder(self) -> Api:
        """Builds the world through the API (a provider operator outside the callers)."""
        return api_as(email="builder@northwind.example", provider=self.provider)

    @cached_property
    def tenant(self) -> Any:
        return self.fixture("m365_tenant")

    @cached_property
    def active(self) -> str:
        body = service_body(
            self.customer, short_name="Active-1", connection=app_registration(self.tenant)
        )
        response = self.builder.post("/services", body)
        assert response.status_code == 201, response.content
        return response.json()["id"]

    @cached_property
    def invited_service(self) -> dict[str, Any]:
        response = self.builder.post(
            "/services", service_body(self.customer, short_name="Invited-1")
        )
        assert response.status_code == 201, response.content
        created = response.json()
        wizard_success(created["invitation"]["link"], self.tenant)
        return created

    @property
    def invited(self) -> str:
        return self.invited_service["id"]

    @property
    def invitation(self) -> str:
        return self.invited_service["invitation"]["id"]

    @cached_property
    def new_secret(self) -> str:
        return new_secret(self.fixture("sandbox"), self.tenant)["secret_text"]

    @property
    def new_service(self) -> dict[str, Any]:
        return service_body(self.customer, short_name="Matrix-1")

    @cached_property
    def target_operator(self) -> Any:
        return OperatorFactory(email="it@contoso.example", scope="customer", customer=self.customer)

    @property
    def target(self) -> str:
        return str(self.target_operator.pk)

    @cached_property
    def target_token(self) -> str:
        token_for(self.target_operator)
        return str(ApiToken.objects.get(operator=self.target_operator).pk)

    @property
    def own_token(self) -> str:
        operator = self.api.operator
        if operator is None:
            return str(uuid.uuid4())
        return str(ApiToken.objects.get(operator=operator).pk)

    @cached_property
    def job(self) -> str:
        job = validation_job_create(
            scope="customer", scope_id=str(self.customer.pk), provider_id=self.provider.pk
        )
        return str(job.pk)

    @cached_property
    def api(self) -> Api:
        """The caller under test."""
        if self.caller == "anonymous":
            return Api("")
        other = (
            Provider.objects.create(name="Southwind Telecom")
            if self.caller == "other_provider"
            else self.provider
        )
        places = Places(self.provider, self.customer.channel, self.customer, other)
        operator = person(
            CALLER_KINDS[self.caller],
            _CALLER_EMAILS.get(self.caller, f"{self.caller.replace('_', '.')}@callers.example"),
            places,
        )
        return Api(token_for(operator), operator)


def filled(value: Any, world: World) -> Any:
    """A body or parameters with every ``{name}`` replaced by the world's value."""
    if isinstance(value, str):
        return getattr(world, value) if value in ("new_service",) else value.format_map(world)
    if isinstance(value, dict):
        return {k: filled(v, world) for k, v in value.items()}
    return value
