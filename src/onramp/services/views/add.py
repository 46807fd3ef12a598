"""Add Service → Direct Routing: choose the customer, fill in the new tenant service, confirm.

The invitation link exists in clear only in the response to the POST that created it: it is
never put in the session or a URL, and the page is not cached.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from onramp.accounts.scoping import require
from onramp.core.actors import Actor
from onramp.core.errors import InvalidInput, MicrosoftUnavailable, ValidationFailed
from onramp.core.views.ui import operator_page, render_page
from onramp.services.forms import ChooseCustomerForm, DirectRoutingForm
from onramp.services.onboarding import service_create
from onramp.services.views.checks import result_items, unavailable_context
from onramp.tenancy.selectors import customer_get, customers_visible

STEPS = ("Customer", "New tenant service", "Confirmation")


@operator_page
@require_GET
def add_service(request: HttpRequest) -> HttpResponse:
    """Add Service: the kinds of service Onramp can onboard (Direct Routing for now)."""
    require(request.user, "service.create")
    return render_page(request, "services/add.html", section="services")


@operator_page
@sensitive_post_parameters("client_secret")
@never_cache
@require_http_methods(["GET", "POST"])
def direct_routing(request: HttpRequest) -> HttpResponse:
    operator = request.user
    require(operator, "service.create")
    if "customer" not in request.GET:
        initial = {"customer": request.GET.get("selected", "")}
        form = ChooseCustomerForm(customers=_customers(operator), initial=initial)
        return _choose_customer(request, form)
    if not request.GET["customer"]:
        form = ChooseCustomerForm(request.GET, customers=_customers(operator))
        form.is_valid()
        form.add_error("customer", "Choose the customer the service is for.")
        return _choose_customer(request, form, status=422)
    customer = customer_get(operator, request.GET["customer"])
    context: dict[str, Any] = {"customer": customer, "steps": STEPS, "step": 2}
    status = 200
    if request.method != "POST":
        form = DirectRoutingForm()
    else:
        form = DirectRoutingForm(request.POST)
        form.is_valid()  # every field is optional here: the service function decides
        try:
            created = service_create(
                actor=Actor.for_operator(operator),
                customer=customer,
                request=form.service_request(),
            )
        except InvalidInput as error:
            form.add_domain_errors(error.errors)
            status = 422
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
            return _done(request, customer, created)
    context["form"] = form
    return render_page(
        request, "services/direct_routing.html", context, status=status, section="services"
    )


def _customers(operator: Any) -> list:
    return list(customers_visible(operator).only("id", "name", "provider_id", "channel_id"))


def _choose_customer(
    request: HttpRequest, form: ChooseCustomerForm, status: int = 200
) -> HttpResponse:
    has_customers = len(form.fields["customer"].choices) > 1
    context = {"form": form, "steps": STEPS, "step": 1, "has_customers": has_customers}
    return render_page(
        request, "services/direct_routing_customer.html", context, status=status, section="services"
    )


def _done(request: HttpRequest, customer: Any, created: Any) -> HttpResponse:
    """Step 3, rendered in the POST's own response: the only time the link is shown."""
    context = {
        "customer": customer,
        "service": created.service,
        "steps": STEPS,
        "step": 3,
        "issued": created.issued,
        "checks": result_items(created.validation) if created.validation else None,
    }
    return render_page(request, "services/direct_routing_done.html", context, section="services")
