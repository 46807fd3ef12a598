"""The service portal's Configuration → M365 Configuration (SPEC.md step 8) and its actions:
Validate Authentication, renew the client secret, enter the expiry date by hand, and
Re-initiate Authentication Flow."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from onramp.accounts.scoping import require
from onramp.connections.expiry import band_for, days_until
from onramp.connections.models import ExpirySource
from onramp.connections.services import (
    connection_replace_secret,
    connection_set_expiry,
    connection_validate,
)
from onramp.core.actors import Actor
from onramp.core.errors import InvalidInput, MicrosoftUnavailable, RateLimited, ValidationFailed
from onramp.core.views.ui import operator_page, render_page
from onramp.services.forms import ExpiryForm, ReinitiateForm, ReplaceSecretForm
from onramp.services.models import Service
from onramp.services.onboarding import service_reinitiate
from onramp.services.selectors import connection_of, last_validation, newest_invitation, service_get
from onramp.services.views.checks import check_items, grants, result_items, unavailable_context
from onramp.services.views.portal import open_invitation

SECRET_NOT_REPLACED = {
    "text": "The client secret was not replaced; the stored one is unchanged.",
    "anchor": "renew-secret",
    "link": "See why under Renew the client secret",
}
EXPIRY_NOT_SAVED = {
    "text": "The expiry date was not saved.",
    "anchor": "enter-expiry",
    "link": "Correct it under Secret expiry date",
}


def m365_context(service: Service, **extra: Any) -> dict[str, Any]:
    """Everything the M365 Configuration page shows, from the connection and the newest run."""
    connection = connection_of(service)
    run = last_validation(service)
    invitation = open_invitation(service)
    days = days_until(connection.secret_expires_at) if connection else None
    context: dict[str, Any] = {
        "service": service,
        "connection": connection,
        "days_left": days,
        "band": band_for(days),
        "operator_entered": connection is not None
        and connection.secret_expiry_source == ExpirySource.OPERATOR,
        "expiry_entry_offered": connection is not None
        and connection.secret_expiry_source != ExpirySource.MICROSOFT,
        "run": run,
        "run_checks": check_items(run.result["checks"]) if run else [],
        "open_invitation": invitation,
        "invitation_status": invitation.effective_status(timezone.now()) if invitation else "",
        "tab": "m365",
        "secret_form": ReplaceSecretForm(),
        "expiry_form": ExpiryForm(),
    }
    if connection is not None:
        context.update(grants(connection.granted_permissions, connection.assigned_roles))
    context.update(extra)
    return context


def _page(request: HttpRequest, service: Service, status: int = 200, **extra: Any) -> HttpResponse:
    return render_page(
        request,
        "services/m365.html",
        m365_context(service, **extra),
        status=status,
        section="services",
    )


@operator_page
@require_GET
def m365_view(request: HttpRequest, service_id: str) -> HttpResponse:
    return _page(request, service_get(request.user, service_id))


@operator_page
@require_POST
def m365_validate(request: HttpRequest, service_id: str) -> HttpResponse:
    """Validate Authentication: every check, live; the result becomes the last validation."""
    operator = request.user
    service = service_get(operator, service_id)
    try:
        run = connection_validate(actor=Actor.for_operator(operator), service=service)
    except MicrosoftUnavailable as error:
        return _page(request, service, 503, **unavailable_context(error.validation))
    except RateLimited as error:
        response = _page(request, service, 429, refused=error.detail)
        response["Retry-After"] = str(error.retry_after)
        return response
    if run.ok:
        messages.success(request, f"Validation passed: {run.message}")
    else:
        messages.error(request, f"Validation failed: {run.message}")
    return redirect("services:m365", service_id=service.pk)


@operator_page
@sensitive_post_parameters("client_secret")
@require_POST
def m365_secret(request: HttpRequest, service_id: str) -> HttpResponse:
    """Renew the client secret: stored once Microsoft issues a token with it; other failing
    checks are shown but do not block the renewal."""
    operator = request.user
    service = service_get(operator, service_id)
    form = ReplaceSecretForm(request.POST)
    form.is_valid()
    try:
        _, result = connection_replace_secret(
            actor=Actor.for_operator(operator),
            service=service,
            client_secret=form.cleaned_data.get("client_secret", ""),
        )
    except InvalidInput as error:
        form.add_domain_errors(error.errors)
        return _page(request, service, 422, secret_form=form, top_alert=SECRET_NOT_REPLACED)
    except ValidationFailed as error:
        form.add_error("client_secret", error.validation.message)
        attempt = {"message": error.validation.message, "checks": result_items(error.validation)}
        return _page(
            request,
            service,
            422,
            secret_form=form,
            secret_attempt=attempt,
            top_alert=SECRET_NOT_REPLACED,
        )
    except MicrosoftUnavailable as error:
        return _page(request, service, 503, **unavailable_context(error.validation))
    messages.success(request, "The new client secret was accepted by Microsoft and stored.")
    if not result.ok:
        messages.warning(
            request,
            f"Other checks failed and need attention: {result.message} "
            "They did not block the renewal.",
        )
    return redirect("services:m365", service_id=service.pk)


@operator_page
@require_POST
def m365_expiry(request: HttpRequest, service_id: str) -> HttpResponse:
    """The expiry date by hand, offered only while Microsoft cannot tell it."""
    operator = request.user
    service = service_get(operator, service_id)
    require(operator, "connection.renew_secret")
    form = ExpiryForm(request.POST)
    if not form.is_valid():
        return _page(request, service, 422, expiry_form=form, top_alert=EXPIRY_NOT_SAVED)
    try:
        connection_set_expiry(
            actor=Actor.for_operator(operator), service=service, expires_at=form.expires_at()
        )
    except InvalidInput as error:
        form.add_error("expires_on", error.errors["expires_at"])
        return _page(request, service, 422, expiry_form=form, top_alert=EXPIRY_NOT_SAVED)
    messages.success(
        request,
        f"The client secret's expiry date was set to {form.cleaned_data['expires_on']:%Y-%m-%d} "
        "(entered by an operator).",
    )
    return redirect("services:m365", service_id=service.pk)


@operator_page
@never_cache
@require_http_methods(["GET", "POST"])
def m365_reinitiate(request: HttpRequest, service_id: str) -> HttpResponse:
    """A new invitation to the customer's admin; the current connection stays until Add."""
    operator = request.user
    service = service_get(operator, service_id)
    require(operator, "connection.reinitiate")
    invitation = newest_invitation(service)
    status = 200
    if request.method == "POST":
        form = ReinitiateForm(request.POST)
        form.is_valid()
        try:
            issued = service_reinitiate(
                actor=Actor.for_operator(operator),
                service=service,
                admin_email=form.cleaned_data.get("admin_email", ""),
            )
        except InvalidInput as error:
            form.add_domain_errors(error.errors)
            status = 422
        else:
            context = {"invitation": issued.invitation, "link": issued.link, "reinitiated": True}
            return render_page(
                request, "services/invitation_link.html", context, section="services"
            )
    else:
        form = ReinitiateForm(initial={"admin_email": invitation.admin_email if invitation else ""})
    context = {
        "service": service,
        "form": form,
        "tab": "m365",
        "open_invitation": open_invitation(service),
    }
    return render_page(
        request, "services/reinitiate.html", context, status=status, section="services"
    )
