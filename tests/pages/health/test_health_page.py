"""Connection health: rows, bands, filters, sorting, CSV, scoping, Validate all and its job."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from onramp.connections.models import TenantConnection, ValidationRun
from onramp.core import short_names
from onramp.health.models import ValidationJob
from onramp.health.services import validation_job_create, validation_job_run
from onramp.services.models import Service
from tests.pages.helpers import page_text, visible_text
from tests.signin import sign_in

pytestmark = pytest.mark.django_db

NO_PERMISSIONS = (
    "The application lacks these Microsoft Graph application permissions: "
    "Organization.Read.All, Application.Read.All, User.ReadWrite.All, Domain.ReadWrite.All. "
    "Add them under API permissions and grant admin consent. If you granted consent a moment "
    "ago, try again in a few minutes."
)


def rows(response) -> int:
    return page_text(response).count("<tr") - 1


def positions(response) -> list[str]:
    text = page_text(response)
    found = [n for n in ("svc-ok", "svc-soon", "svc-bad") if f">{n}</a>" in text]
    return sorted(found, key=lambda n: text.index(f">{n}</a>"))


def run_all():
    job = validation_job_create(scope="all")
    return validation_job_run(job.pk, concurrency=4)


@pytest.fixture
def three(active_service):
    """svc-ok (180 days), svc-soon (5 days left), svc-bad (no permissions: expiry unknown)."""
    return (
        active_service(name="svc-ok"),
        active_service(name="svc-soon", expires_in=timedelta(days=5, hours=12)),
        active_service(name="svc-bad", permissions=[]),
    )


@pytest.fixture
def elsewhere(active_service, other_customer):
    """An active service of another provider (Fabrikam Telecom's customer)."""
    service = active_service(name="svc-other")
    Service.objects.filter(pk=service.pk).update(
        provider=other_customer.provider, customer=other_customer
    )
    service.refresh_from_db()
    return service


def test_empty_state(ops):
    response = ops.get("/health/")
    text = visible_text(response)
    assert "No active services yet" in text
    assert "A service shows here once its tenant connection is added." in text


def test_rows_before_any_validation(ops, three):
    response = ops.get("/health/")
    assert response.status_code == 200
    text = visible_text(response)
    assert rows(response) == 3
    for name in ("svc-ok", "svc-soon", "svc-bad"):
        assert f"{name} Contoso Ltd Not validated yet Unknown None" in text
    assert "1\u20133 of 3" in text


def test_rows_after_validation(ops, three):
    run_all()
    response = ops.get("/health/")
    text = visible_text(response)
    assert "svc-ok Contoso Ltd OK just now 180 OK None" in text
    assert "svc-soon Contoso Ltd OK just now 5 Critical None" in text
    assert (
        "svc-bad Contoso Ltd Failed just now missing_permissions Unknown permissions "
        + NO_PERMISSIONS
    ) in text
    html = page_text(response)
    assert f'<li title="{NO_PERMISSIONS}"><span class="failing__name">permissions</span>' in html
    assert 'data-status="critical"' in html and 'data-status="failed"' in html
    # Default sort: fewest days first, unknown last.
    assert positions(response) == ["svc-soon", "svc-ok", "svc-bad"]


def test_bands_customer_filter_and_sorting(ops, three, provider):
    run_all()
    from onramp.tenancy.models import Customer

    fabrikam = Customer.objects.create(provider=provider, name="Fabrikam Inc")
    assert positions(ops.get("/health/?band=critical")) == ["svc-soon"]
    assert positions(ops.get("/health/?band=ok")) == ["svc-ok"]
    assert positions(ops.get("/health/?band=unknown")) == ["svc-bad"]
    assert "No active services match these filters" in visible_text(
        ops.get("/health/?band=expired")
    )
    assert "No active services match these filters" in visible_text(
        ops.get(f"/health/?customer={fabrikam.pk}")
    )
    assert rows(ops.get("/health/?band=nonsense&customer=zzz")) == 3
    assert positions(ops.get("/health/?sort=short_name")) == ["svc-bad", "svc-ok", "svc-soon"]
    assert positions(ops.get("/health/?sort=-short_name")) == ["svc-soon", "svc-ok", "svc-bad"]
    assert positions(ops.get("/health/?sort=-days")) == ["svc-ok", "svc-soon", "svc-bad"]
    ok = three[0]
    ValidationRun.objects.filter(service=ok).update(validated_at=timezone.now() - timedelta(days=2))
    assert positions(ops.get("/health/?sort=validated"))[0] == "svc-ok"
    assert positions(ops.get("/health/?sort=-validated"))[-1] == "svc-ok"


def test_csv_export_has_the_page_columns(ops, three):
    run_all()
    response = ops.get("/health/?format=csv&band=critical")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="connection-health.csv"'
    table = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    soon_connection = TenantConnection.objects.get(service__short_name="svc-soon")
    run = ValidationRun.objects.get(service__short_name="svc-soon")
    assert table == [
        [
            "short_name",
            "customer",
            "ok",
            "reason",
            "validated_at",
            "client_secret_expires_at",
            "client_secret_days_until_expire",
            "band",
            "failing_checks",
        ],
        [
            "svc-soon",
            "Contoso Ltd",
            "true",
            "",
            run.validated_at.isoformat(),
            soon_connection.secret_expires_at.isoformat(),
            "5",
            "critical",
            "",
        ],
    ]
    everything = b"".join(ops.get("/health/?format=csv").streaming_content).decode()
    rows_ = list(csv.reader(io.StringIO(everything)))
    assert [r[0] for r in rows_[1:]] == ["svc-soon", "svc-ok", "svc-bad"]
    assert rows_[3][2:4] == ["false", "missing_permissions"]
    assert rows_[3][6:] == ["", "unknown", "permissions; organization; secret_expiry"]


def test_other_providers_services_and_jobs_are_out_of_scope(ops, three, elsewhere):
    run_all()
    response = ops.get("/health/")
    assert rows(response) == 3
    assert "svc-other" not in page_text(response)
    csv_text = b"".join(ops.get("/health/?format=csv").streaming_content).decode()
    assert "svc-other" not in csv_text
    theirs = validation_job_create(
        scope="provider",
        scope_id=str(elsewhere.provider_id),
        provider_id=elsewhere.provider_id,
        created_by="ops@fabrikam.example",
    )
    assert ops.get(f"/health/jobs/{theirs.pk}/").status_code == 404
    assert ops.get("/health/jobs/not-a-uuid/").status_code == 404


def test_validate_all_creates_a_provider_job_and_shows_its_progress(
    ops, operator, three, elsewhere
):
    response = ops.post("/health/validate/")
    job = ValidationJob.objects.get()
    assert response.status_code == 302
    assert response.url == f"/health/jobs/{job.pk}/"
    assert (job.scope, job.scope_id, job.provider_id, job.created_by, job.total, job.status) == (
        "provider",
        str(operator.provider_id),
        operator.provider_id,
        "ops@northwind.example",
        3,
        "queued",
    )
    queued = ops.get(response.url)
    assert queued.status_code == 200
    assert '<meta http-equiv="refresh" content="2">' in page_text(queued)
    text = visible_text(queued)
    assert "Re-validates every active service of the provider with Microsoft." in text
    assert "Queued 0 of 3 validated" in text
    assert '<progress id="job-progress" class="progress" max="3" value="0">0%</progress>' in (
        page_text(queued)
    )

    validation_job_run(job.pk, concurrency=4)
    done = ops.get(response.url)
    assert '<meta http-equiv="refresh"' not in page_text(done)
    text = visible_text(done)
    assert (
        "Done 3 of 3 validated 100% 2 OK 1 Failed (a check failed) "
        "0 Errors (no answer from Microsoft) Finished just now."
    ) in text
    assert '<progress id="job-progress" class="progress" max="3" value="3">100%</progress>' in (
        page_text(done)
    )
    assert ValidationRun.objects.filter(service=elsewhere).count() == 0


def test_validate_one_customer(ops, customer, three):
    response = ops.post("/health/validate/", {"customer": str(customer.pk)})
    job = ValidationJob.objects.get()
    assert (job.scope, job.scope_id, job.total) == ("customer", str(customer.pk), 3)
    assert "Re-validates the services of Contoso Ltd with Microsoft." in visible_text(
        ops.get(response.url)
    )


def test_validate_another_providers_customer_is_not_found(ops, other_customer):
    response = ops.post("/health/validate/", {"customer": str(other_customer.pk)})
    assert response.status_code == 404
    assert ValidationJob.objects.count() == 0


def test_monitor_sees_health_but_cannot_validate_all(monitor_client, three):
    page = monitor_client.get("/health/")
    assert page.status_code == 200
    assert "Validate all" not in page_text(page)
    response = monitor_client.post("/health/validate/")
    assert response.status_code == 403
    assert "Your role does not allow this action." in visible_text(response)
    assert ValidationJob.objects.count() == 0


def test_validate_all_is_post_only(ops):
    assert ops.get("/health/validate/").status_code == 405
    assert ValidationJob.objects.count() == 0


def test_system_operator_validates_everything(client, three, elsewhere):
    from onramp.accounts.models import Operator

    admin = Operator.objects.create_user(
        "root@onramp.example", "x" * 16, role="admin", scope="system"
    )
    sign_in(client, admin)
    response = client.post("/health/validate/")
    job = ValidationJob.objects.get()
    assert (job.scope, job.scope_id, job.provider_id, job.total) == ("all", "", None, 4)
    assert response.url == f"/health/jobs/{job.pk}/"
    assert rows(client.get("/health/")) == 4


def quick_services(customer, count: int, start: int = 0) -> None:
    """Active services with a connection and a run, straight in the database (no Microsoft)."""
    now = timezone.now()
    for n in range(start, start + count):
        name = f"q-{n:03d}"
        service = Service.objects.create(
            provider=customer.provider,
            customer=customer,
            short_name=name,
            short_name_key=short_names.short_name_key(name),
            full_name=name,
            license_type="hosted-pro",
            licensed_users=5,
            status="active",
            activated_at=now,
        )
        TenantConnection.objects.create(
            service=service,
            tenant_id=f"00000000-0000-0000-0000-{n:012d}",
            client_id=f"10000000-0000-0000-0000-{n:012d}",
            secret_sealed="x",
            secret_key_id="k",
            secret_hint="abc",
            authenticated_by="admin@example.test",
            authenticated_at=now,
            secret_expires_at=now + timedelta(days=n),
        )
        ValidationRun.objects.create(
            service=service,
            trigger="manual",
            ok=n % 2 == 0,
            reason="" if n % 2 == 0 else "missing_permissions",
            message="m",
            result={"checks": [{"name": "permissions", "ok": n % 2 == 0, "message": "m"}]},
            validated_at=now,
        )


def test_query_count_does_not_grow_with_the_rows(ops, customer):
    quick_services(customer, 5)
    ops.get("/health/")  # warm the session and the caches
    with CaptureQueriesContext(connection) as five:
        assert rows(ops.get("/health/")) == 5
    quick_services(customer, 45, start=5)
    with CaptureQueriesContext(connection) as fifty:
        assert rows(ops.get("/health/")) == 50
    assert len(fifty) == len(five)
