"""Connection-health rules that health.selectors / health.services do not offer yet (each
belongs there; see the API report): the band filter in the database, and turning a
POST /validations request into a queued job."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet

from onramp.accounts.models import Operator, Scope
from onramp.core.errors import Forbidden, InvalidInput
from onramp.health.models import ValidationJob
from onramp.health.services import validation_job_create
from onramp.health.tasks import validation_job_enqueue
from onramp.tenancy.selectors import customers_visible, providers_visible

WHOLE_PROVIDER = "Your scope does not cover a whole provider: validate one customer at a time."


def _visible_id(queryset: QuerySet, pk: object, what: str) -> Any:
    try:
        found = queryset.filter(pk=pk).first()
    except (ValueError, TypeError, ValidationError):
        found = None
    if found is None:
        raise InvalidInput({"id": [f"No such {what}."]})
    return found


def _target(operator: Operator, scope: str, target_id: str | None) -> dict:
    """What the job covers: ``all`` is every service for a system operator, its provider's for
    a provider operator; channel and customer operators validate one customer at a time."""
    if scope == "all":
        if target_id is not None:
            raise InvalidInput({"id": ["Leave id out with scope all."]})
        if operator.scope == Scope.SYSTEM:
            return {"scope": "all"}
        if operator.scope != Scope.PROVIDER:
            raise Forbidden(WHOLE_PROVIDER)
        scope, target_id = "provider", str(operator.provider_id)
    if target_id is None:
        raise InvalidInput({"id": ["This field is required."]})
    if scope == "provider":
        if operator.scope not in (Scope.SYSTEM, Scope.PROVIDER):
            raise Forbidden(WHOLE_PROVIDER)
        provider = _visible_id(providers_visible(operator), target_id, "provider")
        return {"scope": "provider", "scope_id": str(provider.pk), "provider_id": provider.pk}
    customer = _visible_id(customers_visible(operator), target_id, "customer")
    return {"scope": "customer", "scope_id": str(customer.pk), "provider_id": customer.provider_id}


def validation_job_start(*, operator: Operator, scope: str, target_id: str | None) -> ValidationJob:
    """A queued re-validation of the active services in the target; its batches go to the
    workers once the job row is committed."""
    target = _target(operator, scope, target_id)
    with transaction.atomic():
        job = validation_job_create(created_by=operator.email, **target)
        validation_job_enqueue(job)
    return job
