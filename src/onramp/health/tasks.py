"""Background tasks: thin, take ids, call one service."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings

from onramp.health.services import validation_job_run, validation_job_scheduled


def run_validation_batch(job_id: str, service_ids: list[Any]) -> int:
    """Waits for Retry-After end by half the task timeout, so a long throttling answer is
    recorded as transient instead of the batch being stopped and run again."""
    job = validation_job_run(
        job_id,
        concurrency=settings.VALIDATION_CONCURRENCY,
        service_ids=service_ids,
        deadline=time.monotonic() + settings.TASK_TIMEOUT_SECONDS / 2,
    )
    return job.done


def scheduled_validation() -> str:
    """Periodic (ONRAMP_VALIDATION_SCHEDULE): re-validate every active service."""
    return str(validation_job_scheduled().pk)
