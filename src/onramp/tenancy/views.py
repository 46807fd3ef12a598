"""Customers: the list (scoped) and Add customer."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_http_methods

from onramp.accounts.models import Scope
from onramp.accounts.scoping import require
from onramp.audit.services import Actor
from onramp.core.errors import InvalidInput
from onramp.core.views.ui import operator_page, paginate, render_page, sort_headers, sorting
from onramp.tenancy.forms import CustomerForm
from onramp.tenancy.selectors import channels_visible, customers_visible, providers_visible
from onramp.tenancy.services import customer_create, customer_placement

CUSTOMER_COLUMNS = {
    "name": ("name",),
    "services": ("service_count", "name"),
    "created": ("created_at", "name"),
}
CUSTOMER_HEADERS = [("name", "Name"), ("services", "Services"), ("created", "Created")]


@operator_page
@require_GET
def customer_list(request: HttpRequest) -> HttpResponse:
    operator = request.user
    sort, ordering = sorting(request, CUSTOMER_COLUMNS, "name")
    customers = customers_visible(operator).annotate(service_count=Count("services"))
    context = {
        "page": paginate(request, customers.order_by(*ordering)),
        "headers": sort_headers(sort, CUSTOMER_HEADERS),
        "show_provider": operator.scope == Scope.SYSTEM,
    }
    return render_page(request, "tenancy/customers.html", context, section="customers")


@operator_page
@require_http_methods(["GET", "POST"])
def customer_add(request: HttpRequest) -> HttpResponse:
    operator = request.user
    require(operator, "customer.create")
    system = operator.scope == Scope.SYSTEM
    # A channel operator's customers stay in its channel: no choice to offer.
    channels = list(channels_visible(operator)) if operator.scope != Scope.CHANNEL else []
    form = CustomerForm(
        request.POST if request.method == "POST" else None,
        providers=list(providers_visible(operator)) if system else None,
        channels=channels,
    )
    if request.method == "POST" and form.is_valid():  # choices parsed; the rules are below
        try:
            provider, channel = customer_placement(operator=operator, **form.placement())
            customer = customer_create(
                actor=Actor.for_operator(operator),
                provider=provider,
                channel=channel,
                **form.values(),
            )
        except InvalidInput as error:
            form.add_domain_errors(error.errors)
        else:
            messages.success(request, f"Customer {customer.name} was added.")
            return redirect("services:customers")
    status = 422 if form.is_bound else 200
    return render_page(
        request, "tenancy/customer_add.html", {"form": form}, status=status, section="customers"
    )
