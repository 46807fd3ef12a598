"""The tests' domain objects, in one place (factory_boy): a test names what is special about its
data and nothing else.

``ServiceFactory(connected=True)`` is an active service with a tenant connection holding a
sealed secret. Its credentials are made up unless the test validates live: then it passes the
sandbox tenant it made (anything with ``tenant_id``, ``app_id`` and ``secret``, such as
``tests.m365.conftest.Tenant``): ``ServiceFactory(connected=True, tenant=m365_tenant)``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from onramp.accounts.models import Operator
from onramp.connections.models import TenantConnection, ValidationRun
from onramp.core import short_names
from onramp.core.crypto import secret_box
from onramp.core.tokens import new_token, token_hash
from onramp.invitations.models import Invitation
from onramp.services.models import Service
from onramp.tenancy.models import Channel, Customer, Provider

# Made-up credentials of a connection that is never validated live.
TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
CLIENT_ID = "1b730954-1685-4b74-9bfd-dac224a7b894"
SECRET = "the-secret-value"


class ProviderFactory(DjangoModelFactory):
    class Meta:
        model = Provider

    name = factory.Sequence(lambda n: f"Provider {n}")


class ChannelFactory(DjangoModelFactory):
    class Meta:
        model = Channel

    provider = factory.SubFactory(ProviderFactory)
    name = factory.Sequence(lambda n: f"Channel {n}")


class CustomerFactory(DjangoModelFactory):
    class Meta:
        model = Customer

    provider = factory.SubFactory(ProviderFactory)
    name = factory.Sequence(lambda n: f"Customer {n}")


def _provider_of(operator: Any) -> Provider | None:
    """The provider an operator's scope implies (a new one for a bare provider scope)."""
    if operator.scope == "system":
        return None
    if operator.channel is not None:
        return operator.channel.provider
    if operator.customer is not None:
        return operator.customer.provider
    return ProviderFactory()


class OperatorFactory(DjangoModelFactory):
    """``OperatorFactory(role="admin", scope="channel", channel=channel)``; no password unless
    given (hashing one costs a third of a second)."""

    class Meta:
        model = Operator

    email = factory.Sequence(lambda n: f"operator{n}@example.test")
    password = None
    role = "operator"
    scope = "provider"
    channel = None
    customer = None
    provider = factory.LazyAttribute(_provider_of)

    @classmethod
    def _create(cls, model_class: type[Operator], *args: Any, **kwargs: Any) -> Operator:
        return model_class.objects.create_user(*args, **kwargs)


class ServiceFactory(DjangoModelFactory):
    """A service awaiting authentication; ``connected=True``: active, with its connection
    (``tenant=`` live credentials, ``expires_at=`` the secret's recorded expiry)."""

    class Meta:
        model = Service
        skip_postgeneration_save = True

    class Params:
        tenant = None
        expires_at = None
        connected = factory.Trait(
            status="active",
            activated_at=factory.LazyFunction(timezone.now),
            connection=factory.RelatedFactory(
                "tests.factories.TenantConnectionFactory",
                factory_related_name="service",
                tenant=factory.SelfAttribute("..tenant"),
                secret_expires_at=factory.SelfAttribute("..expires_at"),
            ),
        )

    customer = factory.SubFactory(CustomerFactory)
    provider = factory.SelfAttribute("customer.provider")
    short_name = factory.Sequence(lambda n: f"svc-{n:04d}")
    short_name_key = factory.LazyAttribute(lambda o: short_names.short_name_key(o.short_name))
    full_name = factory.SelfAttribute("short_name")
    license_type = "hosted-pro"
    licensed_users = 5
    status = "awaiting-authentication"


class TenantConnectionFactory(DjangoModelFactory):
    """A connection whose secret is sealed under the current key."""

    class Meta:
        model = TenantConnection

    class Params:
        tenant = None
        secret = factory.LazyAttribute(lambda o: o.tenant.secret if o.tenant else SECRET)

    service = factory.SubFactory(ServiceFactory, status="active")
    tenant_id = factory.LazyAttribute(lambda o: o.tenant.tenant_id if o.tenant else TENANT_ID)
    client_id = factory.LazyAttribute(lambda o: o.tenant.app_id if o.tenant else CLIENT_ID)
    secret_sealed = factory.LazyAttribute(lambda o: secret_box().seal(o.secret))
    secret_key_id = factory.LazyFunction(lambda: secret_box().current_key_id)
    secret_hint = factory.LazyAttribute(lambda o: o.secret[:3])
    authenticated_by = "admin@contoso.example"
    authenticated_at = factory.LazyFunction(timezone.now)


class InvitationFactory(DjangoModelFactory):
    """A pending invitation of its service (``token`` is the link's secret part)."""

    class Meta:
        model = Invitation

    class Params:
        token = factory.LazyFunction(new_token)

    service = factory.SubFactory(ServiceFactory)
    provider = factory.SelfAttribute("service.provider")
    customer = factory.SelfAttribute("service.customer")
    admin_email = "admin@contoso.example"
    token_hash = factory.LazyAttribute(lambda o: token_hash(o.token))
    status = "pending"
    created_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyAttribute(lambda o: o.created_at + timedelta(days=7))


class ValidationRunFactory(DjangoModelFactory):
    """A stored validation of its service: ``ValidationRunFactory(service=s, ok=False,
    reason="missing_permissions")``; a transient one has reason ``throttled`` or
    ``microsoft_unavailable``."""

    class Meta:
        model = ValidationRun

    service = factory.SubFactory(ServiceFactory, connected=True)
    trigger = "manual"
    ok = True
    reason = ""
    message = factory.LazyAttribute(lambda o: "Valid." if o.ok else f"Failed: {o.reason}.")
    result = factory.LazyAttribute(lambda o: {"ok": o.ok, "reason": o.reason or None, "checks": []})
    validated_at = factory.LazyFunction(timezone.now)
