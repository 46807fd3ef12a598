"""The one-time set-up link emailed to an invited operator: its email, its lookup (by hash)
and its one use (password and authenticator app together)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.html import format_html

from onramp.accounts.models import Operator, OperatorSetup
from onramp.accounts.second_factor import enrol
from onramp.accounts.services.own import new_password_errors, own_change
from onramp.core.actors import Actor
from onramp.core.errors import InvalidInput, InvalidState
from onramp.core.tokens import token_hash

SETUP_TTL = timedelta(hours=72)
SETUP_UNUSABLE = (
    "This set-up link cannot be used: it is unknown, has expired or was used already. "
    "Ask your administrator to invite you again."
)


def setup_email(
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
        if errors := new_password_errors(operator, password, password_again):
            raise InvalidInput(errors)
        device, codes = enrol(operator, code)
        operator.set_password(password)
        operator.save(update_fields=["password"])
        setup.used_at = timezone.now()
        setup.save(update_fields=["used_at"])
        own_change(operator, password_set=True, second_factor="enrolled", setup_link="used")
    return SetUp(operator, device, codes)
