"""Direct Routing provisioning: the provider's DNS backend (its own admins) and the export of
every service's sub-domains that the provider's SBCs need."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router

from onramp.api.auth import actor_of, operator_of
from onramp.api.exports import csv_openapi
from onramp.api.pagination import every_row, page
from onramp.api.responses import DirectRoutingPage, DnsBackend, DnsTestResult, errors
from onramp.api.schemas import DnsChange, Listing
from onramp.api.serializers import direct_routing_csv, direct_routing_json
from onramp.core.csv_export import csv_response
from onramp.core.lookup import get_or_not_found
from onramp.directrouting.dns_settings import dns_settings_read, dns_settings_set, dns_test
from onramp.directrouting.selectors import direct_routing_rows
from onramp.tenancy.selectors import providers_visible

router = Router(tags=["direct routing"])
COLUMNS = ("service_id", "short_name", "customer_id", "subdomains", "status")


def _provider(request: HttpRequest, id: str):
    return get_or_not_found(providers_visible(operator_of(request)), id, "provider")


@router.get("/providers/{id}/dns", response={200: DnsBackend, **errors(403, 404)})
def get_dns(request: HttpRequest, id: str):
    """The provider's DNS backend (`backend: null` until one is chosen); secret settings are
    never shown (their names are in `secrets_set`)."""
    shown = dns_settings_read(actor=actor_of(request), provider=_provider(request, id))
    return shown or {"backend": None, "settings": {}, "secrets_set": []}


@router.put("/providers/{id}/dns", response={200: DnsBackend, **errors(403, 404, 422)})
def put_dns(request: HttpRequest, id: str, payload: DnsChange):
    """Stored without testing; a secret setting left out is kept (same backend)."""
    return dns_settings_set(
        actor=actor_of(request),
        provider=_provider(request, id),
        backend=payload.backend,
        settings=payload.settings,
    )


@router.post("/providers/{id}/dns/test", response={200: DnsTestResult, **errors(403, 404, 409)})
def test_dns(request: HttpRequest, id: str):
    """Test DNS: creates, reads back and deletes a probe record (`ok: false` with the reason
    when the server refuses)."""
    result = dns_test(actor=actor_of(request), provider=_provider(request, id))
    return {"ok": result.ok, "message": result.message}


@router.get(
    "/direct-routing",
    response={200: DirectRoutingPage, **errors(422)},
    openapi_extra=csv_openapi("`?format=csv`: every service; sub-domains space-separated."),
)
def list_direct_routing(request: HttpRequest, params: Query[Listing]):
    """Every service in scope with its SBC sub-domains and provisioning status."""
    services = direct_routing_rows(operator_of(request))
    if params.format == "csv":
        return csv_response("direct-routing.csv", COLUMNS, every_row(services), direct_routing_csv)
    return page(services, limit=params.limit, cursor=params.cursor, render=direct_routing_json)
