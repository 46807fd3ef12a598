"""Writes for operators and API tokens. Tokens are random, shown once, stored as SHA-256."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.html import format_html

from onramp.accounts.models import ApiToken, Operator, OperatorSetup, Role, Scope
from onramp.accounts.second_factor import confirmed_totp, enrol, recovery_codes_replace
from onramp.audit.services import Actor, audit_record
from onramp.core.errors import Forbidden, InvalidInput, InvalidState
from onramp.core.tokens import new_token, token_hash
from onramp.core.validators import email_error
from onramp.notifications.services import outbox_enqueue
from onramp.tenancy.models import Channel, Customer, Provider
from onramp.tenancy.selectors import channels_visible, customers_visible, providers_visible

TOKEN_PREFIX = "onr_"  # noqa: S105 - a visible prefix, not a secret
ROLE_CHOICES = "Use admin, operator or monitor."


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


# --- operators managed through the API (CONTRACT.md §4) ----------------------------------------

SETUP_TTL = timedelta(hours=72)
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


def scope_text(operator: Operator) -> str:
    """The scope as the CLI and the API write it (the inverse of parse_scope)."""
    if operator.scope == Scope.SYSTEM:
        return str(Scope.SYSTEM)
    target = getattr(operator, f"{operator.scope}_id")
    return f"{operator.scope}:{target}"


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
        subject, text, html = _setup_email(
            operator, actor, setup, f"{settings.PUBLIC_URL}/setup/{token}"
        )
        outbox_enqueue(
            kind="operator_setup", to_email=operator.email, subject=subject, text=text, html=html
        )
    return operator


def _setup_email(
    operator: Operator, actor: Actor, setup: OperatorSetup, link: str
) -> tuple[str, str, str]:
    """Subject, text and HTML of the set-up email (the link is its only secret)."""
    subject = "Set up your Onramp operator account"
    expires = setup.expires_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    role = operator.get_role_display().lower()
    text = (
        f"{actor.label} added you to Onramp as {role} ({operator.scope_label}).\n\n"
        f"Set your password and second factor here:\n{link}\n\n"
        f"The link works once and expires on {expires}. "
        "If you did not expect this email, ignore it.\n"
    )
    html = format_html(
        "<p>{} added you to Onramp as {} ({}).</p>"
        '<p><a href="{}">Set your password and second factor</a></p>'
        "<p>The link works once and expires on {}. "
        "If you did not expect this email, ignore it.</p>",
        actor.label,
        role,
        operator.scope_label,
        link,
        expires,
    )
    return subject, text, html


def _retire(operator: Operator) -> int:
    """A deactivated operator's API tokens and unused set-up links die; returns the token count
    (reactivating the operator does not bring them back)."""
    now = timezone.now()
    OperatorSetup.objects.filter(
        operator=operator, used_at__isnull=True, expires_at__gt=now
    ).update(expires_at=now)
    return ApiToken.objects.filter(operator=operator, revoked_at__isnull=True).update(
        revoked_at=now
    )


def _is_self(actor: Actor, operator: Operator) -> bool:
    return actor.operator is not None and actor.operator.pk == operator.pk


def operator_change(
    *, actor: Actor, operator: Operator, role: str = _UNCHANGED, is_active: bool = _UNCHANGED
) -> Operator:
    """Change the role and/or whether the operator is active. An admin keeps its own role and
    cannot deactivate itself (so a scope never loses its last admin by accident)."""
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


# --- an operator on itself: second factor, set-up link, password (Account page) ------------

SETUP_UNUSABLE = (
    "This set-up link cannot be used: it is unknown, has expired or was used already. "
    "Ask your administrator to invite you again."
)
PASSWORDS_DIFFER = "The two passwords do not match."
WRONG_CURRENT_PASSWORD = "Your current password is incorrect."  # noqa: S105 - a message


NO_SECOND_FACTOR = "You have no authenticator app set up."


def _own_change(operator: Operator, **new: object) -> None:
    """Audit what an operator changed on itself (names only: never a password or a code)."""
    audit_record(
        actor=Actor.for_operator(operator),
        action="operator.changed",
        target=operator,
        provider_id=operator.provider_id,
        customer_id=operator.customer_id,
        new=new,
    )


def enrol_at_sign_in(operator: Operator, code: str) -> tuple[Any, list[str]]:
    """Enrolment for an operator that has a password but no app yet."""
    with transaction.atomic():
        if confirmed_totp(operator):
            raise InvalidState("An authenticator app is already set up.")
        device, codes = enrol(operator, code)
        _own_change(operator, second_factor="enrolled")
    return device, codes


def recovery_codes_regenerate(operator: Operator) -> list[str]:
    """Ten fresh recovery codes (shown once); the old ones stop working."""
    with transaction.atomic():
        if confirmed_totp(operator) is None:
            raise InvalidState(NO_SECOND_FACTOR)
        codes = recovery_codes_replace(operator)
        _own_change(operator, recovery_codes="regenerated")
    return codes


def setup_by_token(token: str) -> OperatorSetup | None:
    """A usable set-up link, looked up by the hash of its token (timing reveals nothing);
    unknown, expired and used links all read as None."""
    if not token or len(token) > 100:
        return None
    setup = (
        OperatorSetup.objects.select_related("operator")
        .filter(token_hash=token_hash(token))
        .first()
    )
    return setup if setup is not None and setup.is_usable(timezone.now()) else None


def _new_password_errors(operator: Operator, password: str, again: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    try:
        validate_password(password, operator)
    except ValidationError as exc:
        errors["new_password"] = list(exc.messages)
    if password != again:
        errors["new_password_again"] = [PASSWORDS_DIFFER]
    return errors


@dataclass(frozen=True)
class SetUp:
    operator: Operator
    device: Any
    recovery_codes: list[str]


def operator_setup_complete(
    *, setup: OperatorSetup, password: str, password_again: str, code: str
) -> SetUp:
    """The emailed link's one use: password and authenticator app together, in one transaction
    that also marks the link used. Any error changes nothing."""
    with transaction.atomic():
        setup = (
            OperatorSetup.objects.select_for_update().select_related("operator").get(pk=setup.pk)
        )
        if not setup.is_usable(timezone.now()):
            raise InvalidState(SETUP_UNUSABLE)
        operator = setup.operator
        if errors := _new_password_errors(operator, password, password_again):
            raise InvalidInput(errors)
        device, codes = enrol(operator, code)
        operator.set_password(password)
        operator.save(update_fields=["password"])
        setup.used_at = timezone.now()
        setup.save(update_fields=["used_at"])
        _own_change(operator, password_set=True, second_factor="enrolled", setup_link="used")
    return SetUp(operator, device, codes)


def password_change(
    *, operator: Operator, current: str, password: str, password_again: str
) -> None:
    """The operator's own change: the current password first, then Django's validators."""
    errors = _new_password_errors(operator, password, password_again)
    if not operator.check_password(current):
        errors = {"current_password": [WRONG_CURRENT_PASSWORD], **errors}
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        operator.set_password(password)
        operator.save(update_fields=["password"])
        _own_change(operator, password_changed=True)
