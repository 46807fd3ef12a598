"""An operator on itself (the Account page and the sign-in steps): its second factor and its
password. Audited by name only: never a password or a code."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from onramp.accounts.models import Operator
from onramp.accounts.second_factor import confirmed_totp, enrol, recovery_codes_replace
from onramp.audit.services import audit_record
from onramp.core.actors import Actor
from onramp.core.errors import InvalidInput, InvalidState

PASSWORDS_DIFFER = "The two passwords do not match."
WRONG_CURRENT_PASSWORD = "Your current password is incorrect."  # noqa: S105 - a message
NO_SECOND_FACTOR = "You have no authenticator app set up."


def own_change(operator: Operator, **new: object) -> None:
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
        own_change(operator, second_factor="enrolled")
    return device, codes


def recovery_codes_regenerate(operator: Operator) -> list[str]:
    """Ten fresh recovery codes (shown once); the old ones stop working."""
    with transaction.atomic():
        if confirmed_totp(operator) is None:
            raise InvalidState(NO_SECOND_FACTOR)
        codes = recovery_codes_replace(operator)
        own_change(operator, recovery_codes="regenerated")
    return codes


def new_password_errors(operator: Operator, password: str, again: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    try:
        validate_password(password, operator)
    except ValidationError as exc:
        errors["new_password"] = list(exc.messages)
    if password != again:
        errors["new_password_again"] = [PASSWORDS_DIFFER]
    return errors


def password_change(
    *, operator: Operator, current: str, password: str, password_again: str
) -> None:
    """The operator's own change: the current password first, then Django's validators."""
    errors = new_password_errors(operator, password, password_again)
    if not operator.check_password(current):
        errors = {"current_password": [WRONG_CURRENT_PASSWORD], **errors}
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        operator.set_password(password)
        operator.save(update_fields=["password"])
        own_change(operator, password_changed=True)
