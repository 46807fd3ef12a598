"""Fixtures for the operator pages: signed-in clients, a monitor, another provider's objects,
and services built through the real domain functions (sandbox and SMTP are real)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from onramp.accounts.models import Operator
from onramp.accounts.scoping import can
from onramp.core.actors import Actor
from onramp.invitations.models import Invitation
from onramp.services.models import Service
from onramp.services.onboarding import invitation_authenticate, service_create
from onramp.services.services import ServiceRequest
from onramp.tenancy.models import Customer, Provider
from tests.conftest import PASSWORD
from tests.signin import sign_in


@pytest.fixture
def ops(client, operator):
    """The test client, signed in as the provider's operator."""
    sign_in(client, operator)
    return client


@pytest.fixture
def monitor(provider):
    return Operator.objects.create_user(
        "watch@northwind.example", PASSWORD, role="monitor", scope="provider", provider=provider
    )


@pytest.fixture
def monitor_client(monitor):
    """A separate client signed in as a monitor (usable next to ``ops``)."""
    client = Client()
    sign_in(client, monitor)
    return client


@pytest.fixture
def other_customer(db):
    provider = Provider.objects.create(name="Fabrikam Telecom")
    return Customer.objects.create(provider=provider, name="Tailspin Toys")


@pytest.fixture
def other_operator(other_customer):
    return Operator.objects.create_user(
        "ops@fabrikam.example",
        PASSWORD,
        role="operator",
        scope="provider",
        provider=other_customer.provider,
    )


@dataclass
class Invited:
    service: Service
    invitation: Invitation
    link: str

    @property
    def token(self) -> str:
        return self.link.rsplit("/", 1)[1]


def invite(customer, *, short_name="Contoso-01", admin_email="admin@contoso.example", actor=None):
    """A service awaiting authentication with its invitation, made by the domain layer."""
    if actor is None:
        operator = next(
            (
                found
                for found in Operator.objects.filter(provider=customer.provider)
                if can(found, "service.create")
            ),
            None,
        )
        actor = Actor.for_operator(operator) if operator else Actor.system()
    created = service_create(
        actor=actor,
        customer=customer,
        request=ServiceRequest(
            short_name=short_name,
            full_name=f"{short_name} voice",
            license_type="hosted-pro",
            licensed_users=25,
            method="invitation",
            admin_email=admin_email,
        ),
    )
    return Invited(created.service, created.issued.invitation, created.issued.link)


def activate_known(customer, tenant, *, short_name="Contoso-01", actor=None):
    """An active service made with known app-registration credentials (validated live)."""
    actor = actor or Actor.system()
    created = service_create(
        actor=actor,
        customer=customer,
        request=ServiceRequest(
            short_name=short_name,
            full_name="Contoso voice",
            license_type="hosted-essentials-plus",
            licensed_users=40,
            method="app-registration",
            tenant_id=tenant.tenant_id,
            client_id=tenant.app_id,
            client_secret=tenant.secret,
        ),
    )
    return created.service


@pytest.fixture
def invited(customer, operator):
    return invite(customer, actor=Actor.for_operator(operator))


@pytest.fixture
def authenticated(invited, m365_tenant):
    """The admin has completed the public wizard: Device Authenticated = true."""
    result = invitation_authenticate(
        invitation=invited.invitation,
        tenant_id=m365_tenant.tenant_id,
        client_id=m365_tenant.app_id,
        client_secret=m365_tenant.secret,
    )
    assert result.ok, result.message
    invited.invitation.refresh_from_db()
    invited.service.refresh_from_db()
    return invited


@pytest.fixture
def active_service(customer, m365_tenant, operator):
    return activate_known(customer, m365_tenant, actor=Actor.for_operator(operator))
