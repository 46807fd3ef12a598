"""Sign-in is password and second factor: enrolment at first sign-in, the code step, recovery
codes, the lock-out shared with passwords, and the one gate every other URL goes through."""

from __future__ import annotations

import base64
import re
import time
import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.http import urlencode
from django_otp.plugins.otp_static.models import StaticToken

from onramp.accounts.models import AuthenticatorApp, recovery_code_hash
from onramp.audit.models import AuditEvent
from onramp.core.models import RateLimitBucket
from tests.conftest import PASSWORD
from tests.pages.helpers import field_errors, visible_text
from tests.signin import fresh_code, sign_in, totp_code, totp_device

pytestmark = pytest.mark.django_db

WRONG = "The code is incorrect or has already been used."
THROTTLED = re.compile(r"Too many failed sign-ins\. Try again in (\d+) minutes?\.")
OPEN_PREFIXES = ("/invite/", "/api/", "/static/", "/setup/", "/healthz")
STEPS = {"/login/code", "/login/enrol", "/logout"}


def password_step(client, operator, next_url: str = ""):
    path = f"/login?next={next_url}" if next_url else "/login"
    return client.post(path, {"username": operator.email, "password": PASSWORD})


def code_step(client, code: str, next_url: str = "/services/"):
    return client.post("/login/code", {"code": code, "next": next_url})


def step_url(path: str, step: str = "code") -> str:
    return f"/login/{step}?{urlencode({'next': path})}"


def all_paths() -> list[str]:
    """Every URL the site answers, its parameters filled in with made-up values."""
    fill = {"uuid": str(uuid.uuid4()), "int": "1", "str": "x", "slug": "x", "path": "x"}

    def walk(patterns, prefix: str):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern):
                yield re.sub(r"<(?:(\w+):)?\w+>", lambda m: fill[m.group(1) or "str"], route)

    return sorted(
        {"/" + path.lstrip("^").rstrip("$") for path in walk(get_resolver().url_patterns, "")}
    )


def events(action: str | None = None) -> list[tuple]:
    rows = AuditEvent.objects.order_by("pk")
    if action:
        rows = rows.filter(action=action)
    return [(e.action, e.actor_label, e.target_label, e.changes) for e in rows]


# --- the gate ----------------------------------------------------------------------------------


def test_every_operator_url_sends_a_half_signed_in_session_to_its_step(client, operator):
    totp_device(operator)
    assert password_step(client, operator).status_code == 302
    checked = []
    for path in all_paths():
        if path in STEPS or path.startswith(OPEN_PREFIXES):
            continue
        for method in (client.get, client.post):
            response = method(path)
            assert (response.status_code, response.url) == (302, step_url(path)), path
        checked.append(path)
    assert {
        "/",
        "/account/",
        "/services/",
        "/audit/",
        "/login",
        "/customers/add/",
        "/sandbox/mailbox",
    } <= set(checked)
    assert len(checked) >= 25
    assert events() == []  # nothing was done, nothing recorded


def test_a_half_signed_in_session_gets_nothing_from_the_api(client, operator):
    totp_device(operator)
    password_step(client, operator)
    response = client.get("/api/v1/customers")
    assert response.status_code == 401
    assert "_auth_user_id" in client.session  # the session exists: the API just ignores it


def test_the_public_paths_stay_open(client, operator):
    totp_device(operator)
    password_step(client, operator)
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get(f"/setup/{'x' * 43}").status_code == 404  # the set-up page's own answer


def test_code_step_without_a_password_goes_to_sign_in(client):
    assert client.get("/login/code").url == "/login"
    assert client.post("/login/enrol", {"code": "123456"}).url == "/login"


# --- the code step -----------------------------------------------------------------------------


def test_right_code_completes_the_sign_in_once(client, operator):
    device = totp_device(operator)
    assert password_step(client, operator, "/invitations/").url == step_url("/invitations/")
    page = client.get(step_url("/invitations/"))
    assert page.status_code == 200
    assert "Enter the code your authenticator app shows now." in visible_text(page)
    half = client.session.session_key
    response = client.post(
        step_url("/invitations/"), {"code": fresh_code(device), "next": "/invitations/"}
    )
    assert (response.status_code, response.url) == (302, "/invitations/")
    assert client.session.session_key != half  # a new key for the verified session
    assert client.get("/services/").status_code == 200
    assert client.get("/login/code").url == "/services/"  # nothing more to give
    assert events() == [
        (
            "login.succeeded",
            operator.email,
            operator.email,
            {"new": {"second_factor": "app"}},
        )
    ]


@pytest.mark.parametrize("kind", ["wrong", "expired", "reused", "letters", "too long"])
def test_bad_codes_are_refused_counted_and_change_nothing(client, operator, kind):
    device = totp_device(operator)
    if kind == "reused":
        used = fresh_code(device)
        password_step(client, operator)
        assert code_step(client, used).url == "/services/"
        client.logout()
    seen = len(events())
    device.refresh_from_db()
    before = (device.last_t, device.drift)
    right_now = totp_code(device.bin_key)
    code = {
        "wrong": f"{(int(right_now) + 1) % 1_000_000:06d}",
        "expired": totp_code(device.bin_key, at=time.time() - 3 * device.step),
        "reused": used if kind == "reused" else "",
        "letters": "abcdefgh",
        "too long": "1" * 41,
    }[kind]
    password_step(client, operator)
    response = code_step(client, code)
    assert response.status_code == 422
    expected = (
        "Ensure this value has at most 40 characters (it has 41)." if kind == "too long" else WRONG
    )
    assert field_errors(response, "code") == [expected]
    assert code not in response.content.decode()
    device.refresh_from_db()
    assert (device.last_t, device.drift) == before
    assert client.get("/services/").status_code == 302  # still only half signed in
    if kind == "too long":  # refused by the form: not an attempt
        assert events()[seen:] == [] and RateLimitBucket.objects.count() == 0
        return
    assert events()[seen:] == [
        ("login.failed", operator.email, operator.email, {"new": {"step": "second factor"}})
    ]
    assert dict(RateLimitBucket.objects.values_list("key", "count")) == {
        f"login:pair:{operator.email}|127.0.0.1": 1,
        "login:client:127.0.0.1": 1,
        f"login:email:{operator.email}": 1,
        f"login:email-slow:{operator.email}": 1,
    }


