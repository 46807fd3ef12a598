"""Lists: ``{items, next}``, ``?limit=`` (1-500, default 50), an opaque keyset cursor on
``(created_at, id)`` that costs the same on page 1 and page 2,000, and a constant number of
queries however many rows a page holds."""

from __future__ import annotations

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from onramp.tenancy.models import Customer
from tests.api.helpers import add_services, error, walk

pytestmark = pytest.mark.django_db


def add_customers(provider, count: int, *, same_time: bool = False, prefix: str = "C") -> None:
    Customer.objects.bulk_create(
        [Customer(provider=provider, name=f"{prefix}{n:06d}") for n in range(count)],
        batch_size=5000,
    )
    if same_time:
        Customer.objects.update(created_at=timezone.now())


def test_cursor_walks_every_row_once_newest_first(api, provider):
    add_customers(provider, 60, same_time=True, prefix="A")  # ties on created_at: id decides
    add_customers(provider, 59, prefix="B")
    pages = walk(api, "/customers")
    assert [len(p) for p in pages] == [50, 50, 19]
    ids = [c["id"] for page in pages for c in page]
    expected = [
        str(pk)
        for pk in Customer.objects.order_by("-created_at", "-id").values_list("pk", flat=True)
    ]
    assert ids == expected and len(set(ids)) == 119
    assert [len(p) for p in walk(api, "/customers", limit=500)] == [119]
    assert [len(p) for p in walk(api, "/customers", limit=1)] == [1] * 119


def test_limit_bounds(api, provider):
    add_customers(provider, 3)
    assert len(api.get("/customers", {"limit": 2}).json()["items"]) == 2
    assert api.get("/customers", {"limit": 500}).status_code == 200
    for limit in (0, 501, -1):
        assert error(api.get("/customers", {"limit": limit}))[:2] == (422, "invalid_input")
    assert error(api.get("/customers", {"limit": 0}))[2] == {
        "limit": ["Input should be greater than or equal to 1."]
    }
    assert error(api.get("/customers", {"limit": 501}))[2] == {
        "limit": ["Input should be less than or equal to 500."]
    }
    assert error(api.get("/customers", {"limit": "ten"}))[:2] == (400, "malformed_request")


def test_cursor_is_opaque_and_checked(api, provider):
    add_customers(provider, 3)
    first = api.get("/customers", {"limit": 1}).json()
    cursor = first["next"]
    assert first["items"][0]["id"] not in cursor
    assert cursor.isascii() and "/" not in cursor and "+" not in cursor
    for bad in ("nope", cursor[:-3], "W10", "WyJ4IiwgInkiXQ", "e30"):
        assert error(api.get("/customers", {"cursor": bad})) == (
            400,
            "malformed_request",
            {"cursor": ["Use the `next` value of the previous page, unchanged."]},
        ), bad


def test_filters_apply_across_pages(api, customer, provider):
    other = Customer.objects.create(provider=provider, name="Fabrikam")
    add_services(customer, 30)
    add_services(other, 30, start=100)
    pages = walk(api, "/services", customer_id=str(customer.pk), limit=7)
    assert sum(len(p) for p in pages) == 30
    assert {s["customer_id"] for p in pages for s in p} == {str(customer.pk)}
    pages = walk(api, "/invitations", customer_id=str(other.pk), status="pending", limit=9)
    assert sum(len(p) for p in pages) == 30


@pytest.mark.parametrize("path", ["/customers", "/services", "/invitations"])
def test_query_count_does_not_grow_with_the_page(
    api, customer, path, django_assert_max_num_queries
):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api.get(path, {"limit": 500}).status_code == 200
        return len(queries)

    add_services(customer, 2)
    api.get(path)  # the token's last-used stamp is written once a minute at most
    small = count()
    add_services(customer, 200, start=10)
    Customer.objects.bulk_create(
        [Customer(provider=customer.provider, name=f"X{n}") for n in range(200)]
    )
    assert count() == small
    with django_assert_max_num_queries(3):
        api.get(path, {"limit": 500})


def test_a_deep_page_costs_what_the_first_costs_on_100000_rows(api, provider):
    add_customers(provider, 100_000)
    deep_row = Customer.objects.order_by("-created_at", "-id")[99_000]
    from onramp.api.pagination import encode_cursor

    def timed(params: dict) -> tuple[float, list[str]]:
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = api.get("/customers", params)
            elapsed = time.perf_counter() - started
        assert response.status_code == 200
        return elapsed, [q["sql"] for q in queries]

    timed({})  # warm up
    first, _ = timed({})
    deep, sql = timed({"cursor": encode_cursor(deep_row)})
    page = next(q for q in sql if "tenancy_customer" in q and "ORDER BY" in q)
    assert "OFFSET" not in page.upper()
    assert "LIMIT 51" in page
    print(f"first page {first * 1000:.1f} ms, page 1,981 {deep * 1000:.1f} ms")
    assert deep < max(first * 3, first + 0.25), (first, deep)
