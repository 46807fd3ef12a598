"""The pages' side of the throttles: a second Validate all leads to the job already running, and
Validate Authentication refused by the per-service limits says why and validates nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from onramp.connections.models import ValidationRun
from onramp.core.ratelimit import claim, release
from onramp.health.models import ValidationJob
from tests.clock import PINNED
from tests.pages.helpers import visible_text

pytestmark = pytest.mark.django_db


def test_a_second_validate_all_leads_to_the_running_job(ops):
    first = ops.post("/health/validate/")
    assert first.status_code == 302
    second = ops.post("/health/validate/")
    assert second.status_code == 302
    assert second.url == first.url
    assert ValidationJob.objects.count() == 1
    text = visible_text(ops.get(second.url))
    assert (
        "Every active service of the provider is already being validated (queued): "
        "no second job was started. Its progress is below." in text
    )


def test_validate_authentication_five_per_ten_minutes(ops, active_service, sandbox, clock):
    url = f"/services/{active_service().pk}/m365/"
    for _ in range(5):
        assert ops.post(f"{url}validate/").status_code == 302
    clock.set(PINNED + timedelta(minutes=9, seconds=30))
    runs, asked = ValidationRun.objects.count(), sandbox.admin.requests_total()
    response = ops.post(f"{url}validate/")
    assert response.status_code == 429
    assert response["Retry-After"] == "30"
    assert (
        "Nothing was validated. This service was validated 5 times in the last 10 minutes: "
        "try again in 30 seconds." in visible_text(response)
    )
    assert ValidationRun.objects.count() == runs
    assert sandbox.admin.requests_total() == asked


def test_validate_authentication_one_at_a_time(ops, active_service, sandbox):
    service = active_service()
    url = f"/services/{service.pk}/m365/"
    held = claim(f"live-validation:{service.pk}", 120)
    response = ops.post(f"{url}validate/")
    assert response.status_code == 429
    assert (
        "Nothing was validated. A validation of this service is already running: "
        "try again in 5 seconds." in visible_text(response)
    )
    assert ValidationRun.objects.count() == 0
    release(held)
    assert ops.post(f"{url}validate/").status_code == 302
    assert ValidationRun.objects.count() == 1
