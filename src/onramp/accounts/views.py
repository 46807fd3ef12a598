"""Sign in (password, then the second factor), sign out, the emailed set-up link and the
operator's own Account page. Everything else in the portal requires a complete sign-in
(accounts.middleware)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.forms.utils import ErrorDict
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.cache import add_never_cache_headers
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.models import Device

from onramp.accounts.forms import (
    CodeForm,
    EnrolForm,
    LoginForm,
    PasswordChangeForm,
    SetupForm,
    TokenForm,
)
from onramp.accounts.login import locked_for, login_failed, login_succeeded, throttled_message
from onramp.accounts.models import AuthenticatorApp, Operator
from onramp.accounts.second_factor import (
    WRONG_CODE,
    code_verify,
    confirmed_totp,
    enrolment_for,
    needs_second_factor,
    next_step_url,
    recovery_codes_left,
)
from onramp.accounts.selectors import token_get, tokens_of
from onramp.accounts.services.own import (
    enrol_at_sign_in,
    password_change,
    recovery_codes_regenerate,
)
from onramp.accounts.services.setup_links import (
    SETUP_UNUSABLE,
    operator_setup_complete,
    setup_by_token,
)
from onramp.accounts.services.tokens import token_create, token_revoke
from onramp.core.actors import Actor
from onramp.core.errors import InvalidInput, InvalidState
from onramp.core.ratelimit import public_link_post
from onramp.core.views.ui import operator_page, render_page


def _client_ip(request: HttpRequest) -> str | None:
    return getattr(request, "client_ip", None)


@method_decorator(sensitive_post_parameters("password"), name="dispatch")
class LoginView(auth_views.LoginView):
    """The password step. Audits failures; while an email or address has failed too often the
    password is not checked at all (429). Success is audited once the second factor is given."""

    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def typed_email(self) -> str:
        return self.request.POST.get("username", "").strip().lower()[:254]

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        seconds = locked_for(self.typed_email(), _client_ip(request))
        if seconds is None:
            return super().post(request, *args, **kwargs)
        form = self.get_form()
        form._errors, form.cleaned_data = ErrorDict(), {}  # not validated: no password check
        form.add_error(None, throttled_message(seconds))
        return self.render_to_response(self.get_context_data(form=form), status=429)

    def form_valid(self, form: LoginForm) -> HttpResponse:
        operator = form.get_user()
        response = super().form_valid(form)
        if operator.second_factor_exempt:
            login_succeeded(operator, "exempt")
            return response
        return redirect(next_step_url(operator, self.get_success_url()))

    def form_invalid(self, form: LoginForm) -> HttpResponse:
        if form.has_error("__all__", "invalid_login") or form.has_error("__all__", "inactive"):
            login_failed(self.typed_email(), _client_ip(self.request))
        return super().form_invalid(form)


class LogoutView(auth_views.LogoutView):
    """POST only (Django's own rule): a link or an image cannot sign an operator out."""


# --- the second step -----------------------------------------------------------------------


def _next(request: HttpRequest) -> str:
    """Where to go after signing in: ``next`` when it stays on this site."""
    target = request.POST.get("next") or request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _step_or_elsewhere(request: HttpRequest, enrolling: bool) -> HttpResponse | None:
    """None when this step is the one the session needs; else where to send it instead."""
    if not request.user.is_authenticated:
        return redirect("login")
    if not needs_second_factor(request.user):
        return redirect(_next(request))
    if (confirmed_totp(request.user) is None) != enrolling:
        return redirect(next_step_url(request.user, _next(request)))
    return None


def _complete(request: HttpRequest, operator: Operator, device: Device, how: str) -> None:
    """The second factor is given: mark the session verified under a new session key (the
    session now carries more rights than the one that only had the password) and audit it."""
    otp_login(request, device)
    request.session.cycle_key()
    login_succeeded(operator, how)


def _locked(request: HttpRequest, context: dict) -> HttpResponse | None:
    """While the email or address is locked out the code is not even checked (429)."""
    seconds = locked_for(request.user.email, _client_ip(request))
    if seconds is None:
        return None
    context = {**context, "form": CodeForm(), "alert": throttled_message(seconds)}
    return render(request, "accounts/code.html", context, status=429)


@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def login_code(request: HttpRequest) -> HttpResponse:
    """A code from the app or a recovery code. Wrong codes count like wrong passwords."""
    if elsewhere := _step_or_elsewhere(request, enrolling=False):
        return elsewhere
    operator = request.user
    form = CodeForm(request.POST if request.method == "POST" else None)
    context = {"form": form, "next": _next(request)}
    if request.method == "POST":
        if locked := _locked(request, context):
            return locked
        if form.is_valid():
            device = code_verify(operator, form.cleaned_data["code"])
            if device is not None:
                used = "app" if isinstance(device, AuthenticatorApp) else "recovery code"
                _complete(request, operator, device, used)
                return redirect(context["next"])
            login_failed(operator.email, _client_ip(request), wrong_code=True)
            form.add_error("code", WRONG_CODE)
    return render(request, "accounts/code.html", context, status=422 if form.is_bound else 200)


@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def login_enrol(request: HttpRequest) -> HttpResponse:
    """First sign-in without an app: add the key to an app, confirm with a code, then see the
    recovery codes once."""
    if elsewhere := _step_or_elsewhere(request, enrolling=True):
        return elsewhere
    operator = request.user
    form = EnrolForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            device, codes = enrol_at_sign_in(operator, form.cleaned_data["code"])
        except InvalidState:  # another tab enrolled meanwhile: the code step it is
            return redirect(next_step_url(operator, _next(request)))
        except InvalidInput as error:
            form.add_domain_errors(error.errors)
        else:
            _complete(request, operator, device, "enrolled")
            context = {"codes": codes, "next": _next(request)}
            return render(request, "accounts/recovery_codes.html", context)
    context = {"form": form, "enrolment": enrolment_for(operator), "next": _next(request)}
    return render(request, "accounts/enrol.html", context, status=422 if form.is_bound else 200)


# --- the emailed set-up link ---------------------------------------------------------------


SETUP_REFUSED = {
    400: (
        "This form could not be read",
        "The form sent holds more fields than this page sends. Open the link again.",
    ),
    413: (
        "This form is too large",
        "The form sent is larger than this page sends. Open the link again.",
    ),
}


def _setup_unusable(request: HttpRequest) -> HttpResponse:
    context = {"message": SETUP_UNUSABLE}
    return render(request, "accounts/setup_unusable.html", context, status=404)


def _setup_refused(request: HttpRequest, status: int, retry_after: int | None) -> HttpResponse:
    """A post refused before it is read: too many attempts (429), too large (413), too many
    fields (400)."""
    if retry_after is None:
        title, message = SETUP_REFUSED[status]
        context = {"title": title, "message": message}
        return render(request, "accounts/setup_unusable.html", context, status=status)
    context = {"message": throttled_message(retry_after)}
    response = render(request, "accounts/setup_unusable.html", context, status=status)
    response["Retry-After"] = str(retry_after)
    return response


@never_cache
@sensitive_post_parameters("new_password", "new_password_again", "code")
@require_http_methods(["GET", "POST"])
@csrf_exempt  # checked by csrf_protect below, once the attempt is counted and the body read
@public_link_post("setup", _setup_refused)
@csrf_protect
def operator_setup(request: HttpRequest, token: str) -> HttpResponse:
    """Password and authenticator app in one form; the link works once. Unknown, expired and
    used links read the same. Attempts are rate-limited per link and per address."""
    setup = setup_by_token(token)
    if setup is None:
        return _setup_unusable(request)
    form = SetupForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        values = form.cleaned_data
        try:
            done = operator_setup_complete(
                setup=setup,
                password=values["new_password"],
                password_again=values["new_password_again"],
                code=values["code"],
            )
        except InvalidState:
            return _setup_unusable(request)
        except InvalidInput as error:
            form.add_domain_errors(error.errors)
        else:
            auth_login(request, done.operator, backend=settings.AUTHENTICATION_BACKENDS[0])
            _complete(request, done.operator, done.device, "enrolled")
            context = {"codes": done.recovery_codes, "next": _next(request)}
            return render(request, "accounts/recovery_codes.html", context)
    context = {"form": form, "enrolment": enrolment_for(setup.operator), "operator": setup.operator}
    return render(request, "accounts/setup.html", context, status=422 if form.is_bound else 200)


# --- the Account page ------------------------------------------------------------------------


def _account(request: HttpRequest, status: int = 200, **context: object) -> HttpResponse:
    operator = request.user
    page = {
        "password_form": PasswordChangeForm(),
        "token_form": TokenForm(),
        "has_app": confirmed_totp(operator) is not None,
        "recovery_codes_left": recovery_codes_left(operator),
        "tokens": tokens_of(operator),
        **context,
    }
    return render_page(request, "accounts/account.html", page, status=status, section="account")


def _shown_once(response: HttpResponse) -> HttpResponse:
    """A page holding a new API token or recovery codes: no cache (browser, proxy, back
    button) may keep a copy."""
    add_never_cache_headers(response)
    return response


@operator_page
@require_http_methods(["GET"])
def account(request: HttpRequest) -> HttpResponse:
    return _account(request)


@operator_page
@sensitive_post_parameters("current_password", "new_password", "new_password_again")
@require_POST
def account_password(request: HttpRequest) -> HttpResponse:
    """The session stays signed in (and verified) after the change. A wrong current password
    counts in the sign-in lock-out (a stolen session must not guess it freely); while locked
    out it is not even checked (429)."""
    form = PasswordChangeForm(request.POST)
    seconds = locked_for(request.user.email, _client_ip(request))
    if form.is_valid() and seconds:
        form.add_error("current_password", throttled_message(seconds))
        return _account(request, 429, password_form=form)
    if form.is_valid():
        values = form.cleaned_data
        try:
            password_change(
                operator=request.user,
                current=values["current_password"],
                password=values["new_password"],
                password_again=values["new_password_again"],
            )
        except InvalidInput as error:
            if "current_password" in error.errors:
                login_failed(request.user.email, _client_ip(request))
            form.add_domain_errors(error.errors)
        else:
            update_session_auth_hash(request, request.user)
            messages.success(request, "Your password was changed.")
            return redirect("account")
    return _account(request, 422, password_form=form)


@operator_page
@require_POST
def account_recovery_codes(request: HttpRequest) -> HttpResponse:
    codes = recovery_codes_regenerate(request.user)
    return _shown_once(_account(request, recovery_codes=codes))


@operator_page
@require_POST
def account_token_create(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST)
    if form.is_valid():
        try:
            issued = token_create(
                actor=Actor.for_operator(request.user),
                operator=request.user,
                name=form.cleaned_data["name"],
                expires_days=form.cleaned_data["expires_days"],
            )
        except InvalidInput as error:
            form.add_domain_errors(error.errors)
        else:
            return _shown_once(_account(request, issued=issued))
    return _account(request, 422, token_form=form)


@operator_page
@require_http_methods(["GET", "POST"])
def account_token_revoke(request: HttpRequest, token_id: str) -> HttpResponse:
    """GET asks to confirm; POST revokes. Another operator's token is not found (404)."""
    token = token_get(request.user, token_id)
    if request.method == "GET":
        return render_page(request, "accounts/token_revoke.html", {"token": token})
    token_revoke(actor=Actor.for_operator(request.user), token=token)
    messages.success(request, f"The token “{token.name}” was revoked.")
    return redirect("account")
