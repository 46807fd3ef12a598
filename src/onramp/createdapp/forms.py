"""The one input of "Create the app registration for me": the application's name."""

from __future__ import annotations

from django import forms

CREATED_APP = "created-app"


class AppNameForm(forms.Form):
    app_name = forms.CharField(
        label="Name of the app registration",
        min_length=1,
        max_length=120,
        help_text="As it will appear under App registrations in your tenant (1 to 120 characters).",
        error_messages={
            "required": "Enter a name for the app registration.",
            "max_length": "Use at most 120 characters.",
        },
    )

    def clean_app_name(self) -> str:
        value = self.cleaned_data["app_name"]
        if not value.isprintable():
            raise forms.ValidationError("Use printable characters only (no tabs or line breaks).")
        return value
