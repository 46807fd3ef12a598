"""Connection health: every active service in scope with its last validation and the days
until its secret expires; Validate all (a background job) and the job's progress page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.text import capfirst
from django.views.decorators.http import require_GET, require_POST

from onramp.accounts.models import Scope
from onramp.connections.expiry import Band
from onramp.core.csv_export import csv_response
from onramp.core.views.ui import (
    choice,
    operator_page,
    paginate,
    render_page,
    sort_headers,
    sorting,
)
from onramp.health.models import UNFINISHED
from onramp.health.selectors import HealthRow, health_row, health_rows, in_band, job_get
from onramp.health.services import JobRunning, validation_job_start
from onramp.services.views.portal import customer_filter
from onramp.tenancy.selectors import customer_get, customers_visible

HEALTH_COLUMNS = {
    "days": ("connection__secret_expires_at", "short_name_key"),
    "short_name": ("short_name_key",),
    "validated": ("last_at", "short_name_key"),
}
HEALTH_HEADERS = [
    ("short_name", "Short name"),
    ("validated", "Last validation"),
    ("days", "Days until the secret expires"),
]
CSV_COLUMNS = [
    "short_name",
    "customer",
    "ok",
    "reason",
    "validated_at",
    "client_secret_expires_at",
    "client_secret_days_until_expire",
    "band",
    "failing_checks",
]


def nulls_last(ordering: list[str]) -> list[Any]:
    """Services never validated, or with an unknown expiry, sort last on every database."""
    return [
        F(f[1:]).desc(nulls_last=True) if f.startswith("-") else F(f).asc(nulls_last=True)
        for f in ordering
    ]


def csv_item(row: HealthRow) -> dict[str, Any]:
    return {
        "short_name": row.service.short_name,
        "customer": row.service.customer.name,
        "ok": row.ok,
        "reason": row.reason,
        "validated_at": row.validated_at.isoformat() if row.validated_at else None,
        "client_secret_expires_at": row.expires_at.isoformat() if row.expires_at else None,
        "client_secret_days_until_expire": row.days,
        "band": row.band,
        "failing_checks": "; ".join(c.get("name", "") for c in row.failing_checks),
    }


@operator_page
@require_GET
def health_list(request: HttpRequest) -> HttpResponse:
    operator = request.user
    customers = list(customers_visible(operator).only("id", "name", "provider_id", "channel_id"))
    services = health_rows(operator).prefetch_related(None)
    band = choice(request, "band", Band.values)
    customer = customer_filter(request, customers)
    if band:
        services = in_band(services, band)
    if customer is not None:
        services = services.filter(customer=customer)
    sort, ordering = sorting(request, HEALTH_COLUMNS, "days")
    services = services.order_by(*nulls_last(ordering))
    if request.GET.get("format") == "csv":
        return csv_response("connection-health.csv", CSV_COLUMNS, services.iterator(), _csv_row)
    page = paginate(request, services)
    page.object_list = [health_row(service) for service in page.object_list]
    context = {
        "page": page,
        "customers": customers,
        "bands": Band.choices,
        "band": band,
        "customer": customer,
        "filtered": bool(band or customer),
        "headers": sort_headers(sort, HEALTH_HEADERS),
        "validate_all": operator.scope in (Scope.SYSTEM, Scope.PROVIDER),
    }
    return render_page(request, "health/list.html", context, section="health")


def _csv_row(service: Any) -> dict[str, Any]:
    return csv_item(health_row(service))


@operator_page
@require_POST
def validate_all(request: HttpRequest) -> HttpResponse:
    """Validate all (or one customer's services): a job the workers share; its page follows.
    A customer out of scope is not found here, as everywhere in the pages."""
    operator = request.user
    customer_id = request.POST.get("customer", "")
    if customer_id:
        customer_get(operator, customer_id)
    try:
        job = validation_job_start(
            operator=operator,
            scope="customer" if customer_id else "all",
            target_id=customer_id or None,
        )
    except JobRunning as running:
        job = running.job
        messages.warning(
            request,
            f"{capfirst(job_covers(operator, job))} is already being validated ({job.status}): "
            "no second job was started. Its progress is below.",
        )
    return redirect("health:job", job_id=job.pk)


def job_covers(operator: Any, job: Any) -> str:
    """What the job validates, in words."""
    if job.scope == "customer":
        customer = customers_visible(operator).filter(pk=job.scope_id).first()
        return f"the services of {customer.name}" if customer else "one customer's services"
    if job.scope == "provider":
        return "every active service of the provider"
    if job.scope == "service":
        return "one service"
    return "every active service"


@operator_page
@require_GET
def job_detail(request: HttpRequest, job_id: str) -> HttpResponse:
    job = job_get(request.user, job_id)
    context = {
        "job": job,
        "covers": job_covers(request.user, job),
        "running": job.status in UNFINISHED,
        "percent": round(100 * job.done / job.total) if job.total else 100,
    }
    return render_page(request, "health/job.html", context, section="health")
