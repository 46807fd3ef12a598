"""Background tasks: thin, take ids, call one service."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from onramp.core.tasks import enqueue_on_commit
from onramp.health.models import ValidationJob
from onramp.health.services import job_services, validation_job_create, validation_job_run

BATCH_SIZE = 100
BATCH_TASK = "onramp.health.tasks.run_validation_batch"


def validation_job_enqueue(job: ValidationJob) -> int:
    """Split a job into batches that any number of workers share; returns the batch count."""
    ids = [str(pk) for pk in job_services(job).order_by("pk").values_list("pk", flat=True)]
    batches = [ids[i : i + BATCH_SIZE] for i in range(0, len(ids), BATCH_SIZE)] or [[]]
    for batch in batches:
        enqueue_on_commit(BATCH_TASK, str(job.pk), batch)
    return len(batches)


def run_validation_batch(job_id: str, service_ids: list[Any]) -> int:
    job = validation_job_run(
        job_id, concurrency=settings.VALIDATION_CONCURRENCY, service_ids=service_ids
    )
    return job.done


def scheduled_validation() -> str:
    """Periodic (ONRAMP_VALIDATION_SCHEDULE): re-validate every active service."""
    job = validation_job_create(scope="all", created_by="schedule")
    validation_job_enqueue(job)
    return str(job.pk)
