"""Connection health of active services and validation jobs, scoped to the caller."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from onramp.accounts.models import Operator, Scope
from onramp.connections.expiry import CRITICAL_DAYS, WARNING_DAYS, band_for, days_until
from onramp.connections.models import ValidationRun
from onramp.core.lookup import get_or_not_found
from onramp.health.models import ValidationJob
from onramp.services.models import Service, ServiceStatus
from onramp.services.selectors import services_visible
from onramp.tenancy.selectors import customers_visible


@dataclass(frozen=True)
class HealthRow:
    service: Service
    ok: bool | None
    reason: str | None
    validated_at: datetime | None
    failing_checks: list[dict]
    expires_at: datetime | None
    days: int | None
    band: str


def health_rows(operator: Operator) -> QuerySet[Service]:
    """Active services in scope, annotated with their newest validation (one query)."""
    newest = ValidationRun.objects.filter(service=OuterRef("pk")).order_by("-validated_at", "-id")
    return (
        services_visible(operator)
        .filter(status=ServiceStatus.ACTIVE)
        .select_related("connection")
        .annotate(
            last_ok=Subquery(newest.values("ok")[:1]),
            last_reason=Subquery(newest.values("reason")[:1]),
            last_at=Subquery(newest.values("validated_at")[:1]),
            last_result=Subquery(newest.values("result")[:1]),
        )
    )


def health_row(service: Service) -> HealthRow:
    connection = getattr(service, "connection", None)
    expires_at = connection.secret_expires_at if connection else None
    days = days_until(expires_at)
    result = service.last_result or {}  # type: ignore[attr-defined]
    if isinstance(result, str):  # SQLite returns the JSON of a subquery as text
        result = json.loads(result)
    return HealthRow(
        service=service,
        ok=service.last_ok,
        reason=service.last_reason or None,  # type: ignore[attr-defined]
        validated_at=service.last_at,  # type: ignore[attr-defined]
        failing_checks=[c for c in result.get("checks", []) if not c.get("ok")],
        expires_at=expires_at,
        days=days,
        band=band_for(days),
    )


def jobs_visible(operator: Operator) -> QuerySet[ValidationJob]:
    """Provider operators see their provider's jobs; channel and customer operators only the
    jobs of customers they can see."""
    if operator.scope == Scope.SYSTEM:
        return ValidationJob.objects.all()
    jobs = ValidationJob.objects.filter(provider_id=operator.provider_id)
    if operator.scope in (Scope.CHANNEL, Scope.CUSTOMER):
        visible = [str(pk) for pk in customers_visible(operator).values_list("pk", flat=True)]
        jobs = jobs.filter(scope="customer", scope_id__in=visible)
    return jobs


def job_get(operator: Operator, job_id: object) -> ValidationJob:
    return get_or_not_found(jobs_visible(operator), job_id, "job")


EXPIRES = "connection__secret_expires_at"


def in_band(services: QuerySet, band: str, today: date | None = None) -> QuerySet:
    """Services whose secret's band (``band_for`` of the days until expiry) is
    ``band``, as a filter the database applies, so paging stays exact."""
    midnight = datetime.combine(today or timezone.now().date(), time.min, tzinfo=UTC)

    def day(n: int) -> datetime:
        return midnight + timedelta(days=n)

    condition = {
        "unknown": Q(**{f"{EXPIRES}__isnull": True}),
        "expired": Q(**{f"{EXPIRES}__lt": day(0)}),
        "critical": Q(**{f"{EXPIRES}__gte": day(0), f"{EXPIRES}__lt": day(CRITICAL_DAYS)}),
        "warning": Q(
            **{f"{EXPIRES}__gte": day(CRITICAL_DAYS), f"{EXPIRES}__lt": day(WARNING_DAYS)}
        ),
        "ok": Q(**{f"{EXPIRES}__gte": day(WARNING_DAYS)}),
    }[band]
    return services.filter(condition)
