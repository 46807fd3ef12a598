"""Sign in and sign out. Everything else in the operator portal requires a signed-in operator."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.forms.utils import ErrorDict
from django.http import HttpRequest, HttpResponse
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters

from onramp.accounts.forms import LoginForm
from onramp.accounts.login import locked_for, login_failed, login_succeeded, throttled_message


@method_decorator(sensitive_post_parameters("password"), name="dispatch")
class LoginView(auth_views.LoginView):
    """Audits every sign-in; while an email or address has failed too often the password is
    not checked at all (429)."""

    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def typed_email(self) -> str:
        return self.request.POST.get("username", "").strip().lower()[:254]

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        seconds = locked_for(self.typed_email(), getattr(request, "client_ip", None))
        if seconds is None:
            return super().post(request, *args, **kwargs)
        form = self.get_form()
        form._errors, form.cleaned_data = ErrorDict(), {}  # not validated: no password check
        form.add_error(None, throttled_message(seconds))
        return self.render_to_response(self.get_context_data(form=form), status=429)

    def form_valid(self, form: LoginForm) -> HttpResponse:
        login_succeeded(form.get_user())
        return super().form_valid(form)

    def form_invalid(self, form: LoginForm) -> HttpResponse:
        if form.has_error("__all__", "invalid_login") or form.has_error("__all__", "inactive"):
            login_failed(self.typed_email(), getattr(self.request, "client_ip", None))
        return super().form_invalid(form)


class LogoutView(auth_views.LogoutView):
    """POST only (Django's own rule): a link or an image cannot sign an operator out."""
