"""The wizard's pages for "Create the app registration for me" (CONTRACT §5): the name and
**Sign in with Microsoft**, Microsoft's way back (``/invite/callback``), then one page per
creation at ``/invite/created/<id>`` — review, progress, the device code, the end — usable only
by the browser session that signed in.

Thin: the session's binding value, a service call, a page. The invitation link's own page
(``invitations.views``) hands the name page and its post over to ``name_page`` and ``submit``.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from onramp.core.errors import InvalidState
from onramp.core.ratelimit import link_attempt_wait
from onramp.core.security import STRICT
from onramp.createdapp.forms import CREATED_APP, AppNameForm
from onramp.createdapp.models import AppCreation, CreationStatus, StepStatus
from onramp.createdapp.services import (
    InvitationClosed,
    SignInStopped,
    bound_to,
    creation_approve,
    creation_kick,
    creation_of,
    default_app_name,
    device_poll,
    permissions_wanted,
    sign_in_callback,
    sign_in_start,
    signed_in,
)
from onramp.invitations.models import OPEN_STATUSES, Invitation
from onramp.invitations.views import (
    STEPS,
    _gone,
    _not_found,
    _page,
    _refused,
    wizard_csrf_protect,
    wizard_response,
)

SESSION_KEY = "onramp_sign_in"
REFRESH_SECONDS = 3


def _binding(request: HttpRequest, *, create: bool = False) -> str | None:
    """A random value this browser session holds: the sign-in is bound to it."""
    value = request.session.get(SESSION_KEY)
    if value is None and create:
        value = request.session[SESSION_KEY] = secrets.token_urlsafe(32)
    return value


def _creation_url(creation: AppCreation) -> str:
    return reverse("invitations:created-app", args=[creation.pk])


def name_page(
    request: HttpRequest,
    invitation: Invitation,
    form: AppNameForm | None = None,
    *,
    alert: dict | None = None,
    status: int = 200,
) -> HttpResponse:
    """The app's name and Sign in with Microsoft; a creation under way in this browser goes
    to its own page instead."""
    creation = creation_of(invitation)
    if form is None and creation is not None and bound_to(creation, _binding(request)):
        if creation.status in (CreationStatus.RUNNING, CreationStatus.DONE) or signed_in(creation):
            return HttpResponseRedirect(_creation_url(creation))
    if form is None:
        name = creation.app_name if creation else default_app_name(invitation)
        form = AppNameForm(initial={"app_name": name})
    response = _page(
        request,
        "createdapp/name.html",
        {
            "step": 2,
            "steps": STEPS,
            "form": form,
            "alert": alert,
            "method": CREATED_APP,
            "device": request.GET.get("sign_in") == "device",
            "creation": creation,
            "permissions": permissions_wanted(),
            "roles": settings.REQUIRED_DIRECTORY_ROLES,
        },
        status=status,
        invitation=invitation,
    )
    # The sign-in form's answer redirects to Microsoft: allowed as a form target here only.
    authority = urlsplit(settings.MICROSOFT_AUTHORITY)
    response["Content-Security-Policy"] = _csp_with_form_target(
        f"{authority.scheme}://{authority.netloc}"
    )
    return response


def _csp_with_form_target(origin: str) -> str:
    return STRICT.replace("form-action 'self'", f"form-action 'self' {origin}")


def submit(request: HttpRequest, invitation: Invitation) -> HttpResponse:
    form = AppNameForm(request.POST)
    if not form.is_valid():
        return name_page(request, invitation, form, status=422)
    device = request.POST.get("sign_in") == "device"
    try:
        creation, auth_uri = sign_in_start(
            invitation=invitation,
            app_name=form.cleaned_data["app_name"],
            binding=_binding(request, create=True) or "",
            redirect_uri=f"{settings.PUBLIC_URL}/invite/callback",
            device=device,
        )
    except SignInStopped as exc:
        alert = {"title": exc.title, "text": exc.message}
        return name_page(request, invitation, form, alert=alert, status=exc.status)
    return HttpResponseRedirect(auth_uri or _creation_url(creation))


def _stopped(
    request: HttpRequest, creation: AppCreation | None, exc: SignInStopped
) -> HttpResponse:
    return _page(
        request,
        "createdapp/stopped.html",
        {
            "step": 2,
            "steps": STEPS,
            "title": exc.title,
            "text": exc.message,
            "creation": creation,
            "rows": [],
        },
        status=exc.status,
        invitation=creation.invitation if creation else None,
    )


@csrf_exempt  # a GET from Microsoft: nothing to protect with a token; the state is the check
@wizard_response
@require_GET
def callback(request: HttpRequest) -> HttpResponse:
    params = {key: request.GET[key] for key in request.GET}
    try:
        creation = sign_in_callback(params=params, binding=_binding(request))
    except InvitationClosed as exc:
        return _gone(request, exc.status)
    except SignInStopped as exc:
        return _stopped(request, None, exc)
    return HttpResponseRedirect(_creation_url(creation))


@csrf_exempt  # checked by the wizard's CSRF check inside, as on the invitation page
@wizard_response
@require_http_methods(["GET", "HEAD", "POST"])
@wizard_csrf_protect
def creation_page(request: HttpRequest, creation_id: str) -> HttpResponse:
    creation = (
        AppCreation.objects.select_related("invitation__service__customer")
        .filter(pk=creation_id)
        .first()
    )
    if creation is None or not bound_to(creation, _binding(request)):
        return _not_found(request)
    status = creation.invitation.effective_status(timezone.now())
    if status not in OPEN_STATUSES and creation.status != CreationStatus.DONE:
        return _gone(request, status)
    if request.method == "POST":
        wait = link_attempt_wait(request, "wizard", str(creation.pk))
        if wait is not None:
            return _refused(request, 429, wait)
    try:
        if request.method == "POST":
            creation_approve(creation_id=creation.pk, binding=_binding(request))
            return HttpResponseRedirect(_creation_url(creation))
        if creation.status == CreationStatus.SIGNING_IN:
            creation = device_poll(creation=creation, binding=_binding(request))
    except InvitationClosed as exc:
        return _gone(request, exc.status)
    except SignInStopped as exc:
        return _stopped(request, creation, exc)
    except InvalidState as exc:
        return _stopped(request, creation, SignInStopped("This cannot be done now", str(exc)))
    creation.refresh_from_db()
    return _creation_state(request, creation)


def _refreshing(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """The page reloads itself without JavaScript (the ``Refresh`` header) unless the admin
    stopped it (``?refresh=off``, WCAG 2.2.1)."""
    if request.GET.get("refresh") != "off":
        response["Refresh"] = str(REFRESH_SECONDS)
    return response


def _creation_state(request: HttpRequest, creation: AppCreation) -> HttpResponse:
    invitation = creation.invitation
    refresh = request.GET.get("refresh") != "off"
    context = {"creation": creation, "step": 2, "steps": STEPS, "refresh": refresh}
    if creation.status == CreationStatus.SIGNING_IN:
        page = _page(request, "createdapp/device.html", context, invitation=invitation)
        return _refreshing(request, page)
    if creation.status == CreationStatus.SIGNED_IN:
        context["permissions"] = permissions_wanted()
        context["roles"] = settings.REQUIRED_DIRECTORY_ROLES
        return _page(request, "createdapp/review.html", context, invitation=invitation)
    creation_kick(creation)
    context["rows"] = [
        {"label": step.get_name_display(), "status": step.status, "message": step.message}
        for step in creation.steps.all()
    ]
    if creation.status == CreationStatus.DONE:
        context.update(step=3, result=_done_result(creation))
        return _page(request, "invitations/wizard/done.html", context, invitation=invitation)
    if creation.status == CreationStatus.STOPPED:
        context.update(title="", text="")
        return _page(request, "createdapp/stopped.html", context, invitation=invitation)
    context["done_count"] = sum(row["status"] == StepStatus.DONE for row in context["rows"])
    page = _page(request, "createdapp/progress.html", context, invitation=invitation)
    return _refreshing(request, page)


def _done_result(creation: AppCreation) -> dict:
    invitation = creation.invitation
    return {
        "tenant": {
            "display_name": creation.tenant_display_name,
            "default_domain": creation.tenant_default_domain,
        },
        "client_secret_expires_at": invitation.certificate_expires_at,
    }
