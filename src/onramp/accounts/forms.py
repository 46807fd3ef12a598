"""The sign-in form: email and password, one message for every failure."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from onramp.core.views.ui import AccessibleBoundField, PageForm

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


APP_CODE_HELP = "The 6-digit code your app shows after adding the key."


class CodeInput(forms.TextInput):
    """Never re-filled: a recovery code is a secret, a used TOTP code is worthless."""

    def format_value(self, value: object) -> None:
        return None


def _code_field(help_text: str, **attrs: object) -> forms.CharField:
    return forms.CharField(
        label="Code",
        max_length=40,
        help_text=help_text,
        error_messages={"required": "Enter the code from your authenticator app."},
        widget=CodeInput(attrs={"autocomplete": "one-time-code", "spellcheck": "false", **attrs}),
    )


class CodeForm(PageForm):
    """The second step of sign-in: a code from the app, or a recovery code."""

    code = _code_field(
        "The 6-digit code from your authenticator app, or one of your recovery codes.",
        autofocus=True,
    )
    required_fields = ("code",)


class EnrolForm(PageForm):
    code = _code_field(APP_CODE_HELP, inputmode="numeric")
    required_fields = ("code",)


def _password_field(label: str, autocomplete: str, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        strip=False,
        max_length=200,
        help_text=help_text,
        error_messages={"required": f"Enter {label[0].lower()}{label[1:]}."},
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}),
    )


class NewPasswordForm(PageForm):
    """A new password typed twice; Django's validators run in the service."""

    new_password = _password_field(
        "New password",
        "new-password",
        "At least 12 characters; not a common password, not all digits, not like your email.",
    )
    new_password_again = _password_field("New password again", "new-password")
    required_fields = ("new_password", "new_password_again")


class SetupForm(NewPasswordForm):
    code = _code_field(APP_CODE_HELP, inputmode="numeric")
    required_fields = ("new_password", "new_password_again", "code")


class PasswordChangeForm(NewPasswordForm):
    current_password = _password_field("Current password", "current-password")
    field_order = ("current_password", "new_password", "new_password_again")
    required_fields = ("current_password", "new_password", "new_password_again")


class TokenForm(PageForm):
    """A new API token: a name to recognise it by and its lifetime (the service checks both)."""

    name = forms.CharField(
        label="Name",
        max_length=200,
        help_text="What the token is for, e.g. “billing sync”.",
        error_messages={"required": "Enter a name for the token."},
    )
    expires_days = forms.IntegerField(
        label="Expires after (days)",
        initial=90,
        help_text="From 1 to 3650 days.",
        error_messages={
            "required": "Enter a number of days.",
            "invalid": "Use a number of days from 1 to 3650.",
        },
    )
    required_fields = ("name", "expires_days")
