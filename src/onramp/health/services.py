"""Re-validating many connections: bounded concurrency, Retry-After honoured, each effect once.

Worker threads only talk to Microsoft; the calling thread does all database work, storing
results in small batches under a lock on the job row. A run is unique per (job, service), so a
batch that is delivered twice (a worker killed mid-batch, at-least-once delivery) validates
only what is missing and counts nothing twice. Alerts are written in the same transaction as
the run that raised them, so none is lost and none is sent twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from queue import SimpleQueue
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from onramp.accounts.models import Operator, Scope
from onramp.accounts.scoping import require
from onramp.connections.live import discovery_documents_keep, discovery_documents_load
from onramp.connections.models import (
    TenantConnection,
    ValidationRun,
    ValidationTrigger,
)
from onramp.connections.services import (
    OPENED_FIELDS,
    Validated,
    connection_apply,
    credential_open,
    validation_runs_store,
)
from onramp.core.actors import Actor
from onramp.core.crypto import secret_box
from onramp.core.errors import Forbidden, InvalidInput, InvalidState
from onramp.core.tasks import enqueue_on_commit
from onramp.health.alerts import alerts_for_batch
from onramp.health.models import IN_PROCESS, UNFINISHED, JobStatus, ValidationJob
from onramp.m365.credentials import Credential
from onramp.m365.results import ValidationResult
from onramp.m365.validation import get_client
from onramp.services.models import Service, ServiceStatus
from onramp.tenancy.selectors import customers_visible, providers_visible

MAX_ATTEMPTS = 4
BACKOFF_BASE_SECONDS = 2.0
MAX_WAIT_SECONDS = 120.0
STORE_EVERY = 100
CHUNK = 500
BATCH_SIZE = 100
BATCH_TASK = "onramp.health.tasks.run_validation_batch"
SCHEDULE = "schedule"  # created_by of the periodic jobs
WHOLE_PROVIDER = "Your scope does not cover a whole provider: validate one customer at a time."


class JobRunning(InvalidState):
    """A job of the same scope is queued or running; ``job`` is that one."""

    def __init__(self, job: ValidationJob) -> None:
        super().__init__(
            f"A validation job for this scope is already {job.status}: follow it at "
            f"/api/v1/jobs/{job.pk}; a new one can start once it is done."
        )
        self.job = job


@dataclass(frozen=True)
class _Target:
    service_id: Any
    tenant_id: str
    client_id: str
    credential: Credential
    expected_tenant_id: str


def job_services(job: ValidationJob) -> QuerySet[Service]:
    """The active, connected services a job covers."""
    services = Service.objects.filter(status=ServiceStatus.ACTIVE, connection__isnull=False)
    if job.scope == "provider":
        services = services.filter(provider_id=job.scope_id)
    elif job.scope == "customer":
        services = services.filter(customer_id=job.scope_id)
    elif job.scope == "service":
        services = services.filter(pk=job.scope_id)
    return services


def validation_job_create(
    *, scope: str, scope_id: str = "", provider_id: Any = None, created_by: str = ""
) -> ValidationJob:
    job = ValidationJob(
        scope=scope, scope_id=scope_id, provider_id=provider_id, created_by=created_by
    )
    job.total = job_services(job).count()
    job.save()
    return job


def validation_job_enqueue(job: ValidationJob) -> int:
    """Split what a job still lacks into batches that any number of workers share; returns
    the batch count."""
    services = job_services(job).exclude(validation_runs__job=job).order_by("pk")
    ids = [str(pk) for pk in services.values_list("pk", flat=True)]
    batches = [ids[i : i + BATCH_SIZE] for i in range(0, len(ids), BATCH_SIZE)] or [[]]
    for batch in batches:
        enqueue_on_commit(BATCH_TASK, str(job.pk), batch)
    return len(batches)


def unfinished_job(scope: str, scope_id: str = "") -> ValidationJob | None:
    """The queued or running job of a scope (at most one: ``one_unfinished_job_per_scope``)."""
    return (
        ValidationJob.objects.select_for_update()
        .filter(scope=scope, scope_id=scope_id, status__in=UNFINISHED)
        .exclude(created_by=IN_PROCESS)
        .first()
    )


def validation_job_scheduled() -> ValidationJob:
    """The periodic re-validation of every active service. Delivery is at least once: a
    worker killed after creating the job but before queueing all its batches has the task run
    again, and an earlier night's job (or an operator's Validate all) may still be unfinished.
    Either way that job is resumed (its batches queued again; a batch validates only what is
    missing) rather than a second job started and the first left unfinished for ever."""
    with transaction.atomic():
        job = unfinished_job("all") or validation_job_create(scope="all", created_by=SCHEDULE)
        validation_job_enqueue(job)
    return job


def _visible_id(queryset: QuerySet, pk: object, what: str) -> Any:
    try:
        found = queryset.filter(pk=pk).first()
    except (ValueError, TypeError, ValidationError):
        found = None
    if found is None:
        raise InvalidInput({"id": [f"No such {what}."]})
    return found


def _job_target(operator: Operator, scope: str, target_id: str | None) -> dict[str, Any]:
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
    """An operator's on-demand re-validation (API and health page alike): a queued job over
    the active services of the target, its batches sent to the workers once it is committed.
    JobRunning while a job of the same scope is unfinished (each holds workers and costs
    Microsoft quota); two starts at once: the unique constraint lets one through."""
    require(operator, "connection.validate")
    target = _job_target(operator, scope, target_id)
    try:
        with transaction.atomic():
            if running := unfinished_job(target["scope"], target.get("scope_id", "")):
                raise JobRunning(running)
            job = validation_job_create(created_by=operator.email, **target)
            validation_job_enqueue(job)
    except IntegrityError:
        with transaction.atomic():
            running = unfinished_job(target["scope"], target.get("scope_id", ""))
        if running is None:
            raise
        raise JobRunning(running) from None
    return job


def validate_with_retries(
    target: _Target,
    *,
    sleep: Callable[[float], None] = time.sleep,
    max_attempts: int = MAX_ATTEMPTS,
    deadline: float | None = None,
) -> ValidationResult:
    """Validate once; on a transient answer wait as Microsoft says (Retry-After) or back off
    exponentially, a bounded number of times. Throttling never reads as bad credentials.
    A wait that would pass ``deadline`` (time.monotonic) is not made: the transient result
    stands, rather than the worker's task being stopped mid-wait and run again."""
    client = get_client()
    for attempt in range(1, max_attempts + 1):
        result = client.validate(
            tenant=target.tenant_id,
            client_id=target.client_id,
            credential=target.credential,
            expected_tenant_id=target.expected_tenant_id or None,
            now=timezone.now(),
        )
        if not result.transient or attempt == max_attempts:
            return result
        wait_for = min(
            float(
                result.retry_after
                if result.retry_after is not None
                else BACKOFF_BASE_SECONDS * 2 ** (attempt - 1)
            ),
            MAX_WAIT_SECONDS,
        )
        if deadline is not None and time.monotonic() + wait_for > deadline:
            return result
        sleep(wait_for)
    raise AssertionError("unreachable")


