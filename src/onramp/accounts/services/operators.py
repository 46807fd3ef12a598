"""Operators: created by the CLI, invited by an admin within its own scope (CONTRACT.md §4),
changed and deactivated by an admin. The admin check lives here, in the writes: pages and the
API call these functions and render the refusal."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from onramp.accounts.models import Operator, OperatorSetup, Role, Scope
from onramp.accounts.scoping import require_actor
from onramp.accounts.services.setup_links import SETUP_TTL, setup_email
from onramp.accounts.services.tokens import tokens_retire
from onramp.audit.services import audit_record
from onramp.core.actors import Actor
from onramp.core.errors import Forbidden, InvalidInput
from onramp.core.tokens import new_token, token_hash
from onramp.core.validators import email_error
from onramp.notifications.services import outbox_enqueue
from onramp.tenancy.models import Channel, Customer, Provider
from onramp.tenancy.selectors import channels_visible, customers_visible, providers_visible

ROLE_CHOICES = "Use admin, operator or monitor."
SCOPE_DEPTH: dict[str, int] = {
    str(Scope.SYSTEM): 0,
    str(Scope.PROVIDER): 1,
    str(Scope.CHANNEL): 2,
    str(Scope.CUSTOMER): 3,
}
VISIBLE_TARGETS: dict[str, Any] = {
    str(Scope.PROVIDER): providers_visible,
    str(Scope.CHANNEL): channels_visible,
    str(Scope.CUSTOMER): customers_visible,
}
BEYOND_YOUR_SCOPE = "You can only give operators a scope within your own."
_UNCHANGED: Any = object()


def _no_such_scope(kind: str, ident: str) -> dict[str, list[str]]:
    return {"scope": [f"No {kind} with id {ident}."]}


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
        raise InvalidInput(_no_such_scope(kind, ident)) from None
    fields: dict[str, object] = {"scope": kind, kind: target}
    if kind != Scope.PROVIDER:
        fields["provider"] = target.provider
    if kind == Scope.CUSTOMER and target.channel_id:
        fields["channel"] = None
    return fields


def scope_text(operator: Operator) -> str:
    """The scope as the CLI and the API write it (the inverse of parse_scope)."""
    if operator.scope == Scope.SYSTEM:
        return str(Scope.SYSTEM)
    target = getattr(operator, f"{operator.scope}_id")
    return f"{operator.scope}:{target}"


def _operator_fields(
    email: str, role: str, scope: str
) -> tuple[str, dict[str, object], dict[str, list[str]]]:
    """The rules every new operator meets (CLI or API): its email, role and scope."""
    email = email.strip().lower()
    errors: dict[str, list[str]] = {}
    if problem := email_error(email):
        errors["email"] = [problem]
    if role not in Role.values:
        errors["role"] = [ROLE_CHOICES]
    try:
        fields = parse_scope(scope)
    except InvalidInput as exc:
        errors.update(exc.errors)
        fields = {}
    return email, fields, errors


def _operator_insert(
    *, actor: Actor, email: str, role: str, scope: str, fields: dict, password: str | None
) -> Operator:
    """Create the row and its audit event, inside the caller's transaction."""
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


def operator_create(
    *, actor: Actor, email: str, role: str, scope: str, password: str | None
) -> Operator:
    email, fields, errors = _operator_fields(email, role, scope)
    if password is not None and not errors:
        try:
            validate_password(password, Operator(email=email))
        except ValidationError as exc:
            errors["password"] = list(exc.messages)
    if errors:
        raise InvalidInput(errors)
    return _operator_insert(
        actor=actor, email=email, role=role, scope=scope, fields=fields, password=password
    )


def _scope_errors(admin: Operator | None, scope: str, fields: dict) -> dict[str, list[str]]:
    """An admin grants only scopes inside its own: a level above its own is forbidden (403);
    a target it cannot see reads exactly like one that does not exist (422)."""
    if admin is None or admin.scope == Scope.SYSTEM:
        return {}
    kind, _, ident = scope.partition(":")
    if kind in SCOPE_DEPTH and SCOPE_DEPTH[kind] < SCOPE_DEPTH[admin.scope]:
        raise Forbidden(BEYOND_YOUR_SCOPE)
    if not fields:
        return {}
    target: Any = fields[str(fields["scope"])]
    if not VISIBLE_TARGETS[str(fields["scope"])](admin).filter(pk=target.pk).exists():
        return _no_such_scope(kind, ident)
    return {}


