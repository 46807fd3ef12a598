"""API tokens: random, shown once, stored as SHA-256; an operator's own unless the system
(the CLI) issues one for it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from onramp.accounts.models import ApiToken, Operator
from onramp.audit.services import audit_record
from onramp.core.actors import Actor
from onramp.core.errors import Forbidden, InvalidInput
from onramp.core.tokens import new_token, token_hash

TOKEN_PREFIX = "onr_"  # noqa: S105 - a visible prefix, not a secret
DEFAULT_EXPIRES_DAYS = 90  # CONTRACT §4; no expiry only when asked for (None)
NOT_YOUR_TOKEN = "You can only manage your own API tokens."  # noqa: S105 - a message


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    value: str


def _require_own(actor: Actor, operator: Operator) -> None:
    """An operator acts on its own tokens only; the system (CLI) acts for anyone."""
    if actor.operator is not None and actor.operator.pk != operator.pk:
        raise Forbidden(NOT_YOUR_TOKEN)


def token_create(
    *,
    actor: Actor,
    operator: Operator,
    name: str = "",
    expires_days: int | None = DEFAULT_EXPIRES_DAYS,
) -> IssuedToken:
    """``expires_days=None`` is the explicit request for a token that never expires."""
    _require_own(actor, operator)
    if expires_days is not None and not 1 <= expires_days <= 3650:
        raise InvalidInput({"expires_days": ["Use a number of days from 1 to 3650."]})
    if len(name) > 100:
        raise InvalidInput({"name": ["Use at most 100 characters."]})
    value = TOKEN_PREFIX + new_token()
    with transaction.atomic():
        token = ApiToken.objects.create(
            operator=operator,
            name=name,
            token_hash=token_hash(value),
            expires_at=timezone.now() + timedelta(days=expires_days) if expires_days else None,
        )
        audit_record(
            actor=actor,
            action="token.created",
            target=token,
            provider_id=operator.provider_id,
            customer_id=operator.customer_id,
            new={
                "operator": operator.email,
                "name": name,
                "expires_at": token.expires_at.isoformat() if token.expires_at else None,
            },
        )
    return IssuedToken(token, value)


def token_authenticate(value: str) -> Operator | None:
    """The operator behind a bearer token, or None (unknown, expired, revoked, inactive)."""
    if not value.startswith(TOKEN_PREFIX) or len(value) > 100:
        return None
    # get(), not first(): the hash is unique, and ordering by ApiToken's Meta costs CPU per call.
    try:
        token = ApiToken.objects.select_related("operator").get(token_hash=token_hash(value))
    except ApiToken.DoesNotExist:
        return None
    now = timezone.now()
    if not token.is_usable(now) or not token.operator.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.operator


def token_revoke(*, actor: Actor, token: ApiToken) -> None:
    _require_own(actor, token.operator)
    with transaction.atomic():
        updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if updated:
            audit_record(
                actor=actor,
                action="token.revoked",
                target=token,
                provider_id=token.operator.provider_id,
                customer_id=token.operator.customer_id,
                new={"operator": token.operator.email, "name": token.name},
            )


def tokens_retire(operator: Operator) -> int:
    """Revoke every live token of a deactivated operator; returns how many."""
    return ApiToken.objects.filter(operator=operator, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
