"""Live validations and validation jobs are throttled (each holds a web worker and costs
Microsoft quota): one unfinished job per scope (409 pointing to it), and per service one live
validation at a time and 5 per 10 minutes (429 with Retry-After). A refusal changes nothing and
asks Microsoft nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from onramp.audit.models import AuditEvent
from onramp.connections.models import ValidationRun
from onramp.core.ratelimit import claim, release
from onramp.health.models import ValidationJob
from onramp.health.services import (
    validation_job_create,
    validation_job_run,
    validation_job_scheduled,
)
from tests.api.helpers import db_state
from tests.clock import PINNED

pytestmark = pytest.mark.django_db


def test_one_unfinished_job_per_scope(api, customer, provider):
    first = api.post("/validations", {"scope": "all"})
    assert first.status_code == 202
    job = first.json()
    before = db_state(), ValidationJob.objects.count()
    second = api.post("/validations", {"scope": "provider", "id": str(provider.pk)})
    assert second.status_code == 409
    assert second.json() == {
        "detail": "A validation job for this scope is already queued: follow it at "
        f"/api/v1/jobs/{job['id']}; a new one can start once it is done.",
        "code": "invalid_state",
        "job": job,
    }
    assert (db_state(), ValidationJob.objects.count()) == before

    ValidationJob.objects.filter(pk=job["id"]).update(status="running")
    running = api.post("/validations", {"scope": "all"})
    assert running.status_code == 409
    assert running.json()["detail"] == (
        "A validation job for this scope is already running: follow it at "
        f"/api/v1/jobs/{job['id']}; a new one can start once it is done."
    )
    assert running.json()["job"]["status"] == "running"

    other_scope = api.post("/validations", {"scope": "customer", "id": str(customer.pk)})
    assert other_scope.status_code == 202
    validation_job_run(job["id"], concurrency=1)
    assert ValidationJob.objects.get(pk=job["id"]).status == "done"
    again = api.post("/validations", {"scope": "all"})
    assert again.status_code == 202
    assert again.json()["id"] != job["id"]


def test_the_schedule_resumes_an_operators_unfinished_job(system_api):
    job = system_api.post("/validations", {"scope": "all"}).json()
    assert str(validation_job_scheduled().pk) == job["id"]
    assert ValidationJob.objects.count() == 1
    cli = validation_job_create(scope="all", created_by="cli")  # in its own process: not held up
    assert ValidationJob.objects.count() == 2
    assert cli.status == "queued"


def test_live_validation_five_per_ten_minutes(api, active, sandbox, clock):
    service = active["id"]
    for _ in range(5):
        assert api.post(f"/services/{service}/m365/validate").status_code == 200
    clock.set(PINNED + timedelta(minutes=9, seconds=30))
    runs, events = ValidationRun.objects.count(), AuditEvent.objects.count()
    asked = sandbox.admin.requests_total()
    refused = api.post(f"/services/{service}/m365/validate")
    assert refused.status_code == 429
    assert refused.json() == {
        "detail": "This service was validated 5 times in the last 10 minutes: "
        "try again in 30 seconds.",
        "code": "rate_limited",
    }
    assert refused["Retry-After"] == "30"
    assert (ValidationRun.objects.count(), AuditEvent.objects.count()) == (runs, events)
    assert sandbox.admin.requests_total() == asked
    clock.set(PINNED + timedelta(minutes=10))
    assert api.post(f"/services/{service}/m365/validate").status_code == 200


def test_live_validation_one_at_a_time(api, active, sandbox):
    service = active["id"]
    runs, asked = ValidationRun.objects.count(), sandbox.admin.requests_total()
    held = claim(f"live-validation:{service}", 120)  # another worker is validating it now
    refused = api.post(f"/services/{service}/m365/validate")
    assert refused.status_code == 429
    assert refused.json() == {
        "detail": "A validation of this service is already running: try again in 5 seconds.",
        "code": "rate_limited",
    }
    assert refused["Retry-After"] == "5"
    assert ValidationRun.objects.count() == runs
    assert sandbox.admin.requests_total() == asked
    release(held)
    assert api.post(f"/services/{service}/m365/validate").status_code == 200
    assert ValidationRun.objects.count() == runs + 1
