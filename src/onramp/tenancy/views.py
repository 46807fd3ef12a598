"""Providers, channels and customers: scoped lists, add and edit pages. The rules (names,
channel limits, who may place a customer where) are tenancy.services'; views parse and render."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_http_methods

from onramp.accounts.models import Operator, Scope
from onramp.accounts.scoping import require
from onramp.core.actors import Actor
from onramp.core.lookup import get_or_not_found
from onramp.core.views.ui import (
    PageForm,
    operator_page,
    paginate,
    picked,
    posted,
    render_page,
    sort_headers,
    sorting,
)
from onramp.tenancy.customers import (
    channel_choice,
    customer_create,
    customer_placement,
    customer_update,
    provider_choice,
)
from onramp.tenancy.forms import ChannelForm, CustomerForm, ProviderForm
from onramp.tenancy.models import Channel
from onramp.tenancy.selectors import (
    channels_visible,
    channels_with_counts,
    customer_get,
    customers_visible,
    providers_visible,
    providers_with_counts,
)
from onramp.tenancy.services import channel_create, channel_update, provider_create, provider_update

CUSTOMER_COLUMNS = {
    "name": ("name",),
    "services": ("service_count", "name"),
    "created": ("created_at", "name"),
}
CUSTOMER_HEADERS = [("name", "Name"), ("services", "Services"), ("created", "Created")]
PROVIDER_COLUMNS = {
    "name": ("name",),
    "channels": ("channel_count", "name"),
    "customers": ("customer_count", "name"),
    "created": ("created_at", "name"),
}
PROVIDER_HEADERS = [
    ("name", "Name"),
    ("channels", "Channels"),
    ("customers", "Customers"),
    ("created", "Created"),
]
CHANNEL_COLUMNS = {
    "name": ("name",),
    "customers": ("customer_count", "name"),
    "created": ("created_at", "name"),
}
CHANNEL_HEADERS = [("name", "Name"), ("customers", "Customers"), ("created", "Created")]


LISTS = {
    "providers": ("Providers", "tenancy:providers"),
    "channels": ("Channels", "tenancy:channels"),
    "customers": ("Customers", "tenancy:customers"),
}


def _form_page(
    request: HttpRequest, form: PageForm, section: str, **context: object
) -> HttpResponse:
    """The shared add / edit page: breadcrumb back to the section's list, title, the form."""
    list_label, list_url = LISTS[section]
    return render_page(
        request,
        "tenancy/form.html",
        {"form": form, "list_label": list_label, "list_url": list_url, **context},
        status=form.status,
        section=section,
    )


# --- providers ---------------------------------------------------------------------------------


@operator_page
@require_GET
def provider_list(request: HttpRequest) -> HttpResponse:
    """Every provider for system operators; the caller's own otherwise (counts in its scope)."""
    sort, ordering = sorting(request, PROVIDER_COLUMNS, "name")
    context = {
        "page": paginate(request, providers_with_counts(request.user).order_by(*ordering)),
        "headers": sort_headers(sort, PROVIDER_HEADERS),
    }
    return render_page(
        request, "tenancy/providers.html", context, section="providers", title="Providers"
    )


@operator_page
@require_http_methods(["GET", "POST"])
def provider_add(request: HttpRequest) -> HttpResponse:
    operator = request.user
    require(operator, "provider.create")
    form = ProviderForm(posted(request))
    if provider := form.submit(
        lambda: provider_create(actor=Actor.for_operator(operator), **form.values())
    ):
        messages.success(request, f"Provider {provider.name} was added.")
        return redirect("tenancy:providers")
    return _form_page(request, form, "providers", title="Add provider", submit="Add provider")


@operator_page
@require_http_methods(["GET", "POST"])
def provider_edit(request: HttpRequest, provider_id: str) -> HttpResponse:
    operator = request.user
    provider = get_or_not_found(providers_visible(operator), provider_id, "provider")
    require(operator, "provider.change")
    form = ProviderForm(
        posted(request), initial={"name": provider.name, "sbc_domain": provider.sbc_domain}
    )
    if saved := form.submit(
        lambda: provider_update(
            actor=Actor.for_operator(operator), provider=provider, **form.values()
        )
    ):
        messages.success(request, f"Provider {saved.name} was saved.")
        return redirect("tenancy:providers")
    return _form_page(
        request,
        form,
        "providers",
        title=f"Edit provider {provider.name}",
        submit="Save provider",
    )


# --- channels ----------------------------------------------------------------------------------


@operator_page
@require_GET
def channel_list(request: HttpRequest) -> HttpResponse:
    operator = request.user
    sort, ordering = sorting(request, CHANNEL_COLUMNS, "name")
    context = {
        "page": paginate(request, channels_with_counts(operator).order_by(*ordering)),
        "headers": sort_headers(sort, CHANNEL_HEADERS),
        "show_provider": operator.scope == Scope.SYSTEM,
    }
    return render_page(
        request, "tenancy/channels.html", context, section="channels", title="Channels"
    )


