"""The caller's own API tokens: created (value shown once), listed (never values or hashes),
revoked; an expired or revoked token is refused (401) from that moment."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from onramp.accounts.models import ApiToken
from onramp.accounts.services import token_authenticate
from onramp.audit.models import AuditEvent
from tests.api.helpers import TIMESTAMP, Api, db_state, error, token_for

pytestmark = pytest.mark.django_db


def test_create_shows_the_value_once_and_it_works(api, operator, customer):
    started = timezone.now()
    response = api.post("/tokens", {"name": " ci pipeline ", "expires_days": 30})
    assert response.status_code == 201
    body = response.json()
    token = ApiToken.objects.get(pk=body["id"])
    assert set(body) == {"id", "token", "expires_at"}
    assert re.fullmatch(r"onr_[A-Za-z0-9_-]{43}", body["token"])
    assert token.token_hash == hashlib.sha256(body["token"].encode()).hexdigest()
    assert (token.operator, token.name) == (operator, "ci pipeline")
    assert timedelta(days=30) <= token.expires_at - started < timedelta(days=30, seconds=30)
    assert TIMESTAMP.fullmatch(body["expires_at"])
    new = Api(body["token"])
    assert [c["name"] for c in new.get("/customers").json()["items"]] == ["Contoso Ltd"]
    event = AuditEvent.objects.get(action="token.created", target_id=body["id"])
    assert event.actor_type == "token"
    assert body["token"] not in str(event.changes) and token.token_hash not in str(event.changes)
    listed = api.get("/tokens").content.decode()
    assert body["token"] not in listed and token.token_hash not in listed


def test_a_token_expires_after_90_days_unless_null_is_asked(api):
    started = timezone.now()
    body = api.post("/tokens", {"name": "default"}).json()
    lifetime = ApiToken.objects.get(pk=body["id"]).expires_at - started
    assert timedelta(days=90) <= lifetime < timedelta(days=90, seconds=30)
    body = api.post("/tokens", {"name": "forever", "expires_days": None}).json()
    assert body["expires_at"] is None
    assert ApiToken.objects.get(pk=body["id"]).expires_at is None


def test_create_rules(api):
    before = db_state()
    assert error(api.post("/tokens", {"name": "x", "expires_days": 0})) == (
        422,
        "invalid_input",
        {"expires_days": ["Use a number of days from 1 to 3650."]},
    )
    assert error(api.post("/tokens", {"name": "x" * 101})) == (
        422,
        "invalid_input",
        {"name": ["Use at most 100 characters."]},
    )
    assert error(api.post("/tokens", {})) == (
        422,
        "invalid_input",
        {"name": ["This field is required."]},
    )
    assert error(api.post("/tokens", {"name": "x", "expires_days": "7"}))[:2] == (
        400,
        "malformed_request",
    )
    assert db_state() == before
    assert ApiToken.objects.count() == 1


def test_list_holds_only_the_callers_tokens(api, operator, monitor_api):
    first = ApiToken.objects.get(operator=operator)
    api.get("/customers")  # stamps last_used_at
    second = api.post("/tokens", {"name": "second", "expires_days": 1}).json()
    items = api.get("/tokens").json()["items"]
    assert [t["id"] for t in items] == [second["id"], str(first.pk)]  # newest first
    assert set(items[0]) == {"id", "name", "created_at", "expires_at", "last_used_at", "revoked_at"}
    assert items[0]["name"] == "second" and items[0]["last_used_at"] is None
    assert TIMESTAMP.fullmatch(items[1]["last_used_at"])
    assert [t["id"] for t in monitor_api.get("/tokens").json()["items"]] == [
        str(ApiToken.objects.get(operator=monitor_api.operator).pk)
    ]


def test_revoke_refuses_the_token_from_then_on(api, operator, customer):
    other = api.post("/tokens", {"name": "other"}).json()
    other_api = Api(other["token"])
    assert other_api.get("/customers").status_code == 200
    response = api.delete(f"/tokens/{other['id']}")
    assert (response.status_code, response.content) == (204, b"")
    assert error(other_api.get("/customers")) == (401, "not_authenticated", None)
    listed = {t["id"]: t for t in api.get("/tokens").json()["items"]}
    assert TIMESTAMP.fullmatch(listed[other["id"]]["revoked_at"])
    event = AuditEvent.objects.get(action="token.revoked")
    assert (event.target_id, event.actor_id) == (other["id"], str(operator.pk))
    before = db_state()
    assert api.delete(f"/tokens/{other['id']}").status_code == 204  # again: nothing new
    assert db_state() == before


def test_a_token_may_revoke_itself(api, customer):
    own = ApiToken.objects.get()
    assert api.delete(f"/tokens/{own.pk}").status_code == 204
    assert error(api.get("/tokens")) == (401, "not_authenticated", None)


def test_an_expired_token_is_refused(operator, customer):
    caller = Api(token_for(operator, expires_days=1))
    assert caller.get("/tokens").status_code == 200
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert error(caller.get("/tokens")) == (401, "not_authenticated", None)
    assert error(caller.post("/tokens", {"name": "renewal"})) == (401, "not_authenticated", None)
    assert ApiToken.objects.count() == 1


def test_a_token_in_use_costs_one_unordered_query(api, operator):
    """Every API request looks its token up: the hash is unique, so ordering would only cost."""
    assert token_authenticate(api.token) == operator  # stamps last_used_at for a minute
    with CaptureQueriesContext(connection) as queries:
        assert token_authenticate(api.token) == operator
    assert len(queries) == 1
    assert "ORDER BY" not in queries[0]["sql"]
    assert token_authenticate(api.token + "x") is None


def test_another_operators_token_is_not_found(api, system_api, monitor_api):
    theirs = ApiToken.objects.get(operator=monitor_api.operator)
    before = db_state()
    for caller in (api, system_api):
        assert error(caller.delete(f"/tokens/{theirs.pk}")) == (404, "not_found", None)
    assert error(api.delete("/tokens/not-an-id")) == (404, "not_found", None)
    assert db_state() == before
    assert monitor_api.get("/tokens").status_code == 200
