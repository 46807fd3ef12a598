"""Expiry and failure alerts: decided in the transaction that stores the run that raises them.

Each alert has a dedupe key (threshold + secret, or the failing run) under a unique
constraint, so re-runs, duplicate deliveries and restarts never send one twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from onramp.accounts.models import Operator, Scope
from onramp.connections.expiry import days_until
from onramp.connections.models import TenantConnection, ValidationRun
from onramp.health.models import Alert, AlertKind
from onramp.m365.results import TRANSIENT_REASONS, ValidationResult
from onramp.notifications.services import outbox_enqueue
from onramp.services.models import Service

if TYPE_CHECKING:
    from onramp.health.models import ValidationJob


def expiry_threshold(days: int | None, thresholds: list[int]) -> int | None:
    """The most severe threshold a secret with ``days`` left has reached (None: none yet)."""
    if days is None:
        return None
    reached = [t for t in thresholds if days <= t]
    return min(reached) if reached else None


def alerts_for_batch(
    job: ValidationJob,
    fresh: list[tuple[Any, ValidationResult]],
    runs: list[ValidationRun],
    services: dict[Any, Service],
    connections: dict[Any, TenantConnection],
) -> None:
    """``services`` (with customer and provider) and ``connections`` (as refreshed by this
    batch) by service id: the caller has them already."""
    previous = _previous_answered_ok([target.service_id for target, _ in fresh], job)
    for (target, result), run in zip(fresh, runs, strict=True):
        service = services[target.service_id]
        connection = connections.get(service.pk)
        if connection is not None:
            _expiry_alert(service, connection)
        if not result.ok and not result.transient and previous.get(service.pk, True):
            _send(
                service,
                AlertKind.FAILURE,
                None,
                f"failure:{run.pk}",
                "health/email/failure",
                {"result": result},
            )


def _previous_answered_ok(service_ids: list[Any], job: ValidationJob) -> dict[Any, bool]:
    """Whether each service's last answered validation before this job passed (one query,
    however long the history)."""
    newest = (
        ValidationRun.objects.filter(service=OuterRef("pk"))
        .exclude(job=job)
        .exclude(reason__in=TRANSIENT_REASONS)
        .order_by("-validated_at", "-id")
        .values("ok")[:1]
    )
    rows = Service.objects.filter(pk__in=service_ids).annotate(previous_ok=Subquery(newest))
    return {pk: ok for pk, ok in rows.values_list("pk", "previous_ok") if ok is not None}


def _expiry_alert(service: Service, connection: TenantConnection) -> None:
    days = days_until(connection.secret_expires_at)
    threshold = expiry_threshold(days, settings.EXPIRY_ALERT_DAYS)
    if threshold is None or connection.secret_expires_at is None:
        return
    key = f"expiry:{threshold}:{connection.secret_hint}:{connection.secret_expires_at:%Y-%m-%d}"
    _send(
        service,
        AlertKind.EXPIRY,
        threshold,
        key,
        "health/email/expiry",
        {"days": days, "expires_at": connection.secret_expires_at, "hint": connection.secret_hint},
    )


def recipients_for(service: Service, *, kind: str) -> list[str]:
    """The provider's operators, plus the customer's admin contact when the customer opted in."""
    emails = list(
        Operator.objects.filter(
            provider_id=service.provider_id,
            scope=Scope.PROVIDER,
            is_active=True,
        )
        .order_by("email")
        .values_list("email", flat=True)
    )
    customer = service.customer
    if kind == AlertKind.EXPIRY and customer.notify_admin_on_expiry and customer.contact_email:
        emails.append(customer.contact_email)
    return emails


def _send(
    service: Service,
    kind: str,
    threshold: int | None,
    key: str,
    template: str,
    context: dict[str, Any],
) -> None:
    recipients = recipients_for(service, kind=kind)
    try:
        with transaction.atomic():
            Alert.objects.create(
                service=service,
                kind=kind,
                threshold_days=threshold,
                dedupe_key=key,
                sent_at=timezone.now(),
                recipients=recipients,
            )
            context = {
                **context,
                "service": service,
                "customer": service.customer,
                "provider": service.provider,
                "threshold": threshold,
                "link": settings.PUBLIC_URL + reverse("services:m365", args=[service.pk]),
            }
            subject = render_to_string(f"{template}_subject.txt", context).strip()
            text = render_to_string(f"{template}.txt", context)
            html = render_to_string(f"{template}.html", context)
            for email in recipients:
                outbox_enqueue(
                    kind=f"alert.{kind}", to_email=email, subject=subject, text=text, html=html
                )
    except IntegrityError:
        return  # already sent for this threshold and secret (or this failure)
