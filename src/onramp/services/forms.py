"""Forms of the operator pages for services: they parse and render; the rules (and their
messages) live in services.services, whose InvalidInput errors are put next to these fields."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time
from typing import Any

from django import forms

from onramp.core.views.ui import PageForm
from onramp.services.models import LicenseType
from onramp.services.services import ServiceRequest

METHOD_CHOICES = [
    ("invitation", "Send link to IT administrator for authentication"),
    ("app-registration", "Use known App registration"),
]
_WHOLE_NUMBER = re.compile(r"[+-]?\d{1,6}")


def _text(label: str, help_text: str = "", **attrs: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        help_text=help_text,
        widget=forms.TextInput(attrs={"spellcheck": "false", **attrs}),
    )


def _secret(label: str, help_text: str) -> forms.CharField:
    """Never re-filled (render_value=False) and never remembered by the browser."""
    return forms.CharField(
        label=label,
        required=False,
        help_text=help_text,
        widget=forms.PasswordInput(
            render_value=False, attrs={"autocomplete": "new-password", "data-reveal": ""}
        ),
    )


def _admin_email(help_text: str) -> forms.CharField:
    return forms.CharField(
        label="Admin email",
        required=False,
        help_text=help_text,
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class DirectRoutingForm(PageForm):
    """New tenant service (SPEC.md step 2)."""

    required_fields = ("short_name", "license_type", "licensed_users", "method")

    full_name = _text(
        "Full name of service",
        "Optional, at most 200 characters. Defaults to the short name.",
    )
    short_name = _text(
        "Unique short name of service",
        "The service's identity: 3 to 15 characters, no spaces, no dot and none of \\ / : * ? \" "
        "< > |. It is the customer ID in emails and on Pending Invitations.",
        autocomplete="off",
    )
    license_type = forms.CharField(
        label="License type",
        required=False,
        widget=forms.RadioSelect(choices=LicenseType.choices),
    )
    licensed_users = forms.CharField(
        label="Number of licensed users",
        required=False,
        help_text="A whole number from 1 to 500.",
        widget=forms.NumberInput(attrs={"min": 1, "max": 500, "step": 1, "inputmode": "numeric"}),
    )
    method = forms.CharField(
        label="How to connect to the tenant",
        required=False,
        initial="invitation",
        widget=forms.RadioSelect(choices=METHOD_CHOICES),
    )
    admin_email = _admin_email(
        "The customer's Microsoft 365 administrator. The invitation link is emailed here."
    )
    tenant_id = _text(
        "Tenant ID",
        "The Directory (tenant) ID — a GUID — or a domain such as contoso.onmicrosoft.com.",
        autocomplete="off",
    )
    client_id = _text(
        "Application (Client) ID",
        "From the app registration's Overview page in the Microsoft Entra admin center.",
        autocomplete="off",
    )
    client_secret = _secret(
        "Client secret",
        "The secret's Value (not its ID). It is checked with Microsoft, then stored encrypted; "
        "it is never shown again.",
    )

    def service_request(self) -> ServiceRequest:
        data = self.cleaned_data
        return ServiceRequest(
            short_name=data["short_name"],
            full_name=data["full_name"],
            license_type=data["license_type"],
            licensed_users=_number(data["licensed_users"]),
            method=data["method"],
            admin_email=data["admin_email"],
            tenant_id=data["tenant_id"],
            client_id=data["client_id"],
            client_secret=data["client_secret"],
        )


def _number(value: str) -> int | str:
    """A whole number when it is one; anything else is passed on for the service to refuse."""
    return int(value) if _WHOLE_NUMBER.fullmatch(value) else value


class ChooseCustomerForm(PageForm):
    required_fields = ("customer",)

    customer = forms.ChoiceField(label="Customer", required=False)

    def __init__(self, *args: Any, customers: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["customer"]
        field.choices = [("", "Choose a customer…")] + [(str(c.pk), c.name) for c in customers]
        field.help_text = "The service belongs to this customer."


class ReinitiateForm(PageForm):
    required_fields = ("admin_email",)

    admin_email = _admin_email(
        "The customer's Microsoft 365 administrator. A new invitation link is emailed here; "
        "the service keeps its current connection until the new invitation is added."
    )


class ReplaceSecretForm(PageForm):
    required_fields = ("client_secret",)

    client_secret = _secret(
        "New client secret",
        "The new secret's Value, from Certificates & secrets of the same app registration.",
    )


class ExpiryForm(PageForm):
    required_fields = ("expires_on",)

    expires_on = forms.DateField(
        label="Secret expiry date",
        required=True,
        help_text="As shown under Certificates & secrets → Expires (a date, in UTC).",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": "Enter the date the client secret expires.",
            "invalid": "Enter a date such as 2026-03-31.",
        },
    )

    def expires_at(self) -> datetime:
        return datetime.combine(self.cleaned_data["expires_on"], time(0, 0), tzinfo=UTC)
