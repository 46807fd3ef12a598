"""Writes for operators and API tokens. Tokens are random, shown once, stored as SHA-256."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from onramp.accounts.models import ApiToken, Operator, Role, Scope
from onramp.audit.services import Actor, audit_record
from onramp.core.errors import InvalidInput
from onramp.core.tokens import new_token, token_hash
from onramp.core.validators import email_error
from onramp.tenancy.models import Channel, Customer, Provider

TOKEN_PREFIX = "onr_"  # noqa: S105 - a visible prefix, not a secret


def parse_scope(scope: str) -> dict[str, object]:
    """``system`` or ``provider:ID`` / ``channel:ID`` / ``customer:ID`` → operator fields."""
    kind, _, ident = scope.partition(":")
    if kind == Scope.SYSTEM and not ident:
        return {"scope": Scope.SYSTEM}
    models = {Scope.PROVIDER: Provider, Scope.CHANNEL: Channel, Scope.CUSTOMER: Customer}
    model = models.get(kind)  # type: ignore[call-overload]
    if model is None or not ident:
        raise InvalidInput({"scope": ["Use system, provider:ID, channel:ID or customer:ID."]})
    try:
        target = model.objects.get(pk=ident)
    except (model.DoesNotExist, ValueError, ValidationError):
        raise InvalidInput({"scope": [f"No {kind} with id {ident}."]}) from None
    fields: dict[str, object] = {"scope": kind, kind: target}
    if kind != Scope.PROVIDER:
        fields["provider"] = target.provider
    if kind == Scope.CUSTOMER and target.channel_id:
        fields["channel"] = None
    return fields


def operator_create(
    *, actor: Actor, email: str, role: str, scope: str, password: str | None
) -> Operator:
    email = email.strip().lower()
    errors: dict[str, list[str]] = {}
    if problem := email_error(email):
        errors["email"] = [problem]
    if role not in Role.values:
        errors["role"] = ["Use admin, operator or monitor."]
    try:
        fields = parse_scope(scope)
    except InvalidInput as exc:
        errors.update(exc.errors)
        fields = {}
    if password is not None and not errors:
        try:
            validate_password(password, Operator(email=email))
        except ValidationError as exc:
            errors["password"] = list(exc.messages)
    if errors:
        raise InvalidInput(errors)
    try:
        with transaction.atomic():
            operator = Operator.objects.create_user(email, password, role=role, **fields)
            audit_record(
                actor=actor,
                action="operator.created",
                target=operator,
                provider_id=operator.provider_id,
                customer_id=operator.customer_id,
                new={"email": operator.email, "role": role, "scope": scope},
            )
    except IntegrityError:
        raise InvalidInput({"email": ["An operator with this email already exists."]}) from None
    return operator


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    value: str


def token_create(
    *, actor: Actor, operator: Operator, name: str = "", expires_days: int | None = None
) -> IssuedToken:
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
    token = ApiToken.objects.select_related("operator").filter(token_hash=token_hash(value)).first()
    now = timezone.now()
    if token is None or not token.is_usable(now) or not token.operator.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.operator


def token_revoke(*, actor: Actor, token: ApiToken) -> None:
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
