"""The customer, channel and provider forms: parsed here, checked by tenancy.services."""

from __future__ import annotations

from typing import Any

from django import forms

from onramp.core.countries import COUNTRIES
from onramp.core.views.ui import PageForm
from onramp.tenancy.services import MAX_CUSTOMERS_RULE


class CustomerForm(PageForm):
    """Name, Azure tenant ID and contact email; a system operator also picks the provider, and
    an operator whose provider has channels (resellers) may pick one."""

    required_fields = ("name",)

    name = forms.CharField(
        label="Name",
        required=False,
        help_text="The customer's organisation name, unique within its provider.",
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    azure_tenant_id = forms.CharField(
        label="Azure tenant ID",
        required=False,
        help_text="Optional. The customer's Directory (tenant) ID as a GUID; when set, only "
        "credentials of this tenant are accepted for the customer's services.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    contact_email = forms.CharField(
        label="Contact email",
        required=False,
        help_text="Optional. Who to contact at the customer about the connection.",
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    country = forms.CharField(
        label="Country",
        required=False,
        help_text="The usage location Microsoft requires of the users Onramp creates in the "
        "customer's tenant (for Direct Routing).",
        widget=forms.Select(
            choices=[
                ("", "Not set"),
                *sorted(
                    ((code, f"{name} ({code})") for code, name in COUNTRIES.items()),
                    key=lambda choice: choice[1],
                ),
            ]
        ),
    )

    def __init__(
        self, *args: Any, providers: Any = None, channels: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        extra: dict[str, forms.Field] = {}
        if providers is not None:
            extra["provider_id"] = forms.ChoiceField(
                label="Service provider",
                required=False,
                choices=[("", "Choose a provider…")] + [(str(p.pk), p.name) for p in providers],
            )
            extra["provider_id"].marked_required = True  # type: ignore[attr-defined]
        if channels:
            extra["channel_id"] = forms.ChoiceField(
                label="Channel",
                required=False,
                help_text="Optional. The reseller the customer is attached to.",
                choices=[("", "No channel (directly with the provider)")]
                + [(str(c.pk), _channel_label(c, providers is not None)) for c in channels],
            )
        self.fields = {**extra, **self.fields}

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "azure_tenant_id": data["azure_tenant_id"],
            "contact_email": data["contact_email"],
            "country": data["country"],
        }

    def channel_id(self) -> str | None:
        """The channel chosen ("" = none); None when the form offers no choice."""
        return self.cleaned_data.get("channel_id") if "channel_id" in self.fields else None

    def placement(self) -> dict[str, Any]:
        """The provider and channel ids chosen (None: the operator's own)."""
        return {
            "provider_id": self.cleaned_data.get("provider_id") or None,
            "channel_id": self.cleaned_data.get("channel_id") or None,
        }


def _channel_label(channel: Any, with_provider: bool) -> str:
    return f"{channel.provider.name} · {channel.name}" if with_provider else channel.name


class ProviderForm(PageForm):
    """A service provider's name and SBC domain (checked by tenancy.services)."""

    required_fields = ("name",)

    name = forms.CharField(
        label="Name",
        required=False,
        help_text="The provider's name, unique in this installation.",
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    sbc_domain = forms.CharField(
        label="SBC domain",
        required=False,
        help_text="Optional. The domain of the provider's session border controllers, such as "
        "sbc.example.com.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def values(self) -> dict[str, Any]:
        return {"name": self.cleaned_data["name"], "sbc_domain": self.cleaned_data["sbc_domain"]}


class ChannelForm(PageForm):
    """A channel's name and maximum number of customers; a system operator adding one also
    picks the provider. The limit is parsed here, its range checked by tenancy.services."""

    required_fields = ("name",)

    name = forms.CharField(
        label="Name",
        required=False,
        help_text="The reseller's name, unique within its provider.",
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    max_customers = forms.CharField(
        label="Maximum number of customers",
        required=False,
        help_text="Optional. Leave empty for no limit.",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, providers: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if providers is not None:
            provider_field = forms.ChoiceField(
                label="Service provider",
                required=False,
                choices=[("", "Choose a provider…")] + [(str(p.pk), p.name) for p in providers],
            )
            provider_field.marked_required = True  # type: ignore[attr-defined]
            self.fields = {"provider_id": provider_field, **self.fields}

    def clean_max_customers(self) -> int | None:
        value = self.cleaned_data["max_customers"].strip()
        if not value:
            return None
        if not (value.isascii() and value.isdigit()):
            raise forms.ValidationError(MAX_CUSTOMERS_RULE)
        return int(value)

    def values(self) -> dict[str, Any]:
        return {
            "name": self.cleaned_data["name"],
            "max_customers": self.cleaned_data["max_customers"],
        }
