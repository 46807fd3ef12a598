"""Two providers drive the seed flow at the same time against a live server, each admin signing
in with its password and a TOTP code; then neither can see or touch the other's customers,
services, invitations or audit events, through the pages (404, absent from lists) or the API
(404, absent from lists), and nothing changes."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
import requests
from django.db import connection

from onramp.accounts.models import Operator
from onramp.accounts.services import token_create
from onramp.core.actors import Actor
from onramp.invitations.models import Invitation
from onramp.services.models import Service
from onramp.tenancy.models import Customer, Provider
from tests.api.helpers import db_state
from tests.conftest import PASSWORD
from tests.signin import fresh_code, totp_device

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class Seeded:
    admin: Operator
    session: requests.Session
    customer: Customer
    service: Service
    invitation: Invitation
    api: requests.Session


def post(session: requests.Session, url: str, data: dict) -> requests.Response:
    """A form post as a browser makes it: the CSRF token from the cookie, no redirects followed."""
    data = {"csrfmiddlewaretoken": session.cookies["csrftoken"], **data}
    return session.post(url, data=data, allow_redirects=False, timeout=30)


def seed(base: str, admin: Operator, customer_name: str, short_name: str) -> Seeded:
    """Sign in (password, then a code), add a customer, then a service with an invitation."""
    try:
        session = requests.Session()
        assert session.get(f"{base}/login", timeout=30).status_code == 200
        signed = post(session, f"{base}/login", {"username": admin.email, "password": PASSWORD})
        assert signed.headers["Location"] == "/login/code?next=%2Fservices%2F"
        verified = post(session, f"{base}/login/code", {"code": fresh_code(totp_device(admin))})
        assert (verified.status_code, verified.headers["Location"]) == (302, "/services/")

        added = post(session, f"{base}/customers/add/", {"name": customer_name})
        assert (added.status_code, added.headers["Location"]) == (302, "/customers/")
        customer = Customer.objects.get(name=customer_name)
        created = post(
            session,
            f"{base}/services/add/direct-routing/?customer={customer.pk}",
            {
                "full_name": f"{short_name} voice",
                "short_name": short_name,
                "license_type": "hosted-pro",
                "licensed_users": "25",
                "method": "invitation",
                "admin_email": f"admin@{short_name.lower()}.example",
            },
        )
        assert created.status_code == 200, created.text
        assert f"Service {short_name} was created" in created.text
        service = Service.objects.get(short_name=short_name)
        api = requests.Session()
        issued = token_create(actor=Actor.for_operator(admin), operator=admin, name="t")
        api.headers["Authorization"] = f"Bearer {issued.value}"
        invitation = Invitation.objects.get(service=service)
        return Seeded(admin, session, customer, service, invitation, api)
    finally:
        connection.close()  # this thread's database connection


def page_denials(base: str, me: Seeded, other: Seeded) -> None:
    s, i = other.service.pk, other.invitation.pk
    for path in (
        f"/services/{s}/",
        f"/services/{s}/m365/",
        f"/services/{s}/delete/",
        f"/services/{s}/m365/reinitiate/",
        f"/services/add/direct-routing/?customer={other.customer.pk}",
    ):
        assert me.session.get(f"{base}{path}", timeout=30).status_code == 404, path
    for path in (
        f"/services/{s}/delete/",
        f"/services/{s}/m365/validate/",
        f"/invitations/{i}/resend/",
        f"/invitations/{i}/revoke/",
        f"/invitations/{i}/add/",
    ):
        assert post(me.session, f"{base}{path}", {}).status_code == 404, path
    lists = " ".join(
        me.session.get(f"{base}{path}", timeout=30).text
        for path in ("/customers/", "/services/", "/invitations/", "/audit/", "/dashboard/")
    )
    assert me.customer.name in lists and me.service.short_name in lists
    for secret in (
        other.customer.name,
        other.service.short_name,
        str(other.service.pk),
        other.invitation.admin_email,
        other.admin.email,
    ):
        assert secret not in lists
    audit = me.session.get(f"{base}/audit/?target_id={s}", timeout=30).text
    assert "No events match these filters" in audit


def api_denials(base: str, me: Seeded, other: Seeded) -> None:
    api = f"{base}/api/v1"
    for path in (
        f"/customers/{other.customer.pk}",
        f"/services/{other.service.pk}",
        f"/services/{other.service.pk}/m365",
        f"/invitations/{other.invitation.pk}",
        f"/providers/{other.admin.provider_id}",
    ):
        response = me.api.get(f"{api}{path}", timeout=30)
        assert (response.status_code, response.json()["code"]) == (404, "not_found"), path
    for method, path, body in (
        ("patch", f"/customers/{other.customer.pk}", {"name": "Taken over"}),
        ("delete", f"/services/{other.service.pk}", None),
        ("post", f"/invitations/{other.invitation.pk}/revoke", None),
        ("post", f"/invitations/{other.invitation.pk}/resend", None),
    ):
        response = getattr(me.api, method)(f"{api}{path}", json=body, timeout=30)
        assert response.status_code == 404, path
    for path, own in (
        ("/customers", me.customer.pk),
        ("/services", me.service.pk),
        ("/invitations", me.invitation.pk),
    ):
        items = me.api.get(f"{api}{path}", timeout=30).json()["items"]
        assert [item["id"] for item in items] == [str(own)], path
    events = me.api.get(f"{api}/audit-events?target_id={other.service.pk}", timeout=30).json()
    assert events["items"] == []
    mine = me.api.get(f"{api}/audit-events", timeout=30).json()["items"]
    assert mine and all(other.admin.email not in repr(event) for event in mine)


def test_two_providers_in_parallel_cannot_see_or_touch_each_other(live_server, settings):
    settings.PUBLIC_URL = live_server.url
    admins = []
    for name, domain in (("Northwind Voice", "northwind"), ("Fabrikam Telecom", "fabrikam")):
        provider = Provider.objects.create(name=name, sbc_domain=f"sbc.{domain}.example")
        admin = Operator.objects.create_user(
            f"admin@{domain}.example", PASSWORD, role="admin", scope="provider", provider=provider
        )
        totp_device(admin)
        admins.append(admin)
    with ThreadPoolExecutor(max_workers=2) as pool:
        a, b = pool.map(
            lambda args: seed(live_server.url, *args),
            [(admins[0], "Contoso Ltd", "Contoso-01"), (admins[1], "Tailspin Toys", "Tailspin-01")],
        )
    assert a.service.provider_id != b.service.provider_id
    before = db_state()
    for me, other in ((a, b), (b, a)):
        page_denials(live_server.url, me, other)
        api_denials(live_server.url, me, other)
    assert db_state() == before
