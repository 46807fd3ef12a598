"""The public wizard's App Registration form: shape checks only, before anyone asks Microsoft."""

from __future__ import annotations

from django import forms

from onramp.core.validators import client_id_error, tenant_id_error

APP_REGISTRATION = "app-registration"


class AppRegistrationForm(forms.Form):
    """Tenant ID, Application (Client) ID and Client secret, labelled as CONTRACT.md §5 says.

    The secret is a password input that is never rendered back (``render_value=False``).
    """

    tenant_id = forms.CharField(
        label="Tenant ID",
        max_length=253,
        help_text=(
            "The Directory (tenant) ID from the app registration's Overview page, e.g. "
            "72f988bf-86f1-41af-91ab-2d7cd011db47, or a domain such as contoso.onmicrosoft.com."
        ),
        error_messages={"required": "Enter the Tenant ID."},
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "none"}
        ),
    )
    client_id = forms.CharField(
        label="Application (Client) ID",
        max_length=64,
        help_text="The Application (client) ID from the same Overview page (a GUID).",
        error_messages={"required": "Enter the Application (Client) ID."},
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "none"}
        ),
    )
    client_secret = forms.CharField(
        label="Client secret",
        max_length=1024,
        help_text=(
            "The secret's Value (not its Secret ID) from Certificates & secrets. Microsoft shows "
            "it only once, right after you create it."
        ),
        error_messages={"required": "Enter the client secret."},
        widget=forms.PasswordInput(
            render_value=False,
            attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "none"},
        ),
    )

    def clean_tenant_id(self) -> str:
        value = self.cleaned_data["tenant_id"]
        error = tenant_id_error(value)
        if error:
            raise forms.ValidationError(error)
        return value

    def clean_client_id(self) -> str:
        value = self.cleaned_data["client_id"]
        error = client_id_error(value)
        if error:
            raise forms.ValidationError(error)
        return value
