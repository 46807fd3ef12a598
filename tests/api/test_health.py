"""GET /health (bands, filters, CSV, pages, scope), POST /validations and GET /jobs/{id}
(progress of a job run inline against the sandbox), GET /services/{id}/alerts."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from onramp.accounts.models import Operator
from onramp.connections.expiry import Band, band_for
from onramp.connections.models import ValidationRun
from onramp.health.models import ValidationJob
from onramp.health.selectors import health_rows, in_band
from onramp.health.services import validation_job_run
from onramp.services.models import Service
from onramp.tenancy.models import Customer
from tests.api.helpers import csv_text, db_state, error, walk
from tests.factories import ServiceFactory
from tests.health.conftest import active_service  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db

HEADER = (
    "service_id,short_name,customer_id,ok,reason,validated_at,client_secret_expires_at,"
    "client_secret_days_until_expire,band\r\n"
)


def midnight(days: int = 0) -> datetime:
    return datetime.combine(timezone.now().date(), time.min, tzinfo=UTC) + timedelta(days=days)


def z(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def connected(customer, short: str, expires_at: datetime | None, **fields) -> Service:
    """A service with a tenant connection whose secret expires at ``expires_at``."""
    return ServiceFactory(
        connected=True, customer=customer, short_name=short, expires_at=expires_at, **fields
    )


def run(service: Service, *, ok: bool, reason: str = "", at: datetime | None = None) -> dict:
    checks = [
        {"name": "tenant", "ok": True, "message": "Found."},
        {"name": "permissions", "ok": ok, "message": "ok" if ok else "Missing: X."},
    ]
    ValidationRun.objects.create(
        service=service,
        trigger="manual",
        ok=ok,
        reason=reason,
        message="m",
        result={"checks": checks},
        validated_at=at or timezone.now(),
    )
    return checks[1]


@pytest.fixture
def fleet(customer, provider) -> dict[str, Service]:
    fabrikam = Customer.objects.create(provider=provider, name="Fabrikam")
    services = {
        "ok": connected(customer, "Svc-ok", midnight(100) + timedelta(hours=5)),
        "warning": connected(customer, "Svc-warn", midnight(10)),
        "critical": connected(fabrikam, "Svc-crit", midnight(3)),
        "expired": connected(customer, "Svc-exp", midnight(-2)),
        "unknown": connected(customer, "Svc-unk", None),
    }
    connected(customer, "Svc-wait", midnight(50), status="awaiting-authentication")
    return services


def test_every_active_service_with_its_health(api, fleet, customer):
    old = timezone.now() - timedelta(days=2)
    run(fleet["ok"], ok=False, reason="throttled", at=old)
    run(fleet["ok"], ok=True)
    failing = run(fleet["warning"], ok=False, reason="missing_permissions")
    body = api.get("/health").json()
    assert body["next"] is None
    rows = {row["short_name"]: row for row in body["items"]}
    assert [row["short_name"] for row in body["items"]] == [
        "Svc-unk", "Svc-exp", "Svc-crit", "Svc-warn", "Svc-ok"
    ]  # fmt: skip
    newest = ValidationRun.objects.filter(service=fleet["warning"]).get()
    assert rows["Svc-warn"] == {
        "service_id": str(fleet["warning"].pk),
        "short_name": "Svc-warn",
        "customer_id": str(customer.pk),
        "ok": False,
        "reason": "missing_permissions",
        "validated_at": z(newest.validated_at),
        "client_secret_expires_at": z(midnight(10)),
        "client_secret_days_until_expire": 10,
        "band": "warning",
        "failing_checks": [failing],
    }
    assert (rows["Svc-ok"]["ok"], rows["Svc-ok"]["reason"], rows["Svc-ok"]["band"]) == (
        True,
        None,
        "ok",
    )
    assert rows["Svc-ok"]["client_secret_days_until_expire"] == 100
    assert rows["Svc-crit"] == {
        **rows["Svc-crit"],
        "ok": None,
        "validated_at": None,
        "band": "critical",
        "client_secret_days_until_expire": 3,
        "failing_checks": [],
    }
    assert (rows["Svc-exp"]["band"], rows["Svc-exp"]["client_secret_days_until_expire"]) == (
        "expired",
        -2,
    )
    assert rows["Svc-unk"]["band"] == "unknown"
    assert rows["Svc-unk"]["client_secret_expires_at"] is None


def test_filters(api, fleet, customer):
    for band in Band.values:
        items = api.get("/health", {"band": band}).json()["items"]
        assert [row["service_id"] for row in items] == [str(fleet[band].pk)], band
    items = api.get("/health", {"customer_id": str(customer.pk), "band": "critical"}).json()
    assert items["items"] == []
    items = api.get("/health", {"customer_id": str(fleet["critical"].customer_id)}).json()
    assert [row["short_name"] for row in items["items"]] == ["Svc-crit"]
    assert error(api.get("/health", {"band": "purple"}))[:2] == (422, "invalid_input")
    assert error(api.get("/health", {"customer_id": "x"}))[:2] == (400, "malformed_request")


def test_the_band_filter_agrees_with_band_for_on_every_day(customer):
    today = timezone.now().date()
    services = {}
    for days in range(-3, 40):
        for hour in (0, 23):
            moment = midnight(days) + timedelta(hours=hour, minutes=59 * (hour > 0))
            services[connected(customer, f"D{days}h{hour}", moment).pk] = band_for(days)
    services[connected(customer, "None", None).pk] = "unknown"
    rows = health_rows(Operator(scope="system"))
    for band in Band.values:
        found = set(in_band(rows, band, today).values_list("pk", flat=True))
        assert found == {pk for pk, b in services.items() if b == band}, band


def test_csv_export(api, fleet, customer):
    failing = run(fleet["warning"], ok=False, reason="missing_permissions")
    assert failing
    newest = ValidationRun.objects.get()
    response = api.get("/health", {"format": "csv", "band": "warning", "limit": 1})
    assert response["Content-Disposition"] == 'attachment; filename="health.csv"'
    assert csv_text(response) == HEADER + (
        f"{fleet['warning'].pk},Svc-warn,{customer.pk},false,missing_permissions,"
        f"{z(newest.validated_at)},{z(midnight(10))},10,warning\r\n"
    )
    everything = csv_text(api.get("/health", {"format": "csv", "limit": 1})).splitlines()
    assert len(everything) == 6
    assert everything[1] == f"{fleet['unknown'].pk},Svc-unk,{customer.pk},,,,,,unknown"
    assert everything[2].endswith(f",{z(midnight(-2))},-2,expired")


def test_pages_and_a_constant_number_of_queries(api, customer):
    for n in range(30):
        service = connected(customer, f"S{n:03d}", midnight(n))
        run(service, ok=n % 2 == 0)
    pages = walk(api, "/health", limit=7)
    assert [len(p) for p in pages] == [7, 7, 7, 7, 2]
    assert len({row["service_id"] for page in pages for row in page}) == 30

    def count(**params) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api.get("/health", params).status_code == 200
        return len(queries)

    small = count(limit=2)
    assert count(limit=500) == small
    assert count(limit=500, band="ok") == small


def test_health_is_scoped(api, fleet, other_api, customer_api, customer):
    assert other_api.get("/health").json() == {"items": [], "next": None}
    names = {row["short_name"] for row in customer_api.get("/health").json()["items"]}
    assert names == {"Svc-ok", "Svc-warn", "Svc-exp", "Svc-unk"}


def job_body(**extra) -> dict:
    return {
        "kind": "validation",
        "status": "queued",
        "done": 0,
        "ok": 0,
        "failed": 0,
        "errors": 0,
        "started_at": None,
        "finished_at": None,
        **extra,
    }


def test_validations_cover_the_callers_scope(
    system_api, api, customer_api, fleet, customer, provider, other_provider
):
    response = system_api.post("/validations", {"scope": "all"})
    assert response.status_code == 202
    job = ValidationJob.objects.get(pk=response.json()["id"])
    assert response.json() == job_body(id=str(job.pk), total=5)
    assert (job.scope, job.scope_id, job.provider_id, job.created_by) == (
        "all",
        "",
        None,
        "root@onramp.example",
    )
    ours, theirs, fleet_of = str(provider.pk), str(other_provider.pk), str(customer.pk)
    expectations = [
        (api, {"scope": "all"}, ("provider", ours, 5)),
        (api, {"scope": "provider", "id": ours}, ("provider", ours, 5)),
        (api, {"scope": "customer", "id": fleet_of}, ("customer", fleet_of, 4)),
        (customer_api, {"scope": "customer", "id": fleet_of}, ("customer", fleet_of, 4)),
        (system_api, {"scope": "provider", "id": theirs}, ("provider", theirs, 0)),
    ]
    for caller, body, (scope, scope_id, total) in expectations:
        response = caller.post("/validations", body)
        assert response.status_code == 202, body
        job = ValidationJob.objects.get(pk=response.json()["id"])
        assert (job.scope, job.scope_id, job.total) == (scope, scope_id, total), body
        assert str(job.provider_id) == (theirs if scope_id == theirs else ours)
        assert response.json()["total"] == total
        job.status = "done"  # one unfinished job per scope: the next start of it waits for this
        job.save(update_fields=["status"])


def test_validation_requests_that_are_refused(
    api, monitor_api, channel_api, customer_api, other_api, customer, provider, other_customer
):
    whole_provider = "Your scope does not cover a whole provider: validate one customer at a time."
    before = db_state()
    forbidden = (403, "forbidden", None)

    def invalid(field: str, message: str) -> tuple:
        return (422, "invalid_input", {field: [message]})

    no_customer = invalid("id", "No such customer.")
    cases = [
        (monitor_api, {"scope": "all"}, forbidden),
        (channel_api, {"scope": "all"}, forbidden),
        (customer_api, {"scope": "all"}, forbidden),
        (channel_api, {"scope": "provider", "id": str(provider.pk)}, forbidden),
        (customer_api, {"scope": "provider", "id": str(provider.pk)}, forbidden),
        (api, {"scope": "customer", "id": str(other_customer.pk)}, no_customer),
        (api, {"scope": "customer", "id": "nope"}, no_customer),
        (other_api, {"scope": "customer", "id": str(customer.pk)}, no_customer),
        (
            api,
            {"scope": "provider", "id": str(other_customer.provider_id)},
            invalid("id", "No such provider."),
        ),
        (api, {"scope": "customer"}, invalid("id", "This field is required.")),
        (
            api,
            {"scope": "all", "id": str(provider.pk)},
            invalid("id", "Leave id out with scope all."),
        ),
        (
            api,
            {"scope": "planet"},
            invalid("scope", "Use one of: 'all', 'provider' or 'customer'."),
        ),
        (
            api,
            {"scope": "all", "id": 7},
            (400, "malformed_request", {"id": ["Input should be a valid string."]}),
        ),
    ]
    for caller, body, expected in cases:
        response = caller.post("/validations", body)
        assert error(response) == expected, body
        if expected[0] == 403 and caller is not monitor_api:
            assert response.json()["detail"] == whole_provider
    assert db_state() == before


def test_a_job_runs_and_reports_its_progress(api, active_service, sandbox):  # noqa: F811
    healthy = [active_service() for _ in range(3)]
    broken = active_service(permissions=["Organization.Read.All"])
    response = api.post("/validations", {"scope": "all"})
    job_id = response.json()["id"]
    assert response.json() == job_body(id=job_id, total=4)
    assert api.get(f"/jobs/{job_id}").json() == response.json()
    validation_job_run(job_id, concurrency=4)
    body = api.get(f"/jobs/{job_id}").json()
    job = ValidationJob.objects.get(pk=job_id)
    assert body == job_body(
        id=job_id,
        status="done",
        total=4,
        done=4,
        ok=3,
        failed=1,
        started_at=z(job.started_at),
        finished_at=z(job.finished_at),
    )
    rows = {row["short_name"]: row for row in api.get("/health").json()["items"]}
    assert all(rows[s.short_name]["ok"] for s in healthy)
    assert (rows[broken.short_name]["ok"], rows[broken.short_name]["reason"]) == (
        False,
        "missing_permissions",
    )


def test_jobs_are_scoped(api, channel_api, other_api, customer, channel, provider):
    in_channel = Customer.objects.create(provider=provider, channel=channel, name="Fabrikam")
    provider_job = api.post("/validations", {"scope": "all"}).json()["id"]
    channel_job = api.post("/validations", {"scope": "customer", "id": str(in_channel.pk)}).json()
    other_job = api.post("/validations", {"scope": "customer", "id": str(customer.pk)}).json()
    assert channel_api.get(f"/jobs/{channel_job['id']}").status_code == 200
    for caller, job_id in [
        (channel_api, provider_job),
        (channel_api, other_job["id"]),
        (other_api, provider_job),
        (api, "nope"),
    ]:
        assert error(caller.get(f"/jobs/{job_id}")) == (404, "not_found", None)


def test_alerts_of_a_service(api, active_service, operator, other_api, settings):  # noqa: F811
    settings.EXPIRY_ALERT_DAYS = [30, 14, 7, 1, 0]
    soon = active_service(expires_in=timedelta(days=10, hours=12))
    quiet = active_service()
    job = api.post("/validations", {"scope": "all"}).json()
    validation_job_run(job["id"], concurrency=2)
    body = api.get(f"/services/{soon.pk}/alerts").json()
    alert = soon.alerts.get()
    assert body == {
        "items": [
            {
                "kind": "expiry",
                "threshold_days": 14,
                "sent_at": z(alert.sent_at),
                "recipients": ["ops@northwind.example"],
            }
        ],
        "next": None,
    }
    assert api.get(f"/services/{quiet.pk}/alerts").json() == {"items": [], "next": None}
    assert error(other_api.get(f"/services/{soon.pk}/alerts")) == (404, "not_found", None)


def test_the_job_is_handed_to_the_workers_once_committed(
    api, fleet, django_capture_on_commit_callbacks
):
    from django_q.models import OrmQ
    from django_q.signing import SignedPackage

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job_id = api.post("/validations", {"scope": "all"}).json()["id"]
    assert OrmQ.objects.count() == 0  # nothing before the commit
    for callback in callbacks:
        callback()
    tasks = [SignedPackage.loads(row.payload) for row in OrmQ.objects.all()]
    assert [(t["func"], t["args"][0]) for t in tasks] == [
        ("onramp.health.tasks.run_validation_batch", job_id)
    ]
    assert sorted(tasks[0]["args"][1]) == sorted(str(s.pk) for s in fleet.values())
