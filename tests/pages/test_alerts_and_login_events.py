"""Alerts on M365 Configuration; sign-in events in the audit trail and failed sign-ins throttled."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from onramp.accounts.models import Operator
from onramp.audit.models import AuditEvent
from onramp.core.models import RateLimitBucket
from onramp.health.models import Alert
from tests.conftest import PASSWORD
from tests.pages.helpers import page_text, visible_text
from tests.signin import fresh_code, totp_device

pytestmark = pytest.mark.django_db

THROTTLED = re.compile(r"Too many failed sign-ins\. Try again in (\d+) minutes?\.")


# --- alerts -----------------------------------------------------------------------------------


def test_m365_page_without_alerts(ops, active_service):
    text = visible_text(ops.get(f"/services/{active_service.pk}/m365/"))
    assert "Alerts No alerts sent." in text


def test_m365_page_lists_the_alerts_sent(ops, active_service):
    sent = timezone.now() - timedelta(days=2)
    Alert.objects.create(
        service=active_service,
        kind="expiry",
        threshold_days=7,
        dedupe_key="expiry:7:abc:2030-01-01",
        sent_at=sent,
        recipients=["ops@northwind.example", "admin@contoso.example"],
    )
    Alert.objects.create(
        service=active_service,
        kind="failure",
        dedupe_key="failure:1",
        sent_at=timezone.now(),
        recipients=["ops@northwind.example"],
    )
    response = ops.get(f"/services/{active_service.pk}/m365/")
    text = visible_text(response)
    assert (
        "Alerts Kind Threshold (days) Sent Recipients "
        "Validation failed — just now ops@northwind.example "
        "Secret expiry 7 2 days ago ops@northwind.example, admin@contoso.example"
    ) in text
    assert "No alerts sent" not in text


# --- sign-in events ---------------------------------------------------------------------------


def sign_in(client, email, password, **extra):
    return client.post("/login", {"username": email, "password": password}, **extra)


def no_password_anywhere(*passwords):
    for row in AuditEvent.objects.values():
        for password in passwords:
            assert password not in repr(row)


def test_success_is_recorded_once_the_code_is_given(client, operator):
    device = totp_device(operator)
    response = sign_in(client, "OPS@northwind.example", PASSWORD)
    assert response.status_code == 302
    assert AuditEvent.objects.count() == 0  # the password alone is not a sign-in
    assert client.post(response.url, {"code": fresh_code(device)}).status_code == 302
    event = AuditEvent.objects.get()
    assert (
        event.action,
        event.actor_type,
        event.actor_id,
        event.actor_label,
        event.target_type,
        event.target_id,
        event.target_label,
        event.provider_id,
        event.customer_id,
        event.changes,
        event.client_ip,
    ) == (
        "login.succeeded",
        "operator",
        str(operator.pk),
        "ops@northwind.example",
        "operator",
        str(operator.pk),
        "ops@northwind.example",
        operator.provider_id,
        None,
        {"new": {"second_factor": "app"}},
        "127.0.0.1",
    )
    assert event.request_id
    no_password_anywhere(PASSWORD)


def test_wrong_password_and_unknown_email_are_recorded(client, operator):
    assert sign_in(client, "ops@northwind.example", "not-the-password").status_code == 200
    assert sign_in(client, "Nobody@Northwind.example", "guess-123").status_code == 200
    known, unknown = AuditEvent.objects.order_by("pk")
    assert [
        (e.action, e.actor_type, e.actor_id, e.actor_label, e.target_type, e.target_id)
        for e in (known, unknown)
    ] == [
        ("login.failed", "anonymous", "", "ops@northwind.example", "operator", str(operator.pk)),
        ("login.failed", "anonymous", "", "nobody@northwind.example", "operator", ""),
    ]
    assert (known.target_label, known.provider_id, known.changes) == (
        "ops@northwind.example",
        operator.provider_id,
        {},
    )
    assert (unknown.target_label, unknown.provider_id) == ("nobody@northwind.example", None)
    no_password_anywhere("not-the-password", "guess-123")


def test_form_errors_are_not_sign_in_attempts(client, operator):
    assert sign_in(client, "", "").status_code == 200
    assert sign_in(client, "not an email", "x").status_code == 200
    assert AuditEvent.objects.count() == 0
    assert RateLimitBucket.objects.count() == 0


def test_an_over_long_email_is_not_an_attempt(client, operator):
    email = "a" * 300 + "@northwind.example"
    sign_in(client, email, "x")
    # The form refuses an email over 254 characters: nothing is attempted, nothing recorded.
    assert AuditEvent.objects.count() == 0


def test_sixth_failure_for_an_email_is_refused_even_with_the_right_password(client, operator):
    for _ in range(5):
        response = sign_in(client, operator.email, "wrong")
        assert response.status_code == 200
        assert "Email or password is incorrect" in visible_text(response)
    buckets = dict(RateLimitBucket.objects.values_list("key", "count"))
    assert buckets == {
        "login:pair:ops@northwind.example|127.0.0.1": 5,
        "login:client:127.0.0.1": 5,
        "login:email:ops@northwind.example": 5,
        "login:email-slow:ops@northwind.example": 5,
    }
    events = AuditEvent.objects.count()
    assert events == 5

    response = sign_in(client, operator.email, PASSWORD)
    assert response.status_code == 429
    text = visible_text(response)
    minutes = int(THROTTLED.search(text).group(1))
    assert 1 <= minutes <= 15
    assert "Email or password is incorrect" not in text
    assert PASSWORD not in page_text(response)
    assert "_auth_user_id" not in client.session
    assert client.get("/services/").status_code == 302
    # Nothing counted, nothing recorded: not a success, not another failure.
    assert dict(RateLimitBucket.objects.values_list("key", "count")) == buckets
    assert AuditEvent.objects.count() == events
    assert not AuditEvent.objects.filter(action="login.succeeded").exists()
    no_password_anywhere(PASSWORD, "wrong")

    # Another operator from another address is not affected.
    other = Operator.objects.create_user(
        "second@northwind.example",
        PASSWORD,
        role="operator",
        scope="provider",
        provider=operator.provider,
    )
    fresh = Client(REMOTE_ADDR="10.0.0.9")
    assert sign_in(fresh, other.email, PASSWORD).status_code == 302


def test_twenty_failures_from_one_address_lock_it(client, operator):
    for n in range(20):
        assert sign_in(client, f"user{n // 4}@northwind.example", "wrong").status_code == 200
    response = sign_in(client, operator.email, PASSWORD)
    assert response.status_code == 429
    assert THROTTLED.search(visible_text(response))
    assert AuditEvent.objects.filter(action="login.failed").count() == 20
    assert not AuditEvent.objects.filter(action="login.succeeded").exists()
    # The same operator from elsewhere still signs in.
    assert sign_in(Client(REMOTE_ADDR="10.0.0.9"), operator.email, PASSWORD).status_code == 302
