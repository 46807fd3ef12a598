"""Bearer-token authentication for the API (tokens from ``onramp token create``)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from onramp.accounts.models import Operator
from onramp.accounts.services import token_authenticate
from onramp.core.actors import Actor


class BearerToken(HttpBearer):
    """``Authorization: Bearer <token>``. Never logs the header: it is a secret."""

    def __call__(self, request: HttpRequest) -> Operator | None:
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        return self.authenticate(request, value.strip())

    def authenticate(self, request: HttpRequest, token: str) -> Operator | None:
        return token_authenticate(token) if token else None


def operator_of(request: HttpRequest) -> Operator:
    return request.auth


def actor_of(request: HttpRequest) -> Actor:
    return Actor.for_operator(operator_of(request), via_token=True)
