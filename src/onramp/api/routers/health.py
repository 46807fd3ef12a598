"""Connection health of active services, bulk re-validation jobs, and a service's alerts."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Status

from onramp.api.auth import operator_of
from onramp.api.exports import csv_openapi
from onramp.api.pagination import every_row, page
from onramp.api.responses import AlertPage, HealthPage, Job, errors
from onramp.api.schemas import HealthFilters, Page, ValidationStart
from onramp.api.serializers import alert_json, health_json, job_json
from onramp.core.csv_export import csv_response
from onramp.health.selectors import health_rows, in_band, job_get
from onramp.health.services import validation_job_start
from onramp.services.selectors import service_get

router = Router(tags=["health"])
COLUMNS = (
    "service_id",
    "short_name",
    "customer_id",
    "ok",
    "reason",
    "validated_at",
    "client_secret_expires_at",
    "client_secret_days_until_expire",
    "band",
)


@router.get(
    "/health",
    response={200: HealthPage, **errors(422)},
    openapi_extra=csv_openapi("`?format=csv`: every matching service, without failing_checks."),
)
def list_health(request: HttpRequest, params: Query[HealthFilters]):
    """Every active service in scope with its last validation and its secret's expiry band
    (`expired`, `critical` < 7 days, `warning` < 30, `ok`, `unknown`); newest service first."""
    services = health_rows(operator_of(request)).prefetch_related(None)
    if params.band:
        services = in_band(services, params.band)
    if params.customer_id:
        services = services.filter(customer_id=params.customer_id)
    if params.format == "csv":
        return csv_response("health.csv", COLUMNS, every_row(services), health_json)
    return page(services, limit=params.limit, cursor=params.cursor, render=health_json)


@router.post("/validations", response={202: Job, **errors(403, 409, 422)})
def start_validation(request: HttpRequest, payload: ValidationStart):
    """Re-validates every active service of the scope in the background; follow the job at
    /jobs/{id}. `all`: every service (system operators) or the caller's provider (provider
    operators); channel and customer operators validate one `customer` at a time. 409 while a
    job of the same scope is queued or running (the body's `job` is that one)."""
    job = validation_job_start(
        operator=operator_of(request), scope=payload.scope, target_id=payload.id
    )
    return Status(202, job_json(job))


@router.get("/jobs/{id}", response={200: Job, **errors(404)})
def get_job(request: HttpRequest, id: str):
    return job_json(job_get(operator_of(request), id))


@router.get("/services/{id}/alerts", response={200: AlertPage, **errors(404, 422)})
def list_alerts(request: HttpRequest, id: str, params: Query[Page]):
    """Expiry and failure alerts sent for the service, newest first."""
    service = service_get(operator_of(request), id)
    alerts = service.alerts.all()
    return page(alerts, limit=params.limit, cursor=params.cursor, render=alert_json, key="sent_at")