def _targets(job: ValidationJob, service_ids: list[Any] | None) -> Iterator[_Target]:
    """Services of the job without a run for it yet, with their credentials opened, and the
    kept discovery documents of their tenants in the client's memory (a new process starts
    warm)."""
    services = job_services(job).exclude(validation_runs__job=job)
    if service_ids is not None:
        services = services.filter(pk__in=service_ids)
    box = secret_box()
    last_pk = None
    while True:
        chunk = services.order_by("pk")
        if last_pk is not None:
            chunk = chunk.filter(pk__gt=last_pk)
        rows = list(
            chunk.values_list(
                "pk",
                "connection__tenant_id",
                "connection__client_id",
                "customer__azure_tenant_id",
                *(f"connection__{name}" for name in OPENED_FIELDS),
            )[:CHUNK]
        )
        if not rows:
            return
        discovery_documents_load(get_client(), {row[1] for row in rows})
        for pk, tenant_id, client_id, expected, *held in rows:
            credential = credential_open(dict(zip(OPENED_FIELDS, held, strict=True)), box)
            yield _Target(pk, tenant_id, client_id, credential, expected)
        last_pk = rows[-1][0]


def validation_job_run(
    job_id: Any,
    *,
    concurrency: int,
    service_ids: list[Any] | None = None,
    progress: Callable[[ValidationJob], None] | None = None,
    trigger: str = ValidationTrigger.SCHEDULED,
    deadline: float | None = None,
) -> ValidationJob:
    """Validate what the job (or this batch of it) still lacks; returns the job afterwards.
    No Retry-After wait goes past ``deadline`` (see validate_with_retries)."""
    ValidationJob.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, started_at=timezone.now()
    )
    job = ValidationJob.objects.get(pk=job_id)
    # Each validation puts its future here when done: the calling thread takes them in turn
    # (``wait(FIRST_COMPLETED)`` would watch every pending future again for each one done).
    done: SimpleQueue[Future[tuple[_Target, ValidationResult]]] = SimpleQueue()
    running = 0
    finished: list[tuple[_Target, ValidationResult]] = []

    def take_one() -> None:
        nonlocal finished, running
        finished.append(done.get().result())
        running -= 1
        if len(finished) >= STORE_EVERY:
            _store(job, finished, trigger, progress)
            finished = []

    with ThreadPoolExecutor(concurrency, thread_name_prefix="validate") as pool:
        for target in _targets(job, service_ids):
            if running >= concurrency * 2:
                take_one()
            pool.submit(_validate_target, target, deadline).add_done_callback(done.put)
            running += 1
        while running:
            take_one()
    _store(job, finished, trigger, progress)
    return _finish_if_complete(job.pk)


