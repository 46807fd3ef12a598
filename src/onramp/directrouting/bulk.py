"""Bulk Provision (Services list → select → **Provision**): one job, run by a task taking its
id, starting provisioning for each selected service in turn and recording a result for each.
Starting is quick (no call to Microsoft); the runs then move in the workers, as many at once as
there are workers, which bounds the load on Microsoft and on the provider's DNS."""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from onramp.accounts.models import Operator
from onramp.accounts.scoping import require_actor
from onramp.audit.services import audit_record
from onramp.core.actors import Actor
from onramp.core.errors import InvalidInput, InvalidState, NotFound
from onramp.core.tasks import enqueue_on_commit
from onramp.directrouting.models import BulkProvisioning, BulkStatus, Provisioning, RunStatus
from onramp.directrouting.services import provisioning_start
from onramp.services.models import Service

BULK_TASK = "onramp.directrouting.tasks.bulk_provision"
NONE_CHOSEN = "Select at least one active service to provision."
REMOVED_NOT_IN_BULK = (
    "Direct Routing was removed from this service: provision it again on its Direct Routing "
    "tab, not in bulk."
)


def bulk_provisioning_start(*, actor: Actor, services: QuerySet[Service]) -> BulkProvisioning:
    """The job for the chosen services (the caller's scoped selection), enqueued."""
    require_actor(actor, "direct_routing.manage")
    ids = [str(pk) for pk in services.order_by("short_name_key").values_list("pk", flat=True)]
    if not ids:
        raise InvalidInput({"service": [NONE_CHOSEN]})
    with transaction.atomic():
        job = BulkProvisioning.objects.create(
            operator=actor.operator, service_ids=ids, created_at=timezone.now()
        )
        audit_record(
            actor=actor,
            action="direct_routing.bulk_started",
            target=job,
            provider_id=actor.operator.provider_id,
            new={"services": len(ids)},
        )
        enqueue_on_commit(BULK_TASK, str(job.pk))
    return job


def bulk_provisioning_run(*, job_id: str) -> BulkProvisioning:
    """Each service not handled yet: provisioning started as the job's operator, or the
    refusal recorded; then the job is done. Run again (a worker died): the rest only."""
    job = BulkProvisioning.objects.select_related("operator").get(pk=job_id)
    BulkProvisioning.objects.filter(pk=job.pk, status=BulkStatus.QUEUED).update(
        status=BulkStatus.RUNNING
    )
    actor = Actor.for_operator(job.operator)
    for service_id in job.service_ids:
        if service_id in job.results:
            continue
        service = Service.objects.filter(pk=service_id).first()
        try:
            if service is None:
                raise InvalidState("The service no longer exists.")
            if Provisioning.objects.filter(service=service, status=RunStatus.REMOVED).exists():
                raise InvalidState(REMOVED_NOT_IN_BULK)
            provisioning_start(actor=actor, service=service)
        except InvalidState as refusal:
            result = {"status": "refused", "message": refusal.detail}
        else:
            result = {"status": "started", "message": ""}
        job.results[service_id] = result
        BulkProvisioning.objects.filter(pk=job.pk).update(results=job.results)
    job.status, job.finished_at = BulkStatus.DONE, timezone.now()
    job.save(update_fields=["status", "finished_at"])
    return job


def bulk_provisioning_get(operator: Operator, job_id: str) -> BulkProvisioning:
    """A job is its operator's: anyone else's (or none) is 404."""
    job = BulkProvisioning.objects.filter(pk=job_id, operator=operator).first()
    if job is None:
        raise NotFound("No such bulk provisioning job.")
    return job
