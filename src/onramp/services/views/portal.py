"""Dashboard (the services overview), the services list, one service, and deleting one."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from onramp.accounts.scoping import require
from onramp.connections.expiry import WARNING_DAYS, days_until
from onramp.core.actors import Actor
from onramp.core.views.ui import (
    choice,
    operator_page,
    paginate,
    picked,
    render_page,
    sort_headers,
    sorting,
)
from onramp.invitations.models import OPEN_STATUSES, Invitation, InvitationStatus
from onramp.invitations.selectors import pending_invitations, with_status
from onramp.services.models import CONNECTION_FAILING, NEVER_ACTIVE, Service, ServiceStatus
from onramp.services.selectors import (
    connection_of,
    newest_invitation,
    service_get,
    services_visible,
)
from onramp.services.services import service_delete
from onramp.tenancy.selectors import customers_visible

SERVICE_COLUMNS = {
    "short_name": ("short_name_key",),
    "full_name": ("full_name", "short_name_key"),
    "customer": ("customer__name", "short_name_key"),
    "licensed_users": ("licensed_users", "short_name_key"),
    "status": ("status", "short_name_key"),
    "created": ("created_at", "id"),
}
SERVICE_HEADERS = [
    ("short_name", "Short name"),
    ("full_name", "Full name"),
    ("customer", "Customer"),
    ("licensed_users", "Users"),
    ("status", "Status"),
    ("created", "Created"),
]


def _shown_statuses() -> list[tuple[str, str]]:
    """The statuses the Services list filters by and the dashboard counts: each status, with
    "Active · connection failing" (the active services among them) right after "Active"."""
    shown = []
    for value, label in ServiceStatus.choices:
        shown.append((value, label))
        if value == ServiceStatus.ACTIVE:
            shown.append(CONNECTION_FAILING)
    return shown


SHOWN_STATUSES = _shown_statuses()


def with_shown_status(services: QuerySet[Service], status: str) -> QuerySet[Service]:
    if status == CONNECTION_FAILING[0]:
        return services.filter(status=ServiceStatus.ACTIVE, connection_ok=False)
    return services.filter(status=status)


def open_invitation(service: Service) -> Invitation | None:
    """The service's newest invitation while it is pending or authenticated (and unexpired)."""
    invitation = newest_invitation(service)
    if invitation is None or invitation.effective_status(timezone.now()) not in OPEN_STATUSES:
        return None
    return invitation


def customer_filter(request: HttpRequest, customers: list) -> object | None:
    """The ``?customer=`` filter as one of the customers the operator can see, else None."""
    return picked(request, "customer", customers)


@operator_page
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    operator = request.user
    services = services_visible(operator).prefetch_related(None).order_by()
    by_status = dict(services.values_list("status").annotate(n=Count("pk")))
    by_status[CONNECTION_FAILING[0]] = with_shown_status(services, CONNECTION_FAILING[0]).count()
    invitations = pending_invitations(operator)
    soon = timezone.now() + timedelta(days=WARNING_DAYS)
    expiring = list(
        services_visible(operator)
        .prefetch_related(None)
        .filter(status=ServiceStatus.ACTIVE, connection__secret_expires_at__lt=soon)
        .select_related("connection")
        .order_by("connection__secret_expires_at")[:10]
    )
    for service in expiring:
        service.days_left = days_until(service.connection.secret_expires_at)
    context = {
        "service_tiles": [
            (value, label, by_status.get(value, 0)) for value, label in SHOWN_STATUSES
        ],
        "invitation_tiles": [
            (status, label, with_status(invitations, status).count())
            for status, label in (
                (InvitationStatus.AUTHENTICATED, "Authenticated: ready to add"),
                (InvitationStatus.PENDING, "Pending"),
                (InvitationStatus.EXPIRED, "Expired"),
            )
        ],
        "ready": list(with_status(invitations, InvitationStatus.AUTHENTICATED)[:10]),
        "expiring": expiring,
        "expiry_warning_days": WARNING_DAYS,
    }
    return render_page(request, "services/dashboard.html", context, section="dashboard")


@operator_page
@require_GET
def service_list(request: HttpRequest) -> HttpResponse:
    operator = request.user
    customers = list(customers_visible(operator).only("id", "name", "provider_id", "channel_id"))
    services = services_visible(operator)
    status = choice(request, "status", [value for value, _ in SHOWN_STATUSES])
    customer = customer_filter(request, customers)
    if status:
        services = with_shown_status(services, status)
    if customer is not None:
        services = services.filter(customer=customer)
    sort, ordering = sorting(request, SERVICE_COLUMNS, "-created")
    page = paginate(request, services.select_related("provisioning").order_by(*ordering))
    context = {
        "page": page,
        "customers": customers,
        "statuses": SHOWN_STATUSES,
        "status": status,
        "customer": customer,
        "filtered": bool(status or customer),
        "headers": sort_headers(sort, SERVICE_HEADERS),
    }
    return render_page(request, "services/list.html", context, section="services", title="Services")


@operator_page
@require_GET
def service_detail(request: HttpRequest, service_id: str) -> HttpResponse:
    service = service_get(request.user, service_id)
    connection = connection_of(service)
    invitation = newest_invitation(service)
    context = {
        "service": service,
        "connection": connection,
        "days_left": days_until(connection.secret_expires_at) if connection else None,
        "invitation": invitation,
        "invitation_status": invitation.effective_status(timezone.now()) if invitation else "",
        "deletable": service.status in NEVER_ACTIVE,
        "tab": "overview",
    }
    return render_page(request, "services/detail.html", context, section="services")


BACK_TARGETS = {"invitations": "services:invitations", "services": "services:list"}


@operator_page
@require_http_methods(["GET", "POST"])
def service_delete_view(request: HttpRequest, service_id: str) -> HttpResponse:
    """Confirm, then delete a service that never became active (its name is released)."""
    operator = request.user
    service = service_get(operator, service_id)
    require(operator, "service.delete")
    back = request.POST.get("back") or request.GET.get("back") or "services"
    back = back if back in BACK_TARGETS else "services"
    if request.method == "POST":
        name = service.short_name
        service_delete(actor=Actor.for_operator(operator), service=service)
        messages.success(request, f"Service {name} was deleted; its short name is free again.")
        return redirect(BACK_TARGETS[back])
    invitation = newest_invitation(service)
    open_invitation = (
        invitation
        if invitation is not None and invitation.effective_status(timezone.now()) in OPEN_STATUSES
        else None
    )
    context = {
        "service": service,
        "deletable": service.status in NEVER_ACTIVE,
        "open_invitation": open_invitation,
        "back": back,
        "back_url": BACK_TARGETS[back],
    }
    status = 200 if context["deletable"] else 409
    return render_page(request, "services/delete.html", context, status=status, section="services")
