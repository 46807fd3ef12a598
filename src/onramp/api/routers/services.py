"""Direct Routing services: create (with an invitation or known credentials), list, delete."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Status

from onramp.accounts.scoping import require
from onramp.api.auth import actor_of, operator_of
from onramp.api.pagination import page
from onramp.api.responses import Decommission, Service, ServiceCreated, ServicePage, errors
from onramp.api.schemas import ServiceCreate, ServiceFilters, service_request
from onramp.api.serializers import decommission_json, service_created_json, service_json
from onramp.core.errors import InvalidInput, NotFound
from onramp.directrouting.decommission import service_decommission
from onramp.services.onboarding import service_create
from onramp.services.selectors import service_get, services_visible
from onramp.services.services import service_delete
from onramp.tenancy.selectors import customer_get

router = Router(tags=["services"])
# The domain names the connection's fields flat; in the API they sit under "connection".
CONNECTION_FIELDS = frozenset({"method", "admin_email", "tenant_id", "client_id", "client_secret"})


@router.post("/services", response={201: ServiceCreated, **errors(403, 422, 503)})
def create_service(request: HttpRequest, payload: ServiceCreate):
    """With `invitation`: awaiting authentication, the answer holds the link (once). With
    `app-registration`: validated live first; active on success, nothing created otherwise."""
    operator = operator_of(request)
    require(operator, "service.create")
    try:
        customer = customer_get(operator, payload.customer_id)
    except NotFound:
        raise InvalidInput({"customer_id": ["No such customer."]}) from None
    try:
        created = service_create(
            actor=actor_of(request), customer=customer, request=service_request(payload)
        )
    except InvalidInput as exc:
        raise InvalidInput(
            {
                (f"connection.{k}" if k in CONNECTION_FIELDS else k): v
                for k, v in exc.errors.items()
            },
            exc.detail,
        ) from None
    return Status(201, service_created_json(created))


@router.get("/services", response={200: ServicePage, **errors(422)})
def list_services(request: HttpRequest, params: Query[ServiceFilters]):
    services = services_visible(operator_of(request))
    if params.customer_id:
        services = services.filter(customer_id=params.customer_id)
    if params.status:
        services = services.filter(status=params.status)
    return page(services, limit=params.limit, cursor=params.cursor, render=service_json)


@router.get("/services/{id}", response={200: Service, **errors(404)})
def get_service(request: HttpRequest, id: str):
    return service_json(service_get(operator_of(request), id))


@router.delete("/services/{id}", response={204: None, **errors(403, 404, 409)})
def delete_service(request: HttpRequest, id: str):
    """Only a service that never became active; its short name is released."""
    operator = operator_of(request)
    service = service_get(operator, id)
    service_delete(actor=actor_of(request), service=service)
    return Status(204, None)


@router.post("/services/{id}/decommission", response={202: Decommission, **errors(403, 404, 409)})
def decommission_service(request: HttpRequest, id: str):
    """An active service ended for good (SPEC "Decommission"): its open invitation revoked,
    Direct Routing removed, the app registration Onramp created deleted (or named in
    `app_to_delete`), every held credential purged; `decommissioned` when done. 409 unless
    `active`, or while a Direct Routing step is running."""
    service = service_get(operator_of(request), id)
    return Status(
        202, decommission_json(service_decommission(actor=actor_of(request), service=service))
    )


@router.get("/services/{id}/decommission", response={200: Decommission, **errors(404)})
def get_decommission(request: HttpRequest, id: str):
    """Where the decommission stands, and the app registration the admin must delete."""
    return decommission_json(service_get(operator_of(request), id))