def operator_invite(*, actor: Actor, email: str, role: str, scope: str) -> Operator:
    """A new operator, within the inviting admin's own scope, without a password: an emailed
    one-time link (valid 72 hours) lets it set one and its second factor. Only the link's
    SHA-256 is stored; the link itself exists only in the (sealed) outbox message."""
    require_actor(actor, "operator.manage")
    email, fields, errors = _operator_fields(email, role, scope)
    for field, messages in _scope_errors(actor.operator, scope, fields).items():
        errors.setdefault(field, messages)
    if errors:
        raise InvalidInput(errors)
    token = new_token()
    with transaction.atomic():
        operator = _operator_insert(
            actor=actor, email=email, role=role, scope=scope, fields=fields, password=None
        )
        setup = OperatorSetup.objects.create(
            operator=operator, token_hash=token_hash(token), expires_at=timezone.now() + SETUP_TTL
        )
        subject, text, html = setup_email(
            operator, actor, setup, f"{settings.PUBLIC_URL}/setup/{token}"
        )
        outbox_enqueue(
            kind="operator_setup", to_email=operator.email, subject=subject, text=text, html=html
        )
    return operator


def _sessions_end(operator: Operator, now: datetime) -> None:
    """Delete the operator's live sessions. Django only ignores an inactive user's session,
    so without this a reactivation would revive it, second factor verified. Sessions are
    indexed by key only, so each live one is decoded; deactivations are rare."""
    ended = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=now).iterator()
        if session.get_decoded().get(SESSION_KEY) == str(operator.pk)
    ]
    Session.objects.filter(pk__in=ended).delete()


def _retire(operator: Operator) -> int:
    """A deactivated operator's sessions, API tokens and unused set-up links die; returns the
    token count (reactivating the operator does not bring them back)."""
    now = timezone.now()
    _sessions_end(operator, now)
    OperatorSetup.objects.filter(
        operator=operator, used_at__isnull=True, expires_at__gt=now
    ).update(expires_at=now)
    return tokens_retire(operator)


def _is_self(actor: Actor, operator: Operator) -> bool:
    return actor.operator is not None and actor.operator.pk == operator.pk


def operator_change(
    *, actor: Actor, operator: Operator, role: str = _UNCHANGED, is_active: bool = _UNCHANGED
) -> Operator:
    """Change the role and/or whether the operator is active. An admin keeps its own role and
    cannot deactivate itself (so a scope never loses its last admin by accident)."""
    require_actor(actor, "operator.manage")
    errors: dict[str, list[str]] = {}
    if role is not _UNCHANGED and role not in Role.values:
        errors["role"] = [ROLE_CHOICES]
    elif role is not _UNCHANGED and role != operator.role and _is_self(actor, operator):
        errors["role"] = ["You cannot change your own role."]
    if is_active is not _UNCHANGED and not isinstance(is_active, bool):
        errors["is_active"] = ["Use true or false."]
    elif is_active is False and _is_self(actor, operator):
        errors["is_active"] = ["You cannot deactivate yourself."]
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        operator = Operator.objects.select_for_update().get(pk=operator.pk)
        given = {"role": role, "is_active": is_active}
        new = {k: v for k, v in given.items() if v is not _UNCHANGED and getattr(operator, k) != v}
        if new:
            old = {k: getattr(operator, k) for k in new}
            for field, value in new.items():
                setattr(operator, field, value)
            operator.save(update_fields=list(new))
            if new.get("is_active") is False:
                new["tokens_revoked"] = _retire(operator)
            audit_record(
                actor=actor,
                action="operator.changed",
                target=operator,
                provider_id=operator.provider_id,
                customer_id=operator.customer_id,
                old=old,
                new=new,
            )
    return operator


def operator_deactivate(*, actor: Actor, operator: Operator) -> None:
    """DELETE: the operator can no longer sign in or use its tokens; the row stays for the
    audit trail. Deactivating an inactive operator changes nothing."""
    require_actor(actor, "operator.manage")
    if _is_self(actor, operator):
        raise Forbidden("You cannot delete your own operator account.")
    with transaction.atomic():
        operator = Operator.objects.select_for_update().get(pk=operator.pk)
        if not operator.is_active:
            return
        operator.is_active = False
        operator.save(update_fields=["is_active"])
        audit_record(
            actor=actor,
            action="operator.deleted",
            target=operator,
            provider_id=operator.provider_id,
            customer_id=operator.customer_id,
            old={"is_active": True},
            new={"is_active": False, "tokens_revoked": _retire(operator)},
        )
