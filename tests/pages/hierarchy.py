"""A small world for the hierarchy and operator pages: two providers, a channel with a limit,
customers in and outside it, and an operator of every kind; plus a snapshot of every row those
pages could write, to prove that a refused action changed nothing."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.test import Client

from onramp.accounts.models import ApiToken, Operator, OperatorSetup
from onramp.audit.models import AuditEvent
from onramp.notifications.models import OutboxMessage
from onramp.tenancy.models import Channel, Customer, Provider
from tests.signin import sign_in
from tests.world import KINDS as WORLD_KINDS
from tests.world import Places, person

KINDS = ["anonymous", *WORLD_KINDS]


@dataclass
class World:
    provider: Provider
    channel: Channel
    customer: Customer  # in the channel
    direct: Customer  # directly with the provider
    other_provider: Provider
    other_channel: Channel
    other_customer: Customer
    people: dict[str, Operator] = field(default_factory=dict)

    def client(self, who: str) -> Client:
        client = Client()
        return client if who == "anonymous" else sign_in(client, self.people[who])


def build() -> World:
    provider = Provider.objects.create(
        name="Northwind Voice",
        sbc_domain="sbc.northwind.example",
        sbc_domains=["sbc.northwind.example"],
    )
    channel = Channel.objects.create(provider=provider, name="Reseller East", max_customers=2)
    other = Provider.objects.create(name="Fabrikam Telecom")
    other_channel = Channel.objects.create(provider=other, name="Fabrikam Resale")
    world = World(
        provider=provider,
        channel=channel,
        customer=Customer.objects.create(provider=provider, channel=channel, name="Contoso Ltd"),
        direct=Customer.objects.create(provider=provider, name="Adatum Corp"),
        other_provider=other,
        other_channel=other_channel,
        other_customer=Customer.objects.create(provider=other, name="Tailspin Toys"),
    )
    places = Places(provider, channel, world.customer, other)
    emails = {
        "system admin": "root@onramp.example",
        "system monitor": "watch@onramp.example",
        "provider admin": "admin@northwind.example",
        "provider operator": "ops@northwind.example",
        "provider monitor": "watch@northwind.example",
        "channel admin": "admin@east.example",
        "channel operator": "ops@east.example",
        "customer admin": "admin@contoso.example",
        "customer operator": "it@contoso.example",
        "other admin": "admin@fabrikam.example",
    }
    world.people = {kind: person(kind, email, places) for kind, email in emails.items()}
    return world


def state() -> dict[str, list]:
    """Every row the hierarchy and operator pages could write, in a comparable form."""
    return {
        "providers": sorted(Provider.objects.values_list("id", "name", "sbc_domain")),
        "channels": sorted(Channel.objects.values_list("id", "name", "max_customers")),
        "customers": sorted(
            Customer.objects.values_list(
                "id", "name", "channel_id", "azure_tenant_id", "contact_email"
            )
        ),
        "operators": sorted(Operator.objects.values_list("id", "email", "role", "is_active")),
        "tokens": sorted(ApiToken.objects.values_list("id", "revoked_at")),
        "setups": sorted(OperatorSetup.objects.values_list("id", "expires_at")),
        "emails": sorted(OutboxMessage.objects.values_list("id", flat=True)),
        "audit": sorted(AuditEvent.objects.values_list("id", flat=True)),
    }


def new_events(before: dict[str, list]) -> list[AuditEvent]:
    return list(AuditEvent.objects.exclude(id__in=before["audit"]).order_by("id"))


def attempt(world: World, who: str, url: str, data: dict | None, table: dict[str, int]):
    """One page action as ``who`` (GET, or POST with ``data``): the status must be the one
    ``table`` gives (``"*"`` for anyone not named), anonymous goes to sign-in. Returns the
    response and that status."""
    expected = table.get(who, table["*"])
    client = world.client(who)
    response = client.get(url) if data is None else client.post(url, data)
    assert response.status_code == expected
    if who == "anonymous":
        assert response.url == f"/login?next={url}"
    return response, expected
