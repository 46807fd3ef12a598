"""Operators (admins manage those inside their own scope; a new one gets an emailed set-up
link) and the caller's own API tokens."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Status

from onramp.accounts.models import Operator as OperatorRow
from onramp.accounts.scoping import require
from onramp.accounts.selectors import operator_get, operators_visible, token_get, tokens_of
from onramp.accounts.services.operators import (
    operator_change,
    operator_deactivate,
    operator_invite,
)
from onramp.accounts.services.tokens import DEFAULT_EXPIRES_DAYS, token_create, token_revoke
from onramp.api import responses
from onramp.api.auth import actor_of, operator_of
from onramp.api.pagination import page
from onramp.api.responses import NewToken, TokenPage, errors, page_of
from onramp.api.schemas import OperatorChange, OperatorInvite, Page, TokenCreate
from onramp.api.serializers import new_token_json, operator_json, token_json

router = Router(tags=["operators"])


class Operator(responses.Operator):
    """The operator as every answer shows it, with the status the Operators page shows."""

    status: Literal["invited", "active", "inactive"] = Field(
        description="`invited` until the operator uses its set-up link; `inactive` once deleted."
    )


OperatorPage = page_of(Operator)


def _operator(operator: OperatorRow) -> dict[str, Any]:
    return {**operator_json(operator), "status": str(operator.status)}


@router.post("/operators", response={201: Operator, **errors(403, 422)})
def create_operator(request: HttpRequest, payload: OperatorInvite):
    """Admins only, within their own scope. The new operator sets a password and a second
    factor through a link emailed to it (valid 72 hours); the answer never holds the link."""
    operator = operator_invite(
        actor=actor_of(request), email=payload.email, role=payload.role, scope=payload.scope
    )
    return Status(201, _operator(operator))


@router.get("/operators", response={200: OperatorPage, **errors(403, 422)})
def list_operators(request: HttpRequest, params: Query[Page]):
    """Admins only: the operators inside the caller's scope, deactivated ones included."""
    operator = operator_of(request)
    require(operator, "operator.manage")
    operators = operators_visible(operator)
    return page(operators, limit=params.limit, cursor=params.cursor, render=_operator)


@router.get("/operators/{id}", response={200: Operator, **errors(403, 404)})
def get_operator(request: HttpRequest, id: str):
    operator = operator_of(request)
    found = operator_get(operator, id)
    require(operator, "operator.manage")
    return _operator(found)


@router.patch("/operators/{id}", response={200: Operator, **errors(403, 404, 422)})
def change_operator(request: HttpRequest, id: str, payload: OperatorChange):
    """Role and/or active; an admin cannot change its own role or deactivate itself."""
    found = operator_get(operator_of(request), id)
    changes = {name: getattr(payload, name) for name in payload.model_fields_set}
    return _operator(operator_change(actor=actor_of(request), operator=found, **changes))


@router.delete("/operators/{id}", response={204: None, **errors(403, 404)})
def delete_operator(request: HttpRequest, id: str):
    """Deactivates: no more sign-in, its tokens revoked; the row stays for the audit trail."""
    found = operator_get(operator_of(request), id)
    operator_deactivate(actor=actor_of(request), operator=found)
    return Status(204, None)


@router.post("/tokens", response={201: NewToken, **errors(422)})
def create_token(request: HttpRequest, payload: TokenCreate):
    """A token for the caller, scoped like it; its value is shown in this answer only. It
    expires after 90 days unless ``expires_days`` says otherwise (``null``: never)."""
    given = "expires_days" in payload.model_fields_set
    issued = token_create(
        actor=actor_of(request),
        operator=operator_of(request),
        name=payload.name.strip(),
        expires_days=payload.expires_days if given else DEFAULT_EXPIRES_DAYS,
    )
    return Status(201, new_token_json(issued))


@router.get("/tokens", response={200: TokenPage, **errors(422)})
def list_tokens(request: HttpRequest, params: Query[Page]):
    """The caller's own tokens, revoked and expired ones included; never their values."""
    tokens = tokens_of(operator_of(request))
    return page(tokens, limit=params.limit, cursor=params.cursor, render=token_json)


@router.delete("/tokens/{id}", response={204: None, **errors(404)})
def revoke_token(request: HttpRequest, id: str):
    """Only the caller's own tokens (another operator's is not found); revoking twice is fine."""
    token_revoke(actor=actor_of(request), token=token_get(operator_of(request), id))
    return Status(204, None)
