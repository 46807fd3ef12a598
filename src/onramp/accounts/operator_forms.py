"""The forms of the Operators pages: parsed here, checked by accounts.services (which knows
the valid roles and which scopes an admin may grant)."""

from __future__ import annotations

from typing import Any

from django import forms

from onramp.accounts.models import Operator, Role, Scope
from onramp.accounts.services.operators import SCOPE_DEPTH, VISIBLE_TARGETS
from onramp.core.views.ui import PageForm

ROLE_OPTIONS = [("", "Choose a role…"), *Role.choices]


def grantable_scopes(admin: Operator) -> list[tuple[str, str]]:
    """The scopes ``admin`` may give an operator, as (scope text, label): its own and every
    provider, channel and customer it sees below it."""
    options = [(str(Scope.SYSTEM), "System (everything)")] if admin.scope == Scope.SYSTEM else []
    for kind, visible in VISIBLE_TARGETS.items():
        if SCOPE_DEPTH[kind] < SCOPE_DEPTH[admin.scope]:
            continue
        for target in visible(admin):
            owner = f"{target.provider.name} · " if kind != Scope.PROVIDER else ""
            options.append((f"{kind}:{target.pk}", f"{kind.title()}: {owner}{target.name}"))
    return options


def _role_field() -> forms.CharField:
    return forms.CharField(
        label="Role",
        required=False,
        help_text="Admin: everything, including operators. Operator: day-to-day work. "
        "Monitor: read only.",
        widget=forms.Select(choices=ROLE_OPTIONS),
    )


class OperatorInviteForm(PageForm):
    """Email, role and scope of a new operator; it sets its password and second factor through
    the emailed link."""

    required_fields = ("email", "role")

    email = forms.CharField(
        label="Email",
        required=False,
        help_text="The set-up link is sent to this address.",
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    role = _role_field()

    def __init__(self, *args: Any, admin: Operator, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scope"] = forms.CharField(
            label="Scope",
            required=False,
            help_text="What the operator sees: your own scope or a part of it.",
            widget=forms.Select(choices=[("", "Choose a scope…"), *grantable_scopes(admin)]),
        )
        self.fields["scope"].marked_required = True

    def values(self) -> dict[str, str]:
        return {name: self.cleaned_data[name] for name in ("email", "role", "scope")}


class OperatorRoleForm(PageForm):
    """The role of an existing operator."""

    required_fields = ("role",)
    role = _role_field()
