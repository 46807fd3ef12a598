"""The sign-in form: email and password, one message for every failure."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from onramp.core.views.ui import AccessibleBoundField

LOGIN_FAILED = "Email or password is incorrect"


class LoginForm(AuthenticationForm):
    """Never says which of the two was wrong, nor that an account is disabled."""

    bound_field_class = AccessibleBoundField
    error_messages = {"invalid_login": LOGIN_FAILED, "inactive": LOGIN_FAILED}

    username = forms.EmailField(
        label="Email",
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].error_messages["required"] = "Enter your email address."
        self.fields["username"].error_messages["invalid"] = "Enter a valid email address."
        self.fields["password"].error_messages["required"] = "Enter your password."

    def clean_username(self) -> str:
        # Operators are stored with a lower-case email (OperatorManager.create_user).
        return self.cleaned_data["username"].strip().lower()
