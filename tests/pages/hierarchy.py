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

KINDS = [
    "anonymous",
    "system admin",
    "system monitor",
    "provider admin",
    "provider operator",
    "provider monitor",
    "channel admin",
    "channel operator",
    "customer admin",
    "customer operator",
    "other admin",
]


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


def _operator(email: str, role: str, scope: str, **fields: object) -> Operator:
    """No password: these clients are signed in by ``sign_in`` (hashing one is slow)."""
    return Operator.objects.create_user(email, None, role=role, scope=scope, **fields)


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
    at_provider = {"scope": "provider", "provider": provider}
    at_channel = {"scope": "channel", "provider": provider, "channel": channel}
    at_customer = {"scope": "customer", "provider": provider, "customer": world.customer}
    world.people = {
        "system admin": _operator("root@onramp.example", "admin", "system"),
        "system monitor": _operator("watch@onramp.example", "monitor", "system"),
        "provider admin": _operator("admin@northwind.example", "admin", **at_provider),
        "provider operator": _operator("ops@northwind.example", "operator", **at_provider),
        "provider monitor": _operator("watch@northwind.example", "monitor", **at_provider),
        "channel admin": _operator("admin@east.example", "admin", **at_channel),
        "channel operator": _operator("ops@east.example", "operator", **at_channel),
        "customer admin": _operator("admin@contoso.example", "admin", **at_customer),
        "customer operator": _operator("it@contoso.example", "operator", **at_customer),
        "other admin": _operator(
            "admin@fabrikam.example", "admin", scope="provider", provider=other
        ),
    }
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
