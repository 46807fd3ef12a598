"""UI.md "States that must never mislead": an active service whose last answered validation
failed shows **Active · connection failing** (red) wherever its status shows; a transient
answer (throttled, unreachable) changes nothing of that."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import ServiceFactory, ValidationRunFactory
from tests.pages.helpers import page_text

pytestmark = pytest.mark.django_db

FAILING = (
    '<span class="badge badge--red" data-status="connection-failing">'
    "Active · connection failing</span>"
)
ACTIVE = '<span class="badge badge--green" data-status="active">Active</span>'
AWAITING = (
    '<span class="badge badge--amber" data-status="awaiting-authentication">'
    "Awaiting authentication</span>"
)


def validated(service, *outcomes: tuple[bool, str]):
    """Runs of ``service``, oldest first, an hour apart, the last one now."""
    now = timezone.now()
    for age, (ok, reason) in enumerate(reversed(outcomes)):
        ValidationRunFactory(
            service=service, ok=ok, reason=reason, validated_at=now - timedelta(hours=age)
        )
    return service


@pytest.fixture
def fleet(customer):
    def active(name, *outcomes):
        return validated(
            ServiceFactory(connected=True, customer=customer, short_name=name), *outcomes
        )

    return {
        "healthy": active("healthy", (False, "missing_permissions"), (True, "")),
        "failing": active("failing", (True, ""), (False, "missing_permissions")),
        "throttled": active("throttled", (True, ""), (False, "throttled")),
        "unreachable": active(
            "unreachable", (False, "invalid_client_secret"), (False, "microsoft_unavailable")
        ),
        "never": active("never"),
        "waiting": ServiceFactory(customer=customer, short_name="waiting"),
    }


def status_cells(response) -> dict[str, str]:
    """Short name → the Status cell's badge, from the Services list."""
    body = page_text(response)
    cells = {}
    for row in body.split("<tr>")[2:]:
        name = row.split('class="strong"', 1)[1].split(">", 1)[1].split("<", 1)[0]
        cells[name] = row.split('<td data-label="Status">', 1)[1].split("</td>", 1)[0].strip()
    return cells


def test_services_list_shows_the_failing_connection(ops, fleet):
    assert status_cells(ops.get("/services/")) == {
        "healthy": ACTIVE,
        "failing": FAILING,
        "throttled": ACTIVE,
        "unreachable": FAILING,
        "never": ACTIVE,
        "waiting": AWAITING,
    }


def test_services_list_filters_the_failing_connections(ops, fleet):
    response = ops.get("/services/", {"status": "connection-failing"})
    assert status_cells(response) == {"failing": FAILING, "unreachable": FAILING}
    assert (
        '<option value="connection-failing" selected>Active · connection failing</option>'
        in page_text(response)
    )
    assert set(status_cells(ops.get("/services/", {"status": "active"}))) == {
        "healthy",
        "failing",
        "throttled",
        "unreachable",
        "never",
    }


@pytest.mark.parametrize("tab", ["", "m365/"])
def test_service_pages_show_the_failing_connection(ops, fleet, tab):
    failing = page_text(ops.get(f"/services/{fleet['failing'].pk}/{tab}"))
    assert FAILING in failing
    assert ACTIVE not in failing
    flaky = page_text(ops.get(f"/services/{fleet['throttled'].pk}/{tab}"))
    assert ACTIVE in flaky
    assert FAILING not in flaky


def test_dashboard_counts_the_failing_connections(ops, fleet):
    body = page_text(ops.get("/dashboard/"))
    assert (
        '<a class="tile tile--green" href="/services/?status=active">'
        '<span class="tile__count">5</span><span class="tile__label">Active</span></a>'
    ) in " ".join(body.split()).replace("> <", "><")
    assert (
        '<a class="tile tile--red" href="/services/?status=connection-failing">'
        '<span class="tile__count">2</span>'
        '<span class="tile__label">Active · connection failing</span></a>'
    ) in " ".join(body.split()).replace("> <", "><")


def test_lists_annotate_the_last_outcome_in_a_constant_number_of_queries(ops, customer):
    def measure(url: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert ops.get(url).status_code == 200
        return len(queries)

    def add(start: int, count: int) -> None:
        for n in range(start, start + count):
            service = ServiceFactory(connected=True, customer=customer, short_name=f"q-{n:03d}")
            validated(
                service, (True, ""), (n % 2 == 0, "" if n % 2 == 0 else "missing_permissions")
            )

    add(0, 3)
    few = {url: measure(url) for url in ("/services/", "/dashboard/")}
    add(3, 30)
    assert {url: measure(url) for url in ("/services/", "/dashboard/")} == few
    cells = list(status_cells(ops.get("/services/")).values())
    assert (cells.count(FAILING), cells.count(ACTIVE)) == (16, 17)
