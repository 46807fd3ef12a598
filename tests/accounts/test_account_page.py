"""The operator's own Account page: who it is, password change, new recovery codes and its API
tokens (shown once, listed without the value, revoked after confirming)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django_otp.plugins.otp_static.models import StaticToken

from onramp.accounts.models import ApiToken, Operator, recovery_code_hash
from onramp.accounts.services import token_create
from onramp.audit.models import AuditEvent
from onramp.core.actors import Actor
from onramp.core.models import RateLimitBucket
from tests.conftest import PASSWORD
from tests.pages.helpers import field_errors, visible_text
from tests.signin import sign_in

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a long and unusual passphrase 7"
NO_STORE = "max-age=0, no-cache, no-store, must-revalidate, private"
DAYS = "Use a number of days from 1 to 3650."


@pytest.fixture
def me(client, operator):
    return sign_in(client, operator)


def changes(action: str) -> list[dict]:
    return [e.changes for e in AuditEvent.objects.filter(action=action).order_by("pk")]


def test_the_page_says_who_you_are_and_the_header_links_to_it(me):
    response = me.get("/account/")
    assert response.status_code == 200
    text = visible_text(response)
    assert "Email ops@northwind.example Role Operator Scope Provider: Northwind Voice" in text
    assert "An authenticator app is set up. You have 0 unused recovery codes." in text
    assert "No API tokens" in text
    assert (
        '<a class="btn btn--quiet btn--small" href="/account/" aria-current="page">Account</a>'
        in (response.content.decode())
    )
    assert 'href="/account/"' in me.get("/services/").content.decode()


def test_the_account_page_needs_a_complete_sign_in(client):
    assert client.get("/account/").url == "/login?next=/account/"
    assert client.post("/account/tokens", {"name": "x", "expires_days": "1"}).status_code == 302
    assert ApiToken.objects.count() == 0


# --- password ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data,field,messages",
    [
        (
            {"current_password": "not it", "new_password": NEW_PASSWORD},
            "current_password",
            ["Your current password is incorrect."],
        ),
        (
            {"new_password": NEW_PASSWORD, "new_password_again": "something else"},
            "new_password_again",
            ["The two passwords do not match."],
        ),
        (
            {"new_password": "ops@northwind.example1", "new_password_again": "x"},
            "new_password",
            ["The password is too similar to the email."],
        ),
        ({"current_password": ""}, "current_password", ["Enter current password."]),
    ],
)
def test_password_change_errors_change_nothing(me, operator, data, field, messages):
    form = {"current_password": PASSWORD, "new_password_again": NEW_PASSWORD} | data
    response = me.post("/account/password", form)
    assert response.status_code == 422
    assert field_errors(response, field) == messages
    operator.refresh_from_db()
    assert operator.check_password(PASSWORD)
    assert changes("operator.changed") == []
    for value in (PASSWORD, NEW_PASSWORD):
        assert value not in response.content.decode()


def test_password_change_keeps_the_session_and_is_audited(me, operator):
    elsewhere = sign_in(Client(), operator)
    response = me.post(
        "/account/password",
        {
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "new_password_again": NEW_PASSWORD,
        },
    )
    assert response.url == "/account/"
    assert "Your password was changed." in visible_text(me.get("/account/"))
    assert me.get("/services/").status_code == 200  # still signed in, still verified
    operator.refresh_from_db()
    assert operator.check_password(NEW_PASSWORD)
    assert changes("operator.changed") == [{"new": {"password_changed": True}}]
    assert NEW_PASSWORD not in repr(list(AuditEvent.objects.values()))
    # The operator's other sessions end (Django's session hash).
    assert elsewhere.get("/services/").url == "/login?next=/services/"


def test_a_wrong_current_password_counts_in_the_sign_in_lock_out(me, operator):
    wrong = {"current_password": "not it", "new_password": NEW_PASSWORD}
    wrong["new_password_again"] = NEW_PASSWORD
    for _ in range(5):
        response = me.post("/account/password", wrong)
        assert response.status_code == 422
        assert field_errors(response, "current_password") == ["Your current password is incorrect."]
    counted = {
        f"login:pair:{operator.email}|127.0.0.1": 5,
        "login:client:127.0.0.1": 5,
        f"login:email:{operator.email}": 5,
        f"login:email-slow:{operator.email}": 5,
    }
    assert dict(RateLimitBucket.objects.values_list("key", "count")) == counted
    assert [(e.action, e.actor_label) for e in AuditEvent.objects.order_by("pk")] == [
        ("login.failed", operator.email)
    ] * 5
    # Locked out: even the right current password is not checked, and nothing changes.
    right = wrong | {"current_password": PASSWORD}
    response = me.post("/account/password", right)
    assert response.status_code == 429
    assert re.fullmatch(
        r"Too many failed sign-ins\. Try again in 15 minutes\.",
        field_errors(response, "current_password")[0],
    )
    operator.refresh_from_db()
    assert operator.check_password(PASSWORD)
    assert dict(RateLimitBucket.objects.values_list("key", "count")) == counted
    assert AuditEvent.objects.count() == 5


# --- recovery codes ---------------------------------------------------------------------------


def test_new_recovery_codes_are_shown_once_and_replace_the_old(me, operator):
    first = me.post("/account/recovery-codes")
    assert first.status_code == 200
    old = re.findall(r'<li><code class="mono">(\w+)</code></li>', first.content.decode())
    assert len(old) == 10 and "Shown once." in visible_text(first)
    assert first["Cache-Control"] == NO_STORE
    second = me.post("/account/recovery-codes")
    new = re.findall(r'<li><code class="mono">(\w+)</code></li>', second.content.decode())
    assert len(new) == 10 and not set(old) & set(new)
    stored = sorted(StaticToken.objects.values_list("token", flat=True))
    assert stored == sorted(recovery_code_hash(code) for code in new)
    listed = me.get("/account/")
    assert not any(code in listed.content.decode() for code in new)
    assert "You have 10 unused recovery codes." in visible_text(listed)
    assert changes("operator.changed") == [{"new": {"recovery_codes": "regenerated"}}] * 2
    assert me.get("/account/recovery-codes").status_code == 405


def test_the_exempt_demo_operator_has_no_codes_to_renew(client, demo):
    # Exempt: the password alone is a complete sign-in.
    assert client.post("/login", {"username": demo.email, "password": PASSWORD}).url == "/services/"
    assert "This demo operator is exempt from the second factor." in visible_text(
        client.get("/account/")
    )
    response = client.post("/account/recovery-codes")
    assert response.status_code == 409
    assert "You have no authenticator app set up." in visible_text(response)
    assert StaticToken.objects.count() == 0 and changes("operator.changed") == []


# --- API tokens -------------------------------------------------------------------------------


def test_create_a_token_shown_once_that_works_with_the_api(me, operator):
    response = me.post("/account/tokens", {"name": "billing sync", "expires_days": "30"})
    assert response.status_code == 200
    assert response["Cache-Control"] == NO_STORE
    value = re.search(
        r'id="api-token" name="api_token" value="(onr_[\w-]+)"', response.content.decode()
    )
    assert value, visible_text(response)
    token = ApiToken.objects.get()
    lifetime = round((token.expires_at - token.created_at).total_seconds() / 86400)
    assert (token.name, token.operator, lifetime) == (
        "billing sync",
        operator,
        30,
    )
    api = Client().get("/api/v1/customers", HTTP_AUTHORIZATION=f"Bearer {value.group(1)}")
    assert api.status_code == 200
    listed = me.get("/account/")
    text = visible_text(listed)
    assert value.group(1) not in listed.content.decode()
    assert re.search(
        r"billing sync just now in (4 weeks, 1 day|30 days) just now Active Revoke", text
    )
    assert changes("token.created")[0]["new"]["name"] == "billing sync"


@pytest.mark.parametrize(
    "data,field,message",
    [
        ({"name": "", "expires_days": "30"}, "name", "Enter a name for the token."),
        (
            {"name": "x", "expires_days": "0"},
            "expires_days",
            DAYS,
        ),
        (
            {"name": "x", "expires_days": "3651"},
            "expires_days",
            DAYS,
        ),
        (
            {"name": "x", "expires_days": "soon"},
            "expires_days",
            DAYS,
        ),
        ({"name": "x" * 101, "expires_days": "30"}, "name", "Use at most 100 characters."),
    ],
)
def test_bad_token_input_is_refused_next_to_the_field(me, data, field, message):
    response = me.post("/account/tokens", data)
    assert response.status_code == 422
    assert field_errors(response, field) == [message]
    assert ApiToken.objects.count() == 0 and changes("token.created") == []


def test_revoke_asks_first_then_revokes(me, operator):
    issued = token_create(actor=Actor.for_operator(operator), operator=operator, name="ci")
    url = f"/account/tokens/{issued.token.pk}/revoke"
    confirm = me.get(url)
    assert confirm.status_code == 200
    assert "Revoke API token “ci”?" in visible_text(confirm)
    assert ApiToken.objects.get().revoked_at is None
    response = me.post(url)
    assert response.url == "/account/"
    assert "The token “ci” was revoked." in visible_text(me.get("/account/"))
    token = ApiToken.objects.get()
    assert token.revoked_at is not None
    assert "Revoked" in visible_text(me.get("/account/"))
    api = Client().get("/api/v1/customers", HTTP_AUTHORIZATION=f"Bearer {issued.value}")
    assert api.status_code == 401
    assert len(changes("token.revoked")) == 1
    me.post(url)  # again: nothing more happens
    assert len(changes("token.revoked")) == 1


def test_another_operators_token_is_not_found(me, provider):
    other = Operator.objects.create_user(
        "other@northwind.example", PASSWORD, role="admin", scope="provider", provider=provider
    )
    issued = token_create(actor=Actor.for_operator(other), operator=other, name="theirs")
    url = f"/account/tokens/{issued.token.pk}/revoke"
    assert me.get(url).status_code == 404
    assert me.post(url).status_code == 404
    assert ApiToken.objects.get().revoked_at is None
    assert "theirs" not in me.get("/account/").content.decode()
    assert changes("token.revoked") == []
