"""Bulk re-validation against the sandbox: counts, idempotence, Retry-After, alerts."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from onramp.audit.models import AuditEvent
from onramp.connections.models import DiscoveryDocument, TenantConnection, ValidationRun
from onramp.connections.services import connection_set_expiry, held_credential
from onramp.health.alerts import expiry_threshold
from onramp.health.models import Alert
from onramp.health.services import (
    _Target,
    validate_with_retries,
    validation_job_create,
    validation_job_run,
)
from onramp.notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db(transaction=True)


def target_of(service):
    """What a job validates for the service, its credential opened."""
    connection = TenantConnection.objects.get(service=service)
    return _Target(
        service.pk, connection.tenant_id, connection.client_id, held_credential(connection), ""
    )


def run_all(concurrency=4):
    job = validation_job_create(scope="all", created_by="test")
    return validation_job_run(job.pk, concurrency=concurrency)


def test_every_active_service_is_validated_once_with_exact_counts(active_service, sandbox):
    good = [active_service() for _ in range(3)]
    broken = active_service(permissions=["Organization.Read.All"])
    job = run_all()
    assert (job.status, job.total, job.done, job.ok, job.failed, job.errors) == (
        "done",
        4,
        4,
        3,
        1,
        0,
    )
    assert ValidationRun.objects.filter(job=job).count() == 4
    assert ValidationRun.objects.get(job=job, service=broken).reason == "missing_permissions"
    assert AuditEvent.objects.filter(action="connection.validated").count() == 4
    connection = TenantConnection.objects.get(service=good[0])
    assert connection.secret_expires_at == good[0].secret_end
    assert connection.secret_expiry_source == "microsoft"
    assert connection.tenant_display_name == "Tenant 1"


def test_a_redelivered_job_counts_nothing_twice(active_service):
    for _ in range(3):
        active_service()
    job = run_all()
    again = validation_job_run(job.pk, concurrency=2)
    assert (again.done, again.ok) == (3, 3)
    assert ValidationRun.objects.filter(job=job).count() == 3


def test_a_batch_resumes_what_is_missing(active_service):
    services = [active_service() for _ in range(4)]
    job = validation_job_create(scope="all")
    half = validation_job_run(job.pk, concurrency=2, service_ids=[services[0].pk, services[1].pk])
    assert (half.status, half.done) == ("running", 2)
    rest = validation_job_run(job.pk, concurrency=2)
    assert (rest.status, rest.done, rest.ok) == ("done", 4, 4)


def test_throttling_waits_as_told_and_never_reads_as_invalid(active_service, sandbox):
    service = active_service()
    target = target_of(service)
    sandbox.admin.set_faults(status=429, retry_after=3, paths="token")
    waits = []
    result = validate_with_retries(target, sleep=waits.append, max_attempts=3)
    assert waits == [3.0, 3.0]
    assert (result.reason, result.transient) == ("throttled", True)

    def clear_after_first(seconds):
        waits.append(seconds)
        sandbox.admin.clear_faults()

    waits.clear()
    sandbox.admin.set_faults(status=429, retry_after=5, paths="token")
    result = validate_with_retries(target, sleep=clear_after_first)
    assert waits == [5.0]
    assert result.ok is True


def test_transient_results_count_as_errors_not_failures(active_service, sandbox, monkeypatch):
    monkeypatch.setattr("onramp.health.services.MAX_ATTEMPTS", 1)
    active_service()
    sandbox.admin.set_faults(status=503)
    job = run_all()
    assert (job.ok, job.failed, job.errors) == (0, 0, 1)
    assert not Alert.objects.exists()


def test_a_new_process_fetches_no_discovery_document_of_a_tenant_validated_before(
    active_service, sandbox, microsoft_settings
):
    services = [active_service() for _ in range(2)]
    microsoft_settings.MICROSOFT_TIMEOUT_SECONDS = 14.5  # a client with nothing in memory
    assert run_all().ok == 2
    discovery = sorted(
        f"/{s.sandbox_tenant}/v2.0/.well-known/openid-configuration" for s in services
    )
    served = [r["path"] for r in sandbox.admin.requests_served()]
    assert sorted(p for p in served if p.endswith("openid-configuration")) == discovery
    assert sorted(DiscoveryDocument.objects.values_list("url", flat=True)) == [
        f"{sandbox.url}{path}" for path in discovery
    ]

    microsoft_settings.MICROSOFT_TIMEOUT_SECONDS = 14.75  # another one, as in a new process
    before = len(served)
    assert run_all().ok == 2
    again = [r["path"] for r in sandbox.admin.requests_served()[before:]]
    assert [p for p in again if p.endswith("openid-configuration")] == []
    assert len(again) == 2 * 3


@pytest.mark.parametrize(
    ("days", "threshold"),
    [(45, None), (30, 30), (29, 30), (14, 14), (8, 14), (7, 7), (1, 1), (0, 0), (-3, 0)],
)
def test_expiry_thresholds(days, threshold):
    assert expiry_threshold(days, [30, 14, 7, 1, 0]) == threshold


def test_expiry_alert_is_sent_once_per_threshold_and_secret(active_service, operator, customer):
    customer.notify_admin_on_expiry = True
    customer.contact_email = "it@contoso.example"
    customer.save()
    service = active_service(expires_in=timedelta(days=10, hours=1))
    run_all()
    run_all()
    alert = Alert.objects.get()
    assert (alert.kind, alert.threshold_days, alert.service_id) == ("expiry", 14, service.pk)
    assert alert.recipients == ["ops@northwind.example", "it@contoso.example"]
    messages = OutboxMessage.objects.filter(kind="alert.expiry").order_by("to_email")
    assert [m.to_email for m in messages] == ["it@contoso.example", "ops@northwind.example"]
    assert messages[0].subject == "Expires in 10 days: client secret of svc-0001 (Contoso Ltd)"


def test_a_secret_closer_to_expiry_gets_the_more_severe_alert(active_service, operator):
    active_service(expires_in=timedelta(days=5, hours=1))
    active_service(expires_in=timedelta(days=60))
    run_all()
    assert list(Alert.objects.values_list("threshold_days", flat=True)) == [7]


def test_failure_alert_only_when_a_validation_newly_fails(active_service, operator, sandbox):
    service = active_service()
    run_all()
    assert not Alert.objects.exists()
    sandbox.admin.update_application(service.sandbox_tenant, service.sandbox_app, permissions=[])
    run_all()
    run_all()
    alert = Alert.objects.get()
    assert (alert.kind, alert.recipients) == ("failure", ["ops@northwind.example"])
    message = OutboxMessage.objects.get(kind="alert.failure")
    assert message.subject == "Validation failed: svc-0001 (Contoso Ltd)"


def test_a_wait_past_the_deadline_is_not_made_and_the_result_stays_transient(
    active_service, sandbox
):
    service = active_service()
    target = target_of(service)
    sandbox.admin.set_faults(status=429, retry_after=30, paths="token")
    waits = []
    result = validate_with_retries(target, sleep=waits.append, deadline=time.monotonic() + 29)
    assert waits == []
    assert (result.ok, result.reason, result.transient, result.retry_after) == (
        False,
        "throttled",
        True,
        30,
    )
    result = validate_with_retries(
        target, sleep=waits.append, max_attempts=2, deadline=time.monotonic() + 35
    )
    assert waits == [30.0]  # within the deadline, Retry-After is honoured as before


def test_a_nightly_run_that_can_no_longer_read_the_expiry_lets_an_operator_enter_it(
    active_service, sandbox, actor
):
    """The bulk job applies the same rule as Validate Authentication: once Microsoft stops
    reporting the expiry (Application.Read.All withdrawn), the last known date stays but is no
    longer Microsoft's, so the date entered by hand is accepted."""
    service = active_service()
    run_all()
    connection = TenantConnection.objects.get(service=service)
    assert (connection.secret_expires_at, connection.secret_expiry_source) == (
        service.secret_end,
        "microsoft",
    )
    sandbox.admin.update_application(
        service.sandbox_tenant,
        service.sandbox_app,
        permissions=["Organization.Read.All", "User.ReadWrite.All", "Domain.ReadWrite.All"],
    )
    job = run_all()
    assert (job.ok, job.failed, job.errors) == (0, 1, 0)
    connection.refresh_from_db()
    assert (connection.secret_expires_at, connection.secret_expiry_source) == (
        service.secret_end,
        "",
    )
    entered = service.secret_end + timedelta(days=3)
    connection_set_expiry(actor=actor, service=service, expires_at=entered)
    connection.refresh_from_db()
    assert (connection.secret_expires_at, connection.secret_expiry_source) == (
        entered,
        "operator",
    )
