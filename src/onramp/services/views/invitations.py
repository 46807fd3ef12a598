"""Pending Invitations (SPEC.md steps 6 and 7): the list, Resend, Revoke, and Add → Next."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from onramp.accounts.scoping import require
from onramp.connections.expiry import days_until
from onramp.core.actors import Actor
from onramp.core.errors import MicrosoftUnavailable, ValidationFailed
from onramp.core.views.ui import (
    choice,
    error_page,
    operator_page,
    paginate,
    render_page,
    row_url,
    sort_headers,
    sorting,
)
from onramp.invitations.models import InvitationStatus
from onramp.invitations.selectors import invitation_get, pending_invitations, with_status
from onramp.invitations.services import RESENDABLE, invitation_resend
from onramp.services.models import NEVER_ACTIVE
from onramp.services.onboarding import invitation_revoke, service_activate
from onramp.services.views.checks import grants, result_items, unavailable_context
from onramp.services.views.portal import customer_filter
from onramp.tenancy.selectors import customers_visible

LISTED_STATUSES = [
    (InvitationStatus.PENDING, "Pending"),
    (InvitationStatus.AUTHENTICATED, "Authenticated"),
    (InvitationStatus.EXPIRED, "Expired"),
    (InvitationStatus.REVOKED, "Revoked"),
]
INVITATION_COLUMNS = {
    "short_name": ("service__short_name_key", "-created_at"),
    "customer": ("customer__name", "-created_at"),
    "created": ("created_at", "id"),
    "expires": ("expires_at", "id"),
}
# The columns a row shows: skipping the credential and tenant columns (JSON, dates, sealed
# secrets) saves decoding a dozen values per row.
LISTED_COLUMNS = (
    "service__id",
    "service__short_name",
    "service__full_name",
    "service__status",
    "customer__id",
    "customer__name",
    "admin_email",
    "status",
    "created_at",
    "expires_at",
    "authenticated_at",
    "authenticated_method",
    "client_id",
    "signed_in_upn",
    "application_object_id",
)
INVITATION_HEADERS = [
    ("short_name", "Short name"),
    ("customer", "Customer"),
    ("created", "Created"),
    ("expires", "Expires"),
]


@operator_page
@require_GET
def invitation_list(request: HttpRequest) -> HttpResponse:
    operator = request.user
    customers = list(customers_visible(operator).select_related(None).only("id", "name"))
    invitations = pending_invitations(operator)
    status = choice(request, "status", [value for value, _ in LISTED_STATUSES])
    customer = customer_filter(request, customers)
    if status:
        invitations = with_status(invitations, status)
    if customer is not None:
        invitations = invitations.filter(customer=customer)
    sort, ordering = sorting(request, INVITATION_COLUMNS, "-created")
    page = paginate(request, invitations.only(*LISTED_COLUMNS).order_by(*ordering))
    now = timezone.now()
    service_urls = {name: row_url(f"services:{name}") for name in ("detail", "delete")}
    invitation_urls = {
        name: row_url(f"services:invitation-{name}") for name in ("add", "resend", "revoke")
    }
    for invitation in page:
        invitation.effective = invitation.effective_status(now)
        invitation.actionable = invitation.effective in RESENDABLE
        invitation.addable = invitation.effective == InvitationStatus.AUTHENTICATED
        invitation.deletable = invitation.service.status in NEVER_ACTIVE
        invitation.urls = {
            **{name: url(invitation.service_id) for name, url in service_urls.items()},
            **{name: url(invitation.pk) for name, url in invitation_urls.items()},
        }
    context = {
        "page": page,
        "customers": customers,
        "statuses": LISTED_STATUSES,
        "status": status,
        "customer": customer,
        "filtered": bool(status or customer),
        "headers": sort_headers(sort, INVITATION_HEADERS),
    }
    return render_page(request, "services/invitations.html", context, section="invitations")


@operator_page
@never_cache
@require_POST
def invitation_resend_view(request: HttpRequest, invitation_id: str) -> HttpResponse:
    """A new link (the old one dies), emailed and shown here once."""
    operator = request.user
    invitation = invitation_get(operator, invitation_id)
    issued = invitation_resend(actor=Actor.for_operator(operator), invitation=invitation)
    context = {"invitation": issued.invitation, "link": issued.link, "resent": True}
    return render_page(request, "services/invitation_link.html", context, section="invitations")


@operator_page
@require_http_methods(["GET", "POST"])
def invitation_revoke_view(request: HttpRequest, invitation_id: str) -> HttpResponse:
    operator = request.user
    invitation = invitation_get(operator, invitation_id)
    require(operator, "invitation.manage")
    if request.method == "POST":
        invitation_revoke(actor=Actor.for_operator(operator), invitation=invitation)
        messages.success(
            request,
            f"The invitation for {invitation.service.short_name} was revoked; "
            "its link no longer works.",
        )
        return redirect("services:invitations")
    status = invitation.effective_status(timezone.now())
    if status not in RESENDABLE:
        return error_page(
            request,
            409,
            "This cannot be done now",
            f"The invitation is {status}; it cannot be revoked.",
        )
    context = {"invitation": invitation, "status": status}
    return render_page(request, "services/invitation_revoke.html", context, section="invitations")


@operator_page
@require_http_methods(["GET", "POST"])
def invitation_add_view(request: HttpRequest, invitation_id: str) -> HttpResponse:
    """Add: the received app registration; Next validates it live and completes onboarding."""
    operator = request.user
    invitation = invitation_get(operator, invitation_id)
    require(operator, "invitation.manage")
    context = {
        "invitation": invitation,
        "service": invitation.service,
        "status": invitation.effective_status(timezone.now()),
        "secret_days": days_until(invitation.secret_expires_at),
        **grants(invitation.granted_permissions, invitation.assigned_roles),
    }
    status = 200
    if request.method == "POST":
        try:
            service, _ = service_activate(actor=Actor.for_operator(operator), invitation=invitation)
        except ValidationFailed as error:
            context["validation"] = {
                "message": error.validation.message,
                "checks": result_items(error.validation),
            }
            status = 422
        except MicrosoftUnavailable as error:
            context.update(unavailable_context(error.validation))
            status = 503
        else:
            messages.success(
                request,
                f"{service.short_name} is active: the app registration was validated and "
                "onboarding is complete.",
            )
            return redirect("services:m365", service_id=service.pk)
    elif context["status"] != InvitationStatus.AUTHENTICATED:
        status = 409
    return render_page(
        request, "services/invitation_add.html", context, status=status, section="invitations"
    )
