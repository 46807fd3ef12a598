"""``onramp validate``: re-validate connections in this process, with a progress line."""

from __future__ import annotations

import sys
import time

from django.core.management.base import BaseCommand, CommandError

from onramp.connections.models import ValidationTrigger
from onramp.health.models import IN_PROCESS, ValidationJob
from onramp.health.services import validation_job_create, validation_job_run
from onramp.services.models import Service, ServiceStatus


class Command(BaseCommand):
    # A batch run, not a server's start-up: the checks would import the URL configuration (the
    # whole API and its schemas), an eighth of a 2,000-service run's CPU; `onramp check` runs them.
    requires_system_checks: list[str] = []
    help = "Re-validate connections now, in this process."

    def add_arguments(self, parser):
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--all", action="store_true", help="every active service")
        target.add_argument("--service", metavar="ID", help="one service")
        parser.add_argument("--concurrency", type=int, default=None)

    def handle(self, *args, all: bool, service: str | None, concurrency: int | None, **options):
        from django.conf import settings

        concurrency = concurrency or settings.VALIDATION_CONCURRENCY
        if not 1 <= concurrency <= 512:
            raise CommandError(f"--concurrency must be between 1 and 512, got {concurrency}")
        if service is not None:
            found = Service.objects.filter(pk=service).first() if _is_uuid(service) else None
            if found is None:
                raise CommandError(f"no service with id {service}")
            if found.status != ServiceStatus.ACTIVE:
                raise CommandError(f"service {service} is not active ({found.status})")
            job = validation_job_create(
                scope="service",
                scope_id=str(found.pk),
                provider_id=found.provider_id,
                created_by=IN_PROCESS,
            )
        else:
            job = validation_job_create(scope="all", created_by=IN_PROCESS)
        started = time.monotonic()
        job = validation_job_run(
            job.pk,
            concurrency=concurrency,
            trigger=ValidationTrigger.MANUAL,
            progress=lambda j: self._progress(j, started),
        )
        if sys.stderr.isatty():
            sys.stderr.write("\n")
        self.stdout.write(
            f"validated {job.done}: ok {job.ok}, failed {job.failed}, errors {job.errors}"
        )

    def _progress(self, job: ValidationJob, started: float) -> None:
        elapsed = time.monotonic() - started
        line = (
            f"validating {job.done}/{job.total} (ok {job.ok}, failed {job.failed}, "
            f"errors {job.errors}) {elapsed:.1f}s"
        )
        end = "\r" if sys.stderr.isatty() else "\n"
        sys.stderr.write(line + end)
        sys.stderr.flush()


def _is_uuid(value: str) -> bool:
    from onramp.core.validators import is_guid

    return is_guid(value)
