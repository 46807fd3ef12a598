"""Direct Routing provisioning: the provider's DNS backend (its own admins), the export of
every service's sub-domains that the provider's SBCs need, and a service's run (start, label,
the operator's confirmations, the Teams script)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Status
from pydantic import ValidationError

from onramp.api.auth import actor_of, operator_of
from onramp.api.errors import MalformedRequest
from onramp.api.exports import csv_openapi
from onramp.api.pagination import every_row, page
from onramp.api.responses import (
    DirectRoutingPage,
    DirectRoutingRun,
    DnsBackend,
    DnsTestResult,
    errors,
)
from onramp.api.schemas import (
    NUMBER_ROWS,
    ActivationConfirmation,
    DirectRoutingStart,
    DnsChange,
    LabelChange,
    Listing,
    NumberRow,
)
from onramp.api.serializers import direct_routing_csv, direct_routing_json, provisioning_json
from onramp.core.csv_export import csv_response
from onramp.core.lookup import get_or_not_found
from onramp.directrouting.dns_settings import dns_settings_read, dns_settings_set, dns_test
from onramp.directrouting.models import Provisioning
from onramp.directrouting.removal import provisioning_remove, provisioning_teams_teardown_confirm
from onramp.directrouting.selectors import (
    direct_routing_rows,
    run_or_proposal,
)
from onramp.directrouting.services import (
    provisioning_label_set,
    provisioning_numbers_set,
    provisioning_start,
    provisioning_teams_activation_confirm,
    provisioning_teams_script_confirm,
)
from onramp.directrouting.views import script_response
from onramp.services.selectors import service_get
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


RUN = "/services/{id}/direct-routing"
NUMBER_ROW_SCHEMA = NumberRow.model_json_schema()


def _json(service, run: Provisioning):
    return provisioning_json(service, run, list(run.steps.all()))


@router.get(RUN, response={200: DirectRoutingRun, **errors(404)})
def get_run(request: HttpRequest, id: str):
    """The run and its steps; proposed (every step pending) as soon as the service is active."""
    service = service_get(operator_of(request), id)
    return provisioning_json(service, *run_or_proposal(service))


@router.patch(RUN, response={200: DirectRoutingRun, **errors(403, 404, 409, 422)})
def patch_run(request: HttpRequest, id: str, payload: LabelChange):
    """The sub-domain label, until the domain step has run."""
    service = service_get(operator_of(request), id)
    run = provisioning_label_set(
        actor=actor_of(request), service=service, label=payload.subdomain_label
    )
    return _json(service, run)


@router.post(RUN, response={202: DirectRoutingRun, **errors(403, 404, 409, 422)})
def start_run(request: HttpRequest, id: str, payload: DirectRoutingStart):
    """Start or resume (failed steps retried); also the operator's confirmation of the
    activation user's license: `activation_sku` when given, else the one Onramp proposes."""
    service = service_get(operator_of(request), id)
    run = provisioning_start(
        actor=actor_of(request),
        service=service,
        confirm_sku=True,
        activation_sku=payload.activation_sku,
    )
    return Status(202, _json(service, run))


@router.post(
    f"{RUN}/teams-activation-confirmation",
    response={200: DirectRoutingRun, **errors(403, 404, 409)},
)
def confirm_activation(request: HttpRequest, id: str, payload: ActivationConfirmation):
    """The operator marks Teams activation done (once the activation user exists)."""
    service = service_get(operator_of(request), id)
    run = provisioning_teams_activation_confirm(
        actor=actor_of(request), service=service, reclaim_license=payload.reclaim_license
    )
    return _json(service, run)


@router.delete(RUN, response={202: DirectRoutingRun, **errors(403, 404, 409)})
def remove_run(request: HttpRequest, id: str):
    """Remove Direct Routing: the steps backwards (numbers unassigned, activation users deleted
    for good, sub-domains removed, DNS records deleted, the Teams teardown script); 409 while a
    provisioning step is running or before provisioning started. Again: resumes (a failed
    removal step retried)."""
    service = service_get(operator_of(request), id)
    run = provisioning_remove(actor=actor_of(request), service=service)
    return Status(202, _json(service, run))


TEXT = {"responses": {"200": {"content": {"text/plain": {}}}}}


@router.get(f"{RUN}/teams-script", response={200: str, **errors(404, 409)}, openapi_extra=TEXT)
def teams_script(request: HttpRequest, id: str):
    """The `teams_voice` step's PowerShell for this service (`text/plain`)."""
    return script_response(service_get(operator_of(request), id), teardown=False)


@router.get(
    f"{RUN}/teams-teardown-script", response={200: str, **errors(404, 409)}, openapi_extra=TEXT
)
def teams_teardown_script(request: HttpRequest, id: str):
    """The `teams_teardown` step's PowerShell (`text/plain`): what the Teams voice script
    created, removed."""
    return script_response(service_get(operator_of(request), id), teardown=True)


@router.post(f"{RUN}/teams-confirmation", response={200: DirectRoutingRun, **errors(403, 404, 409)})
def confirm_script(request: HttpRequest, id: str):
    """The operator confirms the Teams voice script ran (once Teams activation is done)."""
    service = service_get(operator_of(request), id)
    run = provisioning_teams_script_confirm(actor=actor_of(request), service=service)
    return _json(service, run)


@router.post(
    f"{RUN}/teams-teardown-confirmation",
    response={200: DirectRoutingRun, **errors(403, 404, 409)},
)
def confirm_teardown(request: HttpRequest, id: str):
    """The operator confirms the Teams teardown script ran (once removal has begun)."""
    service = service_get(operator_of(request), id)
    run = provisioning_teams_teardown_confirm(actor=actor_of(request), service=service)
    return _json(service, run)


def number_rows(raw: bytes) -> list[dict[str, str]]:
    """``PUT …/direct-routing/numbers`` takes a JSON array (CONTRACT §4), which the API's
    object-only parser does not: parsed here, any fault a ``MalformedRequest`` (400)."""
    try:
        rows = NUMBER_ROWS.validate_json(raw)
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(part) for part in problem["loc"]) or "body"
        raise MalformedRequest({where: [problem["msg"]]}) from None
    return [row.model_dump() for row in rows]


@router.put(
    f"{RUN}/numbers",
    response={202: DirectRoutingRun, **errors(403, 404, 409, 422)},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"type": "array", "items": NUMBER_ROW_SCHEMA}}
            },
        }
    },
)
def put_numbers(request: HttpRequest, id: str):
    """`[{user_principal_name, phone_number}]` (E.164): the numbers to assign, replacing the
    list; results per row in the `numbers` step's `detail`."""
    service = service_get(operator_of(request), id)
    if request.content_type != "application/json":
        raise MalformedRequest({"body": ["Send the rows as a JSON array (application/json)."]})
    run = provisioning_numbers_set(
        actor=actor_of(request), service=service, rows=number_rows(request.body)
    )
    return Status(202, _json(service, run))
