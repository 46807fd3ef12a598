"""The public Invitation wizard (CONTRACT.md §5): the customer admin's only page, no login.

Thin: look the link up, count the attempt, call ``invitation_authenticate``, render. Every
response carries the wizard's headers, and every failure is logged with the token masked
(Django's own 4xx log line would print the path, token included).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import render
from django.utils import timezone
from django.utils.decorators import decorator_from_middleware
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from onramp.core.errors import InvalidState, MicrosoftUnavailable
from onramp.core.ratelimit import public_link_post
from onramp.core.tokens import mask_token
from onramp.invitations.forms import APP_REGISTRATION, AppRegistrationForm
from onramp.invitations.models import OPEN_STATUSES, Invitation
from onramp.invitations.services import (
    TenantPinned,
    invitation_by_token,
    invitation_open,
    invitation_replaced,
)
from onramp.m365.results import CHECK_LABELS, CheckState, ValidationResult
from onramp.services.onboarding import invitation_authenticate

logger = logging.getLogger("onramp.wizard")

WIZARD_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex",
}
STEPS = ("Choose how to connect", "Enter the app registration", "Done")
# What each default permission is for, in words an M365 admin can weigh before granting it.
PURPOSES = {
    "Organization.Read.All": "Read your organization's name and verified domains.",
    "Application.Read.All": "Read when this app registration's client secret expires, "
    "so you are warned before it does.",
    "User.ReadWrite.All": "Set up the users who will make and receive phone calls in Teams.",
    "Domain.ReadWrite.All": "Add and verify the domain of the provider's session border "
    "controller (SBC) in your tenant.",
    "Teams Administrator": "Configure Teams voice: Direct Routing, voice routes and phone numbers.",
}
REFUSED_TITLES = {400: "This form could not be read", 413: "This form is too large"}
GONE_TITLES = {
    "expired": "This invitation has expired",
    "revoked": "This invitation was withdrawn",
    "completed": "This invitation has already been used",
}


# --- the frame every response goes through ------------------------------------------------


def _masked_path(request: HttpRequest) -> str:
    prefix, _, rest = request.path.partition("/invite/")
    return f"{prefix}/invite/{mask_token(rest)}" if rest else request.path


def wizard_response(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Headers for every wizard response; failures logged here with the token masked."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            response = view(request, *args, **kwargs)
        except Exception:
            # Django's own report of an uncaught exception would log the path, token included.
            logger.exception("Error in the invitation wizard: %s", _masked_path(request))
            response = _page(request, "invitations/wizard/error.html", {}, status=500)
            response._has_been_logged = True
            return _with_headers(response)
        if response.status_code >= 400:
            level = logging.ERROR if response.status_code >= 500 else logging.WARNING
            logger.log(level, "%s: %s", response.reason_phrase, _masked_path(request))
            response._has_been_logged = True
        return _with_headers(response)

    return wrapped


def _with_headers(response: HttpResponse) -> HttpResponse:
    for name, value in WIZARD_HEADERS.items():
        response[name] = value
    return response


class _WizardCsrf(CsrfViewMiddleware):
    """Django's CSRF checks with two wizard-specific differences.

    The page is sent with ``Referrer-Policy: no-referrer``, so browsers post its form with
    ``Origin: null``; that origin is accepted when the browser says the request is same-origin
    (``Sec-Fetch-Site``) or says nothing. The token check is unchanged. A refusal is our own
    page instead of Django's technical one.
    """

    def _origin_verified(self, request: HttpRequest) -> bool:
        if request.META.get("HTTP_ORIGIN") == "null":
            return request.META.get("HTTP_SEC_FETCH_SITE", "same-origin") == "same-origin"
        return super()._origin_verified(request)

    def _reject(self, request: HttpRequest, reason: str) -> HttpResponse:
        return _page(request, "invitations/wizard/csrf.html", {}, status=403)


wizard_csrf_protect = decorator_from_middleware(_WizardCsrf)


def _page(
    request: HttpRequest,
    template: str,
    context: dict,
    *,
    status: int = 200,
    invitation: Invitation | None = None,
) -> HttpResponse:
    if invitation is not None:
        service = invitation.service
        context = {
            "provider": service.provider,
            "service": service,
            "customer": service.customer,
            "invitation": invitation,
            **context,
        }
    context.setdefault("secure", request.is_secure())
    context.setdefault("host", urlsplit(settings.PUBLIC_URL).netloc)
    return render(request, template, context, status=status)


# --- the view ---------------------------------------------------------------------------


def _refused(request: HttpRequest, status: int, retry_after: int | None) -> HttpResponse:
    """A post refused before it is read: too many attempts (429), too large (413), too many
    fields (400)."""
    if retry_after is None:
        context = {"title": REFUSED_TITLES[status]}
        return _page(request, "invitations/wizard/refused.html", context, status=status)
    response = _page(
        request,
        "invitations/wizard/rate_limited.html",
        {"minutes": max(1, -(-retry_after // 60))},
        status=status,
    )
    response["Retry-After"] = str(retry_after)
    return response


@csrf_exempt  # checked by _WizardCsrf inside, so that its refusal gets the wizard's headers
@sensitive_post_parameters("client_secret")
@wizard_response
@require_http_methods(["GET", "HEAD", "POST"])
@public_link_post("wizard", _refused)
@wizard_csrf_protect
def wizard(request: HttpRequest, token: str) -> HttpResponse:
    invitation = invitation_by_token(token)
    if invitation is None:
        replaced = invitation_replaced(token)
        return _not_found(request) if replaced is None else _replaced(request, replaced)
    status = invitation.effective_status(timezone.now())
    if status not in OPEN_STATUSES:
        return _gone(request, status)
    from onramp.createdapp import views as created_app
    from onramp.createdapp.services import sign_in_offered

    offered = sign_in_offered()
    if request.method == "POST":
        if offered and request.POST.get("method") == created_app.CREATED_APP:
            return created_app.submit(request, invitation)
        return _submit(request, invitation)
    if request.method == "GET":
        invitation_open(invitation=invitation)
    if request.GET.get("method") == APP_REGISTRATION:
        return _form_page(request, invitation, AppRegistrationForm())
    if offered and request.GET.get("method") == created_app.CREATED_APP:
        return created_app.name_page(request, invitation)
    return _page(
        request,
        "invitations/wizard/landing.html",
        {
            "step": 1,
            "steps": STEPS,
            "permissions": _requirements(settings.REQUIRED_GRAPH_PERMISSIONS),
            "roles": _requirements(settings.REQUIRED_DIRECTORY_ROLES),
            "method": APP_REGISTRATION,
            "created_app": created_app.CREATED_APP if offered else None,
        },
        invitation=invitation,
    )


def _not_found(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    """Unknown link: says nothing about any service."""
    return _page(request, "invitations/wizard/not_found.html", {}, status=404)


# Any other path under /invite/ answers like an unknown link.
unknown_path = csrf_exempt(wizard_response(_not_found))


def _gone(request: HttpRequest, status: str) -> HttpResponse:
    return _page(
        request,
        "invitations/wizard/gone.html",
        {"state": status, "title": GONE_TITLES.get(status, "This invitation is closed")},
        status=410,
    )


def _replaced(request: HttpRequest, invitation: Invitation) -> HttpResponse:
    """A resend made a newer link: say where it went (masked) and whom to ask, nothing more."""
    local, _, domain = invitation.admin_email.partition("@")
    return _page(
        request,
        "invitations/wizard/replaced.html",
        {"provider": invitation.service.provider, "sent_to": f"{local[:1]}•••@{domain}"},
        status=410,
    )


def _submit(request: HttpRequest, invitation: Invitation) -> HttpResponse:
    form = AppRegistrationForm(request.POST)
    if not form.is_valid():
        return _form_page(request, invitation, form, status=422)
    try:
        result = invitation_authenticate(invitation=invitation, **form.cleaned_data)
    except TenantPinned as exc:
        alert = {"title": "This invitation is connected to another tenant", "text": exc.detail}
        return _form_page(request, invitation, form, alert=alert, status=409)
    except MicrosoftUnavailable as exc:
        return _unavailable(request, invitation, form, exc.validation)
    except InvalidState:
        current = Invitation.objects.get(pk=invitation.pk).effective_status(timezone.now())
        return _gone(request, current if current not in OPEN_STATUSES else "expired")
    if result.ok:
        return _page(
            request,
            "invitations/wizard/done.html",
            {
                "step": 3,
                "steps": STEPS,
                "result": result,
                "days_left": result.days_until_expire(result.validated_at.date()),
                "checks": _checks(result),
            },
            invitation=invitation,
        )
    alert = {"title": "The credentials could not be verified", "text": result.message}
    return _form_page(request, invitation, form, alert=alert, checks=_checks(result), status=422)


def _unavailable(
    request: HttpRequest, invitation: Invitation, form: AppRegistrationForm, result
) -> HttpResponse:
    alert = {
        "title": "Microsoft could not be reached",
        "text": (
            "Microsoft did not answer, so your credentials could not be checked. Nothing was "
            "stored — try again in a moment."
        ),
        "detail": result.message,
    }
    # CONTRACT §5: a failed submission shows the form again with 200 or 422.
    response = _form_page(request, invitation, form, alert=alert, status=200)
    if result.retry_after:
        response["Retry-After"] = str(result.retry_after)
    return response


def _form_page(
    request: HttpRequest,
    invitation: Invitation,
    form: AppRegistrationForm,
    *,
    alert: dict | None = None,
    checks: dict | None = None,
    status: int = 200,
) -> HttpResponse:
    return _page(
        request,
        "invitations/wizard/form.html",
        {
            "step": 2,
            "steps": STEPS,
            "form": form,
            "alert": alert,
            "checks": checks,
            "method": APP_REGISTRATION,
            "permissions": _requirements(settings.REQUIRED_GRAPH_PERMISSIONS),
            "roles": _requirements(settings.REQUIRED_DIRECTORY_ROLES),
        },
        status=status,
        invitation=invitation,
    )


def _requirements(names: list[str]) -> list[dict[str, str]]:
    return [{"name": name, "purpose": PURPOSES.get(name, "")} for name in names]


def _checks(result: ValidationResult) -> dict:
    """Failing checks first, then the passed ones; checks that could not run are only named."""
    rows, skipped = [], []
    for check in result.checks:
        label = CHECK_LABELS.get(check.name, check.name)
        if check.state is CheckState.NOT_RUN:
            skipped.append(label)
            continue
        rows.append({"label": label, "state": check.state.value, "message": check.message})
    rows.sort(key=lambda row: row["state"] == "ok")
    return {"rows": rows, "skipped": skipped}