@operator_page
@require_http_methods(["GET", "POST"])
def channel_add(request: HttpRequest) -> HttpResponse:
    """In the caller's own provider; a system operator picks one."""
    operator = request.user
    require(operator, "channel.create")
    system = operator.scope == Scope.SYSTEM
    form = ChannelForm(
        posted(request), providers=list(providers_visible(operator)) if system else None
    )

    def save():
        provider = provider_choice(
            operator=operator,
            provider_id=form.cleaned_data.get("provider_id") or None,
            what="channel",
        )
        return channel_create(
            actor=Actor.for_operator(operator), provider=provider, **form.values()
        )

    if channel := form.submit(save):
        messages.success(request, f"Channel {channel.name} was added.")
        return redirect("tenancy:channels")
    return _form_page(request, form, "channels", title="Add channel", submit="Add channel")


@operator_page
@require_http_methods(["GET", "POST"])
def channel_edit(request: HttpRequest, channel_id: str) -> HttpResponse:
    """Name and limit; the limit cannot drop below the customers already attached."""
    operator = request.user
    channel = get_or_not_found(channels_with_counts(operator), channel_id, "channel")
    require(operator, "channel.change")
    initial = {"name": channel.name, "max_customers": channel.max_customers}
    form = ChannelForm(posted(request), initial=initial)
    if saved := form.submit(
        lambda: channel_update(actor=Actor.for_operator(operator), channel=channel, **form.values())
    ):
        messages.success(request, f"Channel {saved.name} was saved.")
        return redirect("tenancy:channels")
    return _form_page(
        request,
        form,
        "channels",
        title=f"Edit channel {channel.name}",
        submit="Save channel",
        channel=channel,
    )


# --- customers ---------------------------------------------------------------------------------


@operator_page
@require_GET
def customer_list(request: HttpRequest) -> HttpResponse:
    """Filterable by channel (``?channel=``, one the operator sees: its customers attached)."""
    operator = request.user
    sort, ordering = sorting(request, CUSTOMER_COLUMNS, "name")
    customers = customers_visible(operator).annotate(service_count=Count("services"))
    channels = list(channels_visible(operator))
    if channel := picked(request, "channel", channels):
        customers = customers.filter(channel=channel)
    context = {
        "page": paginate(request, customers.order_by(*ordering)),
        "headers": sort_headers(sort, CUSTOMER_HEADERS),
        "show_provider": operator.scope == Scope.SYSTEM,
        "channels": channels,
        "channel": channel,
    }
    return render_page(
        request, "tenancy/customers.html", context, section="customers", title="Customers"
    )


def _channel_options(operator: Operator, provider_id: object = None) -> list[Channel]:
    """The channels a customer may be put in by this operator (of ``provider_id`` when given).
    A channel operator's customers stay in its channel: no choice to offer."""
    if operator.scope == Scope.CHANNEL:
        return []
    channels = channels_visible(operator)
    return list(channels.filter(provider_id=provider_id) if provider_id else channels)


@operator_page
@require_http_methods(["GET", "POST"])
def customer_add(request: HttpRequest) -> HttpResponse:
    operator = request.user
    require(operator, "customer.create")
    system = operator.scope == Scope.SYSTEM
    form = CustomerForm(
        posted(request),
        providers=list(providers_visible(operator)) if system else None,
        channels=_channel_options(operator),
    )

    def save():
        provider, channel = customer_placement(operator=operator, **form.placement())
        return customer_create(
            actor=Actor.for_operator(operator), provider=provider, channel=channel, **form.values()
        )

    if customer := form.submit(save):
        messages.success(request, f"Customer {customer.name} was added.")
        return redirect("tenancy:customers")
    return render_page(
        request,
        "tenancy/customer_add.html",
        {"form": form},
        status=form.status,
        section="customers",
    )


@operator_page
@require_http_methods(["GET", "POST"])
def customer_edit(request: HttpRequest, customer_id: str) -> HttpResponse:
    """Name, tenant, contact and the channel (attach, move or detach, within its limit)."""
    operator = request.user
    customer = customer_get(operator, customer_id)
    require(operator, "customer.change")
    initial = {
        "name": customer.name,
        "azure_tenant_id": customer.azure_tenant_id,
        "contact_email": customer.contact_email,
        "country": customer.country,
        "channel_id": str(customer.channel_id or ""),
    }
    form = CustomerForm(
        posted(request),
        channels=_channel_options(operator, customer.provider_id),
        initial=initial,
    )

    def save():
        changes = form.values()
        if (chosen := form.channel_id()) is not None:
            changes["channel"] = channel_choice(operator=operator, channel_id=chosen or None)
        return customer_update(actor=Actor.for_operator(operator), customer=customer, **changes)

    if saved := form.submit(save):
        messages.success(request, f"Customer {saved.name} was saved.")
        return redirect("tenancy:customers")
    return _form_page(
        request,
        form,
        "customers",
        title=f"Edit customer {customer.name}",
        submit="Save customer",
    )
