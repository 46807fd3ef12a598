"""Two API calls at the same moment, each on its own thread and database connection.

Used in-process on PostgreSQL, and — because the SQLite test database lives in memory (shared
cache: a second writer fails with "table is locked" instead of waiting) — as
``python -m tests.api.race SCENARIO`` in a subprocess against a SQLite *file* configured exactly
as production configures it (WAL, busy timeout, IMMEDIATE transactions). It prints one JSON line.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from typing import Any

BASE = "/api/v1"
HOST = "127.0.0.1"  # the host of ONRAMP_PUBLIC_URL: always allowed


def race(calls: list[tuple[str, str, dict[str, Any], str]]) -> list[tuple[int, dict]]:
    """Each call is (method, path, body, token); all start together, results in call order."""
    from django.db import connections
    from django.test import Client

    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, method: str, path: str, body: dict, token: str) -> None:
        try:
            client = Client(headers={"Authorization": f"Bearer {token}"}, HTTP_HOST=HOST)
            barrier.wait(timeout=30)
            response = getattr(client, method)(
                BASE + path, json.dumps(body), content_type="application/json"
            )
            results[index] = (response.status_code, response.json())
        except BaseException as exc:  # reported, never swallowed
            results[index] = (0, {"exception": repr(exc)})
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, *call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def create_race(customer_id: str, token: str, connection: dict[str, str]) -> list[tuple[int, dict]]:
    body = {
        "customer_id": customer_id,
        "short_name": "Race-01",
        "license_type": "hosted-pro",
        "licensed_users": 10,
        "connection": connection,
    }
    return race([("post", "/services", body, token), ("post", "/services", dict(body), token)])


def add_race(invitation_id: str, token: str) -> list[tuple[int, dict]]:
    path = f"/invitations/{invitation_id}/add"
    return race([("post", path, {}, token), ("post", path, {}, token)])


def channel_race(channel_id: str, token: str) -> list[tuple[int, dict]]:
    """Eight customers for the last two places of a channel."""
    calls = [
        ("post", "/customers", {"name": f"Racer {n}", "channel_id": channel_id}, token)
        for n in range(8)
    ]
    return race(calls)


def channel_world(provider_id: str) -> str:
    from onramp.tenancy.models import Channel

    return str(Channel.objects.create(provider_id=provider_id, name="Full", max_customers=3).pk)


def outcome() -> dict[str, Any]:
    """What the database holds after a race."""
    from onramp.audit.models import AuditEvent
    from onramp.connections.models import TenantConnection, ValidationRun
    from onramp.invitations.models import Invitation
    from onramp.services.models import Service
    from onramp.tenancy.models import Customer

    return {
        "services": Service.objects.count(),
        "connections": TenantConnection.objects.count(),
        "activations": AuditEvent.objects.filter(action="service.activated").count(),
        "runs": sorted(ValidationRun.objects.values_list("trigger", flat=True)),
        "invitations": sorted(Invitation.objects.values_list("status", flat=True)),
        "in_channels": Customer.objects.filter(channel__isnull=False).count(),
    }


def _world() -> tuple[str, str]:
    """Provider, customer and operator in the fresh file database; returns (customer, token)."""
    from onramp.accounts.models import Operator
    from onramp.accounts.services import token_create
    from onramp.core.actors import Actor
    from onramp.tenancy.models import Customer, Provider

    provider = Provider.objects.create(name="Northwind Voice")
    customer = Customer.objects.create(provider=provider, name="Contoso Ltd")
    operator = Operator.objects.create_user(
        "ops@northwind.example", None, role="operator", scope="provider", provider=provider
    )
    return str(customer.pk), token_create(actor=Actor.system(), operator=operator).value


def main(scenario: str, tenant: dict[str, str]) -> dict[str, Any]:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    customer_id, token = _world()
    credentials = {
        "method": "app-registration",
        "tenant_id": tenant["tenant_id"],
        "client_id": tenant["app_id"],
        "client_secret": tenant["secret"],
    }
    if scenario == "create":
        results = create_race(customer_id, token, credentials)
    elif scenario == "channel":
        from onramp.tenancy.models import Customer

        customer = Customer.objects.get(pk=customer_id)
        channel_id = channel_world(str(customer.provider_id))
        Customer.objects.filter(pk=customer_id).update(channel_id=channel_id)
        results = channel_race(channel_id, token)
    else:
        from django.test import Client

        from onramp.invitations.services import invitation_by_token
        from onramp.services.onboarding import invitation_authenticate

        client = Client(headers={"Authorization": f"Bearer {token}"}, HTTP_HOST=HOST)
        body = {
            "customer_id": customer_id,
            "short_name": "Race-01",
            "license_type": "hosted-pro",
            "licensed_users": 10,
            "connection": {"method": "invitation", "admin_email": "admin@contoso.example"},
        }
        created = client.post(BASE + "/services", body, content_type="application/json").json()
        invitation = invitation_by_token(created["invitation"]["link"].rsplit("/", 1)[1])
        assert invitation_authenticate(
            invitation=invitation,
            tenant_id=tenant["tenant_id"],
            client_id=tenant["app_id"],
            client_secret=tenant["secret"],
        ).ok
        results = add_race(created["invitation"]["id"], token)
    return {"results": results, **outcome()}


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onramp.settings")
    print(json.dumps(main(sys.argv[1], json.loads(sys.stdin.read()))))
