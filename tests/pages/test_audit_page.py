"""Audit: scoped events newest first, filters, pagination, CSV; read-only, monitors may see it."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from onramp.audit.models import AuditEvent
from onramp.audit.services import AuditTarget, audit_record
from onramp.core.actors import Actor
from tests.pages.helpers import page_text, visible_text
from tests.signin import sign_in

pytestmark = pytest.mark.django_db


def rows(response) -> int:
    return page_text(response).count("<tr") - 1


@pytest.fixture
def events(operator, provider, customer, other_customer):
    """Two events of our provider (one older) and one of another provider."""
    audit_record(
        actor=Actor.system(),
        action="keys.rotated",
        target=AuditTarget("keys", "k-1", "encryption keys"),
        provider_id=provider.pk,
    )
    AuditEvent.objects.create(
        created_at=timezone.now() - timedelta(days=3),
        actor_type="admin",
        actor_label="customer admin (invitation link)",
        provider_id=provider.pk,
        customer_id=customer.pk,
        action="invitation.authenticated",
        target_type="invitation",
        target_id="9f1c",
        target_label="admin@contoso.example",
        changes={"new": {"device_authenticated": True}},
    )
    newest = audit_record(
        actor=Actor.for_operator(operator),
        action="service.activated",
        target=AuditTarget("service", "5d2a", "Contoso-01"),
        provider_id=provider.pk,
        customer_id=customer.pk,
        old={"status": "awaiting-authentication"},
        new={"status": "active", "password": "hunter2"},
    )
    audit_record(
        actor=Actor.system(),
        action="service.created",
        target=AuditTarget("service", "7777", "Tailspin-01"),
        provider_id=other_customer.provider_id,
        customer_id=other_customer.pk,
    )
    return newest


def test_empty_state(ops):
    text = visible_text(ops.get("/audit/"))
    assert "No events yet" in text


def test_rows_newest_first_with_exact_content(ops, events):
    response = ops.get("/audit/")
    assert response.status_code == 200
    text = visible_text(response)
    assert rows(response) == 3
    assert (
        "just now ops@northwind.example operator service.activated service Contoso-01 5d2a "
        "status : awaiting-authentication → active"
    ) in text
    assert "just now Onramp system keys.rotated keys encryption keys k-1 —" in text
    assert (
        "3 days ago customer admin (invitation link) customer admin invitation.authenticated "
        "invitation admin@contoso.example 9f1c device_authenticated : true"
    ) in text
    html = page_text(response)
    shown = ["service.activated", "keys.rotated", "invitation.authenticated"]
    assert sorted(shown, key=lambda a: html.index(f"<code>{a}</code>")) == shown
    assert "Tailspin-01" not in text and "hunter2" not in page_text(response)
    exact = events.created_at.strftime("%Y-%m-%d %H:%M:%S")
    assert f'title="{exact} UTC"' in page_text(response)
    assert (
        'aria-current="page"><span class="sidenav__icon" aria-hidden="true">&#9776;</span>Audit'
        in (response.content.decode())
    )


def test_filters(ops, events):
    assert rows(ops.get("/audit/?action=keys.rotated")) == 1
    assert rows(ops.get("/audit/?target_type=service")) == 1
    assert rows(ops.get("/audit/?target_id=9f1c")) == 1
    since = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%d")
    assert rows(ops.get(f"/audit/?since={since}")) == 2
    assert "No events match these filters" in visible_text(
        ops.get("/audit/?target_type=service&action=keys.rotated")
    )
    wrong = ops.get("/audit/?since=yesterday")
    assert "Enter a date as YYYY-MM-DD." in visible_text(wrong)
    assert rows(wrong) == 3  # a malformed filter is shown, not applied
    assert "Tailspin-01" not in page_text(ops.get("/audit/?target_id=7777"))


def test_csv_export(ops, events, operator):
    response = ops.get("/audit/?format=csv&target_type=service")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="audit-events.csv"'
    table = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert table == [
        [
            "created_at",
            "actor_type",
            "actor_id",
            "actor_label",
            "action",
            "target_type",
            "target_id",
            "target_label",
            "changes",
        ],
        [
            events.created_at.isoformat(),
            "operator",
            str(operator.pk),
            "ops@northwind.example",
            "service.activated",
            "service",
            "5d2a",
            "Contoso-01",
            '{"new": {"status": "active"}, "old": {"status": "awaiting-authentication"}}',
        ],
    ]
    everything = b"".join(ops.get("/audit/?format=csv").streaming_content).decode()
    assert len(list(csv.reader(io.StringIO(everything)))) == 4
    assert "Tailspin-01" not in everything


def test_paginates_by_fifty(ops, provider):
    for n in range(51):
        audit_record(
            actor=Actor.system(),
            action="keys.rotated",
            target=AuditTarget("keys", str(n), "keys"),
            provider_id=provider.pk,
        )
    first = ops.get("/audit/")
    assert rows(first) == 50
    assert "1\u201350 of 51" in visible_text(first)
    assert rows(ops.get("/audit/?page=2")) == 1


def test_monitor_can_read_it_and_nothing_can_write(monitor_client, events):
    assert rows(monitor_client.get("/audit/")) == 3
    before = AuditEvent.objects.count()
    assert monitor_client.post("/audit/").status_code == 405
    assert AuditEvent.objects.count() == before


def test_another_provider_sees_only_its_own(client, other_operator, events):
    sign_in(client, other_operator)
    response = client.get("/audit/")
    assert rows(response) == 1
    assert "Tailspin-01" in page_text(response)
    assert "Contoso-01" not in page_text(response)


def test_requires_sign_in(client):
    assert client.get("/audit/").url == "/login?next=/audit/"
    assert client.get("/health/").url == "/login?next=/health/"
