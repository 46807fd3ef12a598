"""The periodic re-validation resumes an unfinished scheduled job instead of starting a second
one: its task is delivered at least once, so a worker killed after creating the job (before all
its batches were queued) has it run again."""

from __future__ import annotations

import pytest
from django_q.models import OrmQ

from onramp.health.models import ValidationJob
from onramp.health.services import validation_job_create, validation_job_run
from onramp.health.tasks import run_validation_batch, scheduled_validation

pytestmark = pytest.mark.django_db(transaction=True)


def queued_batches() -> list[tuple[str, list[str]]]:
    return [
        (task.task["args"][0], sorted(task.task["args"][1]))
        for task in OrmQ.objects.order_by("id")
        if task.func() == "onramp.health.tasks.run_validation_batch"
    ]


def test_a_redelivered_scheduled_task_resumes_the_job_its_first_attempt_created(active_service):
    ids = sorted(str(active_service().pk) for _ in range(3))
    crashed = validation_job_create(scope="all", created_by="schedule")  # nothing queued yet

    assert scheduled_validation() == str(crashed.pk)
    assert ValidationJob.objects.count() == 1
    assert queued_batches() == [(str(crashed.pk), ids)]
    assert run_validation_batch(str(crashed.pk), ids) == 3
    job = ValidationJob.objects.get()
    assert (job.status, job.total, job.done, job.ok) == ("done", 3, 3, 3)


def test_a_partly_run_scheduled_job_is_resumed_with_only_what_it_lacks(active_service):
    services = [active_service() for _ in range(4)]
    job = validation_job_create(scope="all", created_by="schedule")
    validation_job_run(job.pk, concurrency=2, service_ids=[s.pk for s in services[:2]])

    assert scheduled_validation() == str(job.pk)
    assert ValidationJob.objects.count() == 1
    assert queued_batches() == [(str(job.pk), sorted(str(s.pk) for s in services[2:]))]


def test_a_finished_job_is_not_resumed_an_operators_unfinished_one_is(active_service):
    service = active_service()
    finished = validation_job_create(scope="all", created_by="schedule")
    validation_job_run(finished.pk, concurrency=1)
    ours = validation_job_create(scope="all", created_by="ops@northwind.example")  # queued

    started = scheduled_validation()
    assert ValidationJob.objects.count() == 2  # one unfinished job per scope
    assert started == str(ours.pk)
    resumed = ValidationJob.objects.get(pk=started)
    assert (resumed.created_by, resumed.status, resumed.total) == (
        "ops@northwind.example",
        "queued",
        1,
    )
    assert queued_batches() == [(started, [str(service.pk)])]
