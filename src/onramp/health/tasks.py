"""Background tasks: thin, take ids, call one service."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from onramp.health.services import (
    validation_job_create,
    validation_job_enqueue,
    validation_job_run,
)


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
