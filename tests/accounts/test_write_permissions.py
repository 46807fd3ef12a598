"""The writes check who acts (pages and the API only render the refusal): only admins manage
operators, and an operator's API tokens are its own — a refusal changes nothing."""

from __future__ import annotations

import pytest

from onramp.accounts.models import ApiToken, Operator
from onramp.accounts.services.operators import operator_change, operator_deactivate, operator_invite
from onramp.accounts.services.tokens import token_create, token_revoke
from onramp.audit.models import AuditEvent
from onramp.core.actors import Actor
from onramp.core.errors import Forbidden
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleague(provider) -> Operator:
    return Operator.objects.create_user(
        "second@northwind.example", PASSWORD, role="operator", scope="provider", provider=provider
    )


def state() -> tuple:
    operators = sorted(Operator.objects.values_list("email", "role", "is_active"))
    tokens = sorted(ApiToken.objects.values_list("pk", "revoked_at"))
    return operators, tokens, AuditEvent.objects.count()


def test_an_operator_that_is_not_an_admin_manages_no_operator(operator, colleague, provider):
    actor = Actor.for_operator(operator)
    before = state()
    attempts = [
        lambda: operator_invite(
            actor=actor, email="new@northwind.example", role="monitor", scope="system"
        ),
        lambda: operator_change(actor=actor, operator=colleague, role="monitor"),
        lambda: operator_deactivate(actor=actor, operator=colleague),
    ]
    for attempt in attempts:
        with pytest.raises(Forbidden, match=r"^Your role does not allow this action\.$"):
            attempt()
    assert state() == before


def test_an_operators_tokens_are_its_own(operator, colleague):
    theirs = token_create(actor=Actor.system(), operator=colleague, name="theirs").token
    before = state()
    actor = Actor.for_operator(operator)
    with pytest.raises(Forbidden, match=r"^You can only manage your own API tokens\.$"):
        token_create(actor=actor, operator=colleague, name="mine now")
    with pytest.raises(Forbidden, match=r"^You can only manage your own API tokens\.$"):
        token_revoke(actor=actor, token=theirs)
    assert state() == before