def test_a_recovery_code_works_once(client, operator):
    totp_device(operator)
    sign_in(client, operator)
    codes = client.post("/account/recovery-codes")
    code = re.findall(r'<li><code class="mono">(\w+)</code></li>', codes.content.decode())[0]
    client.logout()
    seen = len(events())

    password_step(client, operator)
    assert code_step(client, code.upper()).url == "/services/"
    assert StaticToken.objects.filter(device__user=operator).count() == 9
    client.logout()
    password_step(client, operator)
    response = code_step(client, code)
    assert field_errors(response, "code") == [WRONG]
    assert [e[0] for e in events()[seen:]] == ["login.succeeded", "login.failed"]
    assert events()[seen][3] == {"new": {"second_factor": "recovery code"}}


def test_five_wrong_codes_lock_the_email_out_even_with_the_right_code(client, operator):
    device = totp_device(operator)
    password_step(client, operator)
    for _ in range(5):
        assert field_errors(code_step(client, "000000"), "code") == [WRONG]
    response = code_step(client, fresh_code(device))
    assert response.status_code == 429
    minutes = int(THROTTLED.search(visible_text(response)).group(1))
    assert 1 <= minutes <= 15
    assert client.get("/services/").status_code == 302
    assert len(events("login.failed")) == 5 and events("login.succeeded") == []
    # The password step is locked for the same email too: one lock-out for both factors.
    client.logout()
    assert password_step(client, operator).status_code == 429


# --- enrolment ---------------------------------------------------------------------------------


def test_first_sign_in_enrols_an_app_and_shows_ten_recovery_codes(client, operator):
    response = password_step(client, operator)
    assert response.url == step_url("/services/", "enrol")
    page = client.get(response.url)
    text = visible_text(page)
    device = AuthenticatorApp.objects.get(user=operator, confirmed=False)
    key = re.search(r'data-testid="totp-key">([A-Z2-7 ]+)<', page.content.decode()).group(1)
    assert key.replace(" ", "") == base64.b32encode(device.bin_key).decode()
    assert re.fullmatch(r"([A-Z2-7]{4} )*[A-Z2-7]{1,4}", key)
    assert (
        f"otpauth://totp/Onramp%3A{operator.email.replace('@', '%40')}?secret="
        in page.content.decode()
    )
    assert "<svg" in page.content.decode() and "Add Onramp to your authenticator app" in text
    # A reload shows the same key (the app may already have it).
    assert key in client.get(response.url).content.decode()
    assert AuthenticatorApp.objects.filter(user=operator).count() == 1

    wrong = client.post(response.url, {"code": "000000"})
    assert wrong.status_code == 422
    assert field_errors(wrong, "code") == [WRONG]
    assert not AuthenticatorApp.objects.filter(confirmed=True).exists()
    assert StaticToken.objects.count() == 0 and events() == []
    assert RateLimitBucket.objects.count() == 0  # the key is on screen: nothing to guess

    done = client.post(response.url, {"code": totp_code(device.bin_key), "next": "/services/"})
    assert done.status_code == 200
    codes = re.findall(r'<li><code class="mono">(\w+)</code></li>', done.content.decode())
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = sorted(StaticToken.objects.values_list("token", flat=True))
    assert stored == sorted(recovery_code_hash(code) for code in codes)
    assert "Shown once." in visible_text(done)
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/services/").status_code == 200
    assert events() == [
        (
            "operator.changed",
            operator.email,
            operator.email,
            {"new": {"second_factor": "enrolled"}},
        ),
        ("login.succeeded", operator.email, operator.email, {"new": {"second_factor": "enrolled"}}),
    ]


def test_a_password_alone_cannot_enrol_another_app(client, operator):
    device = totp_device(operator)
    password_step(client, operator)
    assert client.get("/login/enrol").url == step_url("/services/")
    response = client.post("/login/enrol", {"code": "123456"})
    assert response.url == step_url("/services/")
    assert list(AuthenticatorApp.objects.filter(user=operator)) == [device]


# --- the demo operator -------------------------------------------------------------------------


def test_the_exempt_demo_operator_needs_no_code_and_sees_the_banner(client, demo):
    response = password_step(client, demo)
    assert response.url == "/services/"
    text = visible_text(client.get("/services/"))
    assert (
        "Demo sign-in: this operator is exempt from the second factor. "
        "Every other operator signs in with a password and a second factor."
    ) in text
    assert AuthenticatorApp.objects.count() == 0
    assert events() == [
        ("login.succeeded", demo.email, demo.email, {"new": {"second_factor": "exempt"}})
    ]


def test_other_operators_see_no_banner(client, operator):
    sign_in(client, operator)
    assert "exempt from the second factor" not in visible_text(client.get("/services/"))
