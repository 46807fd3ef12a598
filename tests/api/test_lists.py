"""The new lists page like the others: ``{items, next}``, newest first, every row once across
pages, and the same number of queries for 2 rows as for 200."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from onramp.accounts.models import ApiToken, Operator
from onramp.health.models import Alert
from onramp.services.models import Service
from onramp.tenancy.models import Channel, Customer, Provider
from tests.api.helpers import add_services, walk

pytestmark = pytest.mark.django_db


def add_rows(kind: str, count: int, *, provider, customer, operator, service) -> None:
    names = [f"R{uuid.uuid4().hex[:12]}" for _ in range(count)]
    if kind == "channels":
        Channel.objects.bulk_create([Channel(provider=provider, name=n) for n in names])
    elif kind == "providers":
        Provider.objects.bulk_create([Provider(name=n) for n in names])
    elif kind == "operators":
        Operator.objects.bulk_create(
            [
                Operator(
                    email=f"{n.lower()}@northwind.example",
                    role="monitor",
                    scope="customer",
                    provider=provider,
                    customer=customer,
                )
                for n in names
            ]
        )
    elif kind == "tokens":
        ApiToken.objects.bulk_create(
            [ApiToken(operator=operator, name=n, token_hash=n.ljust(64, "0")) for n in names]
        )
    else:
        now = timezone.now()
        Alert.objects.bulk_create(
            [
                Alert(
                    service=service,
                    kind="expiry",
                    threshold_days=7,
                    dedupe_key=n,
                    sent_at=now - timedelta(minutes=i % 7),  # ties: the id decides
                    recipients=["ops@northwind.example"],
                )
                for i, n in enumerate(names)
            ]
        )


LISTS = ["channels", "providers", "operators", "tokens", "alerts"]


@pytest.fixture
def lists_world(system_api, customer, provider):
    add_services(customer, 1)
    return {
        "provider": provider,
        "customer": customer,
        "operator": system_api.operator,
        "service": Service.objects.get(),
    }


def path_of(kind: str, world: dict) -> str:
    return f"/services/{world['service'].pk}/alerts" if kind == "alerts" else f"/{kind}"


@pytest.mark.parametrize("kind", LISTS)
def test_every_row_once_newest_first(system_api, lists_world, kind):
    add_rows(kind, 23, **lists_world)
    pages = walk(system_api, path_of(kind, lists_world), limit=5)
    items = [item for page in pages for item in page]
    assert [len(p) for p in pages][:4] == [5, 5, 5, 5]
    key = "sent_at" if kind == "alerts" else "created_at"
    assert [i[key] for i in items] == sorted((i[key] for i in items), reverse=True)
    if kind != "alerts":
        assert len({i["id"] for i in items}) == len(items)
    assert len(items) >= 23


@pytest.mark.parametrize("kind", LISTS)
def test_query_count_does_not_grow_with_the_page(system_api, lists_world, kind):
    path = path_of(kind, lists_world)
    system_api.get(path)
    add_rows(kind, 2, **lists_world)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert system_api.get(path, {"limit": 500}).status_code == 200
        return len(queries)

    small = count()
    add_rows(kind, 200, **lists_world)
    Customer.objects.bulk_create(
        [Customer(provider=lists_world["provider"], name=f"X{n}") for n in range(20)]
    )
    assert count() == small
