"""The emailed set-up link: password and authenticator app in one form, usable once; unknown,
expired and used links read the same and change nothing; attempts are rate-limited."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken

from onramp.accounts.models import AuthenticatorApp, Operator, OperatorSetup
from onramp.accounts.services import operator_invite
from onramp.audit.models import AuditEvent
from onramp.core.actors import Actor
from onramp.core.logging import mask_invitation_tokens
from onramp.core.models import RateLimitBucket
from onramp.core.tokens import new_token, token_hash
from onramp.notifications.models import OutboxMessage
from onramp.notifications.services import outbox_deliver
from tests.pages.helpers import field_errors, visible_text
from tests.signin import totp_code

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a long and unusual passphrase 7"
UNUSABLE = (
    "This set-up link cannot be used: it is unknown, has expired or was used already. "
    "Ask your administrator to invite you again."
)
WRONG = "The code is incorrect or has already been used."


@pytest.fixture
def invited(provider, settings, smtp_settings, smtp_server):
    """An operator invited by an admin; the link as it arrived over SMTP."""
    settings.PUBLIC_URL = "http://testserver"
    admin = Operator.objects.create_user(
        "admin@northwind.example", None, role="admin", scope="provider", provider=provider
    )
    new = operator_invite(
        actor=Actor.for_operator(admin),
        email="new@northwind.example",
        role="operator",
        scope=f"provider:{provider.pk}",
    )
    assert outbox_deliver(str(OutboxMessage.objects.get().pk)) == "sent"
    text = smtp_server.messages[0].get_payload()[0].get_payload(decode=True).decode()
    link = re.search(r"http://testserver(/setup/\S+)", text).group(1)
    return new, link


def form(password: str, again: str | None = None, code: str = "1") -> dict[str, str]:
    return {
        "new_password": password,
        "new_password_again": password if again is None else again,
        "code": code,
    }


def key_of(response) -> bytes:
    return AuthenticatorApp.objects.get(confirmed=False).bin_key


def state(operator) -> tuple:
    operator.refresh_from_db()
    return (
        operator.has_usable_password(),
        list(OperatorSetup.objects.values_list("used_at", flat=True)),
        list(AuthenticatorApp.objects.filter(confirmed=True).values_list("pk", flat=True)),
        StaticToken.objects.count(),
        AuditEvent.objects.filter(action__in=["operator.changed", "login.succeeded"]).count(),
    )


def test_the_emailed_link_sets_password_and_app_and_signs_in(client, invited):
    new, link = invited
    page = client.get(link)
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    text = visible_text(page)
    assert (
        "Set up your account new@northwind.example · Operator · Provider: Northwind Voice" in text
    )
    assert "Add Onramp to your authenticator app" in text
    key = key_of(page)
    unchanged = state(new)
    assert unchanged == (False, [None], [], 0, 0)

    # Bad input: each error next to its field, nothing changed, the same key kept.
    cases = [
        (
            form(NEW_PASSWORD, "something else"),
            "new_password_again",
            ["The two passwords do not match."],
        ),
        (
            form("short"),
            "new_password",
            ["This password is too short. It must contain at least 12 characters."],
        ),
        (form("493817264501937"), "new_password", ["This password is entirely numeric."]),
        (form(NEW_PASSWORD, code="000000"), "code", [WRONG]),
        (form(NEW_PASSWORD, code=""), "code", ["Enter the code from your authenticator app."]),
    ]
    for data, field, messages in cases:
        response = client.post(link, data)
        assert response.status_code == 422, data
        assert field_errors(response, field) == messages, data
        assert NEW_PASSWORD not in response.content.decode()
        assert state(new) == unchanged
        assert key_of(response) == key
    assert client.get("/services/").status_code == 302  # not signed in

    done = client.post(
        link,
        {"new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD, "code": totp_code(key)},
    )
    assert done.status_code == 200
    assert "Your second factor is set up" in visible_text(done)
    codes = re.findall(r'<li><code class="mono">(\w+)</code></li>', done.content.decode())
    assert len(codes) == 10
    new.refresh_from_db()
    assert new.check_password(NEW_PASSWORD)
    setup = OperatorSetup.objects.get()
    assert setup.used_at is not None
    assert AuthenticatorApp.objects.get().confirmed
    assert client.get("/services/").status_code == 200  # signed in, second factor verified
    rows = AuditEvent.objects.filter(target_id=str(new.pk)).order_by("pk")
    assert [(e.action, e.actor_label, e.changes) for e in rows] == [
        (
            "operator.created",
            "admin@northwind.example",
            {
                "new": {
                    "email": "new@northwind.example",
                    "role": "operator",
                    "scope": f"provider:{new.provider_id}",
                }
            },
        ),
        (
            "operator.changed",
            "new@northwind.example",
            {"new": {"password_set": True, "second_factor": "enrolled", "setup_link": "used"}},
        ),
        ("login.succeeded", "new@northwind.example", {"new": {"second_factor": "enrolled"}}),
    ]
    token = link.rsplit("/", 1)[1]
    for event in AuditEvent.objects.all():
        assert token not in repr(event.changes) and NEW_PASSWORD not in repr(event.changes)

    # Used: the link is dead, and says so like any other dead link.
    client.logout()
    again = client.post(
        link,
        {
            "new_password": "another fine passphrase 8",
            "new_password_again": "another fine passphrase 8",
            "code": totp_code(key),
        },
    )
    assert again.status_code == 404
    assert UNUSABLE in visible_text(again)
    new.refresh_from_db()
    assert new.check_password(NEW_PASSWORD)


@pytest.mark.parametrize("kind", ["unknown", "expired", "used", "deactivated"])
def test_dead_links_read_the_same_and_change_nothing(client, invited, kind):
    new, link = invited
    setup = OperatorSetup.objects.get()
    if kind == "unknown":
        link = f"/setup/{new_token()}"
    elif kind == "expired":
        OperatorSetup.objects.filter(pk=setup.pk).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
    elif kind == "used":
        OperatorSetup.objects.filter(pk=setup.pk).update(used_at=timezone.now())
    else:
        Operator.objects.filter(pk=new.pk).update(is_active=False)
    before = state(new)
    for response in (
        client.get(link),
        client.post(
            link,
            {"new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD, "code": "123456"},
        ),
    ):
        assert response.status_code == 404
        assert visible_text(response).count(UNUSABLE) == 1
        assert "new@northwind.example" not in response.content.decode()
    assert state(new) == before
    assert AuthenticatorApp.objects.count() == 0  # not even a key was made


def test_set_up_attempts_are_rate_limited_per_link(client, invited, settings):
    settings.WIZARD_RATE_LIMITS = "10/10m per link, 30/10m per client"
    new, link = invited
    for _ in range(10):
        assert client.post(link, {"code": "1"}).status_code == 422
    response = client.post(link, {"code": "1"})
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 600
    assert "Too many failed sign-ins. Try again in" in visible_text(response)
    assert state(new) == (False, [None], [], 0, 0)


def too_many_fields(client: Client, path: str):
    return client.post(path, {f"field{n}": "x" for n in range(1001)})


def too_large_body(client: Client, path: str):
    return client.post(path, {"new_password": "x" * (2_621_440 + 1)})


def declared_too_large(client: Client, path: str):
    """Only the Content-Length says so: the test client fails if anything reads past the body."""
    return client.post(
        path, "a=1", content_type="application/x-www-form-urlencoded", CONTENT_LENGTH="2621441"
    )


@pytest.mark.parametrize(
    ("send", "status", "title", "message"),
    [
        (
            too_many_fields,
            400,
            "This form could not be read",
            "The form sent holds more fields than this page sends. Open the link again.",
        ),
        (
            too_large_body,
            413,
            "This form is too large",
            "The form sent is larger than this page sends. Open the link again.",
        ),
        (
            declared_too_large,
            413,
            "This form is too large",
            "The form sent is larger than this page sends. Open the link again.",
        ),
    ],
)
def test_an_oversized_set_up_post_is_refused_counted_and_changes_nothing(
    invited, settings, caplog, send, status, title, message
):
    settings.WIZARD_RATE_LIMITS = "5/10m per link, 30/10m per client"
    new, link = invited
    client = Client(enforce_csrf_checks=True)
    assert "csrftoken" in client.get(link).cookies  # as a browser has it
    before = state(new)
    with caplog.at_level("INFO"):
        responses = [send(client, link) for _ in range(6)]
    assert [response.status_code for response in responses] == [status] * 5 + [429]
    page = visible_text(responses[0])
    assert f"{title} {message} Nothing was changed." in page
    assert "Too many failed sign-ins. Try again in" in visible_text(responses[5])
    counts = dict(RateLimitBucket.objects.values_list("key", "count"))
    token = link.rsplit("/", 1)[1]
    assert counts == {"setup:client:127.0.0.1": 6, f"setup:link:{token_hash(token)}": 6}
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert state(new) == before


def test_a_set_up_post_without_its_csrf_token_is_refused(invited):
    new, link = invited
    client = Client(enforce_csrf_checks=True)
    assert "csrftoken" in client.get(link).cookies
    before = state(new)
    response = client.post(link, form(NEW_PASSWORD))
    assert response.status_code == 403
    assert state(new) == before


def test_set_up_links_are_masked_in_logs():
    token = new_token()
    assert mask_invitation_tokens(f"Not Found: /setup/{token}") == "Not Found: /setup/****"
    assert token_hash(token) not in mask_invitation_tokens(f"/setup/{token}")
