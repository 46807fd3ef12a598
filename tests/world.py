"""Every kind of operator the authorization matrices act as, built one way: the page matrices
(tests/pages/hierarchy.py) and the API matrix (tests/api/world.py) name the same kinds."""

from __future__ import annotations

from dataclasses import dataclass

from onramp.accounts.models import Operator
from onramp.tenancy.models import Channel, Customer, Provider
from tests.factories import OperatorFactory

# kind: (role, scope); "other admin" is a provider admin of another provider.
KINDS: dict[str, tuple[str, str]] = {
    "system admin": ("admin", "system"),
    "system monitor": ("monitor", "system"),
    "provider admin": ("admin", "provider"),
    "provider operator": ("operator", "provider"),
    "provider monitor": ("monitor", "provider"),
    "channel admin": ("admin", "channel"),
    "channel operator": ("operator", "channel"),
    "customer admin": ("admin", "customer"),
    "customer operator": ("operator", "customer"),
    "other admin": ("admin", "provider"),
}


@dataclass(frozen=True)
class Places:
    """Where each kind of operator sits."""

    provider: Provider
    channel: Channel
    customer: Customer  # in the channel
    other_provider: Provider


def person(kind: str, email: str, places: Places) -> Operator:
    """An operator of ``kind``, anchored at the provider, channel or customer its scope names
    (no password: the matrices sign in with ``sign_in`` or a token)."""
    role, scope = KINDS[kind]
    where: dict[str, object] = {
        "system": {},
        "provider": {
            "provider": places.other_provider if kind == "other admin" else places.provider
        },
        "channel": {"provider": places.provider, "channel": places.channel},
        "customer": {"provider": places.provider, "customer": places.customer},
    }[scope]
    return OperatorFactory(email=email, role=role, scope=scope, **where)
