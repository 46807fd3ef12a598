"""Sign in, sign out, and every page requiring a signed-in operator."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from tests.conftest import PASSWORD
from tests.signin import fresh_code, sign_in, totp_device

pytestmark = pytest.mark.django_db

FAILED = "Email or password is incorrect"


def test_root_sends_visitors_to_sign_in_and_operators_to_services(client, operator):
    assert client.get("/").url == "/login"
    sign_in(client, operator)
    assert client.get("/").url == "/services/"


def test_login_page_has_labelled_email_and_password(client):
    page = client.get("/login")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<label for="id_username">Email' in html
    assert '<label for="id_password">Password' in html
    assert 'type="password"' in html


def test_password_then_code_lands_on_services(client, operator):
    device = totp_device(operator)
    response = client.post("/login", {"username": "OPS@northwind.example", "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == "/login/code?next=%2Fservices%2F"
    # Half signed in: the pages send the session back to the code step.
    assert client.get("/services/").url == "/login/code?next=%2Fservices%2F"
    response = client.post(response.url, {"code": fresh_code(device), "next": "/services/"})
    assert response.status_code == 302
    assert response.url == "/services/"
    page = client.get("/services/")
    assert "ops@northwind.example" in page.content.decode()
    assert "Operator · Provider: Northwind Voice" in page.content.decode()


@pytest.mark.parametrize(
    "email,password",
    [
        ("ops@northwind.example", "wrong password"),
        ("nobody@northwind.example", PASSWORD),
    ],
)
def test_failed_login_says_the_same_for_both(client, operator, email, password):
    response = client.post("/login", {"username": email, "password": password})
    assert response.status_code == 200
    html = response.content.decode()
    assert FAILED in html
    assert password not in html
    assert "_auth_user_id" not in client.session


def test_disabled_operator_gets_the_same_message(client, operator):
    operator.is_active = False
    operator.save()
    response = client.post("/login", {"username": operator.email, "password": PASSWORD})
    assert FAILED in response.content.decode()
    assert "inactive" not in response.content.decode()


def test_login_follows_next_only_within_the_site(client, operator):
    device = totp_device(operator)
    response = client.post(
        "/login?next=/invitations/", {"username": operator.email, "password": PASSWORD}
    )
    assert response.url == "/login/code?next=%2Finvitations%2F"
    assert client.post(response.url, {"code": fresh_code(device)}).url == "/invitations/"
    client.logout()
    response = client.post(
        "/login?next=https://evil.example/", {"username": operator.email, "password": PASSWORD}
    )
    assert response.url == "/login/code?next=%2Fservices%2F"
    evil = client.post("/login/code?next=https://evil.example/", {"code": fresh_code(device)})
    assert evil.url == "/services/"


def test_logout_is_post_only(client, operator):
    sign_in(client, operator)
    assert client.get("/logout").status_code == 405
    response = client.post("/logout")
    assert response.url == "/login"
    assert client.get("/services/").status_code == 302


PAGES = [
    ("services:dashboard", {}),
    ("tenancy:customers", {}),
    ("tenancy:customer-add", {}),
    ("services:list", {}),
    ("services:add", {}),
    ("services:direct-routing", {}),
    ("services:detail", {"service_id": uuid.uuid4()}),
    ("services:delete", {"service_id": uuid.uuid4()}),
    ("services:m365", {"service_id": uuid.uuid4()}),
    ("services:m365-validate", {"service_id": uuid.uuid4()}),
    ("services:m365-secret", {"service_id": uuid.uuid4()}),
    ("services:m365-expiry", {"service_id": uuid.uuid4()}),
    ("services:m365-reinitiate", {"service_id": uuid.uuid4()}),
    ("services:invitations", {}),
    ("services:invitation-resend", {"invitation_id": uuid.uuid4()}),
    ("services:invitation-revoke", {"invitation_id": uuid.uuid4()}),
    ("services:invitation-add", {"invitation_id": uuid.uuid4()}),
]


@pytest.mark.parametrize("name,kwargs", PAGES)
def test_every_page_requires_sign_in(client, name, kwargs):
    url = reverse(name, kwargs=kwargs)
    for method in (client.get, client.post):
        response = method(url)
        assert response.status_code == 302
        assert response.url == f"/login?next={url}"
