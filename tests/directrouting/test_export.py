"""GET /api/v1/direct-routing: every service in scope with its sub-domains and status; CSV."""

from __future__ import annotations

import pytest

from onramp.directrouting.services import provisioning_propose
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db


def test_every_service_in_scope_with_its_subdomains(api, provider, customer):
    provider.sbc_domains = ["sbc.northwind.example", "sbc2.northwind.example"]
    provider.save()
    active = ServiceFactory(connected=True, short_name="Contoso-01", customer=customer)
    provisioning_propose(service=active)
    invited = ServiceFactory(short_name="Contoso-02", customer=customer)
    ServiceFactory(connected=True, short_name="Elsewhere")  # another provider's

    body = api.get("/direct-routing").json()

    assert body == {
        "items": [
            {
                "service_id": str(invited.pk),
                "short_name": "Contoso-02",
                "customer_id": str(customer.pk),
                "subdomains": [],
                "status": "not-started",
            },
            {
                "service_id": str(active.pk),
                "short_name": "Contoso-01",
                "customer_id": str(customer.pk),
                "subdomains": [
                    "contoso-01.sbc.northwind.example",
                    "contoso-01.sbc2.northwind.example",
                ],
                "status": "not-started",
            },
        ],
        "next": None,
    }
    csv = api.get("/direct-routing", {"format": "csv"})
    assert csv["Content-Type"] == "text/csv; charset=utf-8"
    assert b"".join(csv.streaming_content).decode().splitlines() == [
        "service_id,short_name,customer_id,subdomains,status",
        f"{invited.pk},Contoso-02,{customer.pk},,not-started",
        f"{active.pk},Contoso-01,{customer.pk},"
        "contoso-01.sbc.northwind.example contoso-01.sbc2.northwind.example,not-started",
    ]
