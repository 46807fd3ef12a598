"""Failed sign-ins are counted per (email, address): a stranger guessing an operator's
password locks out only its own address, while the email as a whole is slowed down (one
failure a minute) so guessing from many addresses stays slow."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from onramp.audit.models import AuditEvent
from onramp.core.models import RateLimitBucket
from tests.conftest import PASSWORD
from tests.pages.helpers import visible_text
from tests.signin import fresh_code, totp_device

pytestmark = pytest.mark.django_db

STRANGER, OWNER = "203.0.113.7", "198.51.100.4"
NINE = datetime(2030, 1, 7, 9, 0, 5, tzinfo=UTC)  # 5 s into a 15-minute window


def password_step(client: Client, email: str, password: str):
    return client.post("/login", {"username": email, "password": password})


def buckets() -> dict[str, int]:
    return dict(RateLimitBucket.objects.values_list("key", "count"))


def test_a_stranger_cannot_lock_the_owner_out(clock, operator):
    clock.set(NINE)
    device = totp_device(operator)
    stranger, owner = Client(REMOTE_ADDR=STRANGER), Client(REMOTE_ADDR=OWNER)
    for _ in range(5):
        assert password_step(stranger, operator.email, "wrong").status_code == 200
    counted = {
        f"login:pair:{operator.email}|{STRANGER}": 5,
        f"login:client:{STRANGER}": 5,
        f"login:email:{operator.email}": 5,
        f"login:email-slow:{operator.email}": 5,
    }
    assert buckets() == counted

    # The stranger's address is locked for this email: not even the right password is checked.
    response = password_step(stranger, operator.email, PASSWORD)
    assert response.status_code == 429
    assert "Too many failed sign-ins. Try again in 15 minutes." in visible_text(response)
    # The email is slowed down for everyone until the next minute...
    response = password_step(owner, operator.email, PASSWORD)
    assert response.status_code == 429
    assert "Too many failed sign-ins. Try again in 1 minute." in visible_text(response)
    assert "_auth_user_id" not in owner.session
    assert buckets() == counted
    assert AuditEvent.objects.filter(action="login.failed").count() == 5

    # ...then the owner signs in from its own address, password and code.
    clock.advance(timedelta(seconds=55))
    response = password_step(owner, operator.email, PASSWORD)
    assert (response.status_code, response.url) == (302, "/login/code?next=%2Fservices%2F")
    response = owner.post(response.url, {"code": fresh_code(device), "next": "/services/"})
    assert (response.status_code, response.url) == (302, "/services/")
    assert owner.get("/services/").status_code == 200
    assert AuditEvent.objects.filter(action="login.succeeded").count() == 1
    # The stranger's address stays locked for the rest of the window.
    assert password_step(stranger, operator.email, PASSWORD).status_code == 429
    assert buckets() == counted


def test_guessing_from_many_addresses_is_slowed_to_one_failure_a_minute(clock, operator):
    clock.set(NINE)
    for n in range(5):
        guesser = Client(REMOTE_ADDR=f"203.0.113.{n + 10}")
        assert password_step(guesser, operator.email, "wrong").status_code == 200
    fresh = Client(REMOTE_ADDR="203.0.113.99")
    response = password_step(fresh, operator.email, "wrong")
    assert response.status_code == 429
    assert "Try again in 1 minute." in visible_text(response)
    assert buckets()[f"login:email:{operator.email}"] == 5
    clock.advance(timedelta(minutes=1))
    assert password_step(fresh, operator.email, "wrong").status_code == 200
    # One failure in this minute: the next guess, from yet another address, waits again.
    other = Client(REMOTE_ADDR="203.0.113.100")
    assert password_step(other, operator.email, "wrong").status_code == 429
    assert buckets()[f"login:email:{operator.email}"] == 6
    assert AuditEvent.objects.filter(action="login.failed").count() == 6
