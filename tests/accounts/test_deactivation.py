"""Deactivating an operator ends its sessions: reactivating it does not bring them back (with
the second factor still verified); it signs in again like anyone else."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from onramp.accounts.models import Operator
from onramp.accounts.services.operators import operator_change, operator_deactivate
from onramp.core.actors import Actor
from tests.conftest import PASSWORD
from tests.signin import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(provider) -> Operator:
    return Operator.objects.create_user(
        "admin@northwind.example", PASSWORD, role="admin", scope="provider", provider=provider
    )


def session_owners() -> list[str]:
    return sorted(s.get_decoded()["_auth_user_id"] for s in Session.objects.all())


@pytest.mark.parametrize("how", ["delete", "patch"])
def test_deactivation_ends_the_operators_sessions(operator, admin, how):
    phone, laptop = sign_in(Client(), operator), sign_in(Client(), operator)
    admins = sign_in(Client(), admin)
    assert phone.get("/services/").status_code == 200
    assert session_owners() == sorted([str(operator.pk)] * 2 + [str(admin.pk)])
    actor = Actor.for_operator(admin)
    if how == "delete":
        operator_deactivate(actor=actor, operator=operator)
    else:
        operator_change(actor=actor, operator=operator, is_active=False)
    assert session_owners() == [str(admin.pk)]

    operator_change(actor=actor, operator=operator, is_active=True)
    for client in (phone, laptop):
        response = client.get("/services/")
        assert (response.status_code, response.url) == (302, "/login?next=/services/")
    # The admin's own session is untouched.
    assert admins.get("/services/").status_code == 200
    assert session_owners() == [str(admin.pk)]