def _validate_target(target: _Target, deadline: float | None) -> tuple[_Target, ValidationResult]:
    return target, validate_with_retries(target, deadline=deadline)


def _store(
    job: ValidationJob,
    finished: list[tuple[_Target, ValidationResult]],
    trigger: str,
    progress: Callable[[ValidationJob], None] | None,
) -> None:
    if not finished:
        return
    discovery_documents_keep(get_client())
    with transaction.atomic():
        ValidationJob.objects.select_for_update().get(pk=job.pk)
        done_already = set(
            ValidationRun.objects.filter(
                job=job, service_id__in=[t.service_id for t, _ in finished]
            ).values_list("service_id", flat=True)
        )
        fresh = [(t, r) for t, r in finished if t.service_id not in done_already]
        if not fresh:
            return
        ids = [t.service_id for t, _ in fresh]
        services = {
            s.pk: s
            for s in Service.objects.select_related("customer", "provider").filter(pk__in=ids)
        }
        runs = validation_runs_store(
            validated=[Validated(r, service=services[t.service_id]) for t, r in fresh],
            trigger=trigger,
            actor=Actor.system(),
            job=job,
        )
        connections = {c.service_id: c for c in TenantConnection.objects.filter(service_id__in=ids)}
        _apply_to_connections(fresh, connections)
        alerts_for_batch(job, fresh, runs, services, connections)
        counts = {"ok": 0, "failed": 0, "errors": 0}
        for _, result in fresh:
            key = "ok" if result.ok else ("errors" if result.transient else "failed")
            counts[key] += 1
        ValidationJob.objects.filter(pk=job.pk).update(
            done=F("done") + len(fresh),
            ok=F("ok") + counts["ok"],
            failed=F("failed") + counts["failed"],
            errors=F("errors") + counts["errors"],
        )
    if progress is not None:
        progress(ValidationJob.objects.get(pk=job.pk))


def _apply_to_connections(
    fresh: list[tuple[_Target, ValidationResult]], connections: dict[Any, TenantConnection]
) -> None:
    """The one rule (``connection_apply``), written only where it changed something, in the
    database and in ``connections``, which the alerts read next."""
    for target, result in fresh:
        connection = connections.get(target.service_id)
        if connection is not None and (changed := connection_apply(connection, result)):
            TenantConnection.objects.filter(pk=connection.pk).update(**changed)


def _finish_if_complete(job_id: Any) -> ValidationJob:
    """Done once every covered service has a run for the job (services that stopped being
    active meanwhile are simply no longer covered)."""
    with transaction.atomic():
        job = ValidationJob.objects.select_for_update().get(pk=job_id)
        remaining = job_services(job).exclude(validation_runs__job=job).exists()
        if job.status == JobStatus.RUNNING and not remaining:
            job.status = JobStatus.DONE
            job.finished_at = timezone.now()
            job.save(update_fields=["status", "finished_at"])
    return job
