"""The Direct Routing pages: the provider's settings (SBC domains, DNS backend, Test DNS) and
a service's Direct Routing tab (the plan, the steps and their actions, the Teams script)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from onramp.accounts.scoping import require
from onramp.core.actors import Actor
from onramp.core.errors import InvalidInput, InvalidState
from onramp.core.lookup import get_or_not_found
from onramp.core.validators import is_guid
from onramp.core.views.ui import operator_page, posted, render_page
from onramp.directrouting.bulk import bulk_provisioning_get, bulk_provisioning_start
from onramp.directrouting.decommission import NOT_ACTIVE as DECOMMISSION_NOT_ACTIVE
from onramp.directrouting.decommission import service_decommission
from onramp.directrouting.dns_settings import dns_settings_read, dns_settings_set, dns_test
from onramp.directrouting.forms import DnsForm, LabelForm, NumbersForm, SbcDomainsForm
from onramp.directrouting.models import BulkStatus, RunStatus, StepStatus
from onramp.directrouting.removal import provisioning_remove, provisioning_teams_teardown_confirm
from onramp.directrouting.selectors import (
    provisioning_view,
    run_or_proposal,
    run_subdomains,
    service_run_status,
    teams_script_filename,
    teams_script_for,
)
from onramp.directrouting.services import (
    provisioning_label_set,
    provisioning_numbers_set,
    provisioning_sku_confirm,
    provisioning_start,
    provisioning_teams_activation_confirm,
    provisioning_teams_script_confirm,
)
from onramp.services.models import Service, ServiceStatus
from onramp.services.selectors import service_get, services_visible
from onramp.tenancy.models import Provider
from onramp.tenancy.selectors import providers_visible
from onramp.tenancy.services import provider_update

# --- the provider's settings -------------------------------------------------------------------


def _provider(request: HttpRequest, provider_id: str) -> Provider:
    provider = get_or_not_found(providers_visible(request.user), provider_id, "provider")
    require(request.user, "provider.settings")
    return provider


def _settings_page(request: HttpRequest, provider: Provider, **forms: Any) -> HttpResponse:
    stored = dns_settings_read(actor=Actor.for_operator(request.user), provider=provider)
    initial = {"backend": stored["backend"], **stored["settings"]} if stored else {}
    if stored and stored["backend"] not in DnsForm.FIELDS:
        options = {k: v for k, v in stored["settings"].items() if k != "zone"}
        initial["options"] = "\n".join(f"{name}={value}" for name, value in options.items())
    domains = forms.pop("domains", None) or SbcDomainsForm(
        initial={"sbc_domains": "\n".join(provider.sbc_domains)}
    )
    dns = forms.pop("dns", None) or DnsForm(initial=initial)
    bound = [form for form in (domains, dns) if form.is_bound]
    context = {
        "provider": provider,
        "domains_form": domains,
        "dns_form": dns,
        "stored": stored,
        "test_failure": forms.pop("test_failure", ""),
    }
    status = 422 if bound or context["test_failure"] else 200
    return render_page(
        request,
        "directrouting/settings.html",
        context,
        status=status,
        section="settings" if request.user.scope == "provider" else "providers",
        title=f"Direct Routing settings · {provider.name}",
    )


@operator_page
@require_GET
def provider_settings(request: HttpRequest, provider_id: str) -> HttpResponse:
    return _settings_page(request, _provider(request, provider_id))


@operator_page
@require_POST
def provider_sbc_domains(request: HttpRequest, provider_id: str) -> HttpResponse:
    provider = _provider(request, provider_id)
    form = SbcDomainsForm(posted(request))
    actor = Actor.for_operator(request.user)
    if form.submit(lambda: provider_update(actor=actor, provider=provider, **form.values())):
        messages.success(request, "The SBC domains were saved.")
        return redirect("directrouting:settings", provider.pk)
    return _settings_page(request, provider, domains=form)


@operator_page
@sensitive_post_parameters("key_secret", "options")
@require_POST
def provider_dns(request: HttpRequest, provider_id: str) -> HttpResponse:
    provider = _provider(request, provider_id)
    form = DnsForm(posted(request))
    actor = Actor.for_operator(request.user)
    if form.submit(lambda: dns_settings_set(actor=actor, provider=provider, **form.values())):
        messages.success(request, "The DNS backend was saved. Test it with Test DNS.")
        return redirect("directrouting:settings", provider.pk)
    return _settings_page(request, provider, dns=form)


@operator_page
@require_POST
def provider_dns_test(request: HttpRequest, provider_id: str) -> HttpResponse:
    provider = _provider(request, provider_id)
    result = dns_test(actor=Actor.for_operator(request.user), provider=provider)
    if result.ok:
        messages.success(request, f"Test DNS passed: {result.message}")
        return redirect("directrouting:settings", provider.pk)
    return _settings_page(request, provider, test_failure=result.message)


# --- a service's Direct Routing tab ------------------------------------------------------------


def _tab(
    request: HttpRequest,
    service_id: str,
    label_form: LabelForm | None = None,
    numbers_form: NumbersForm | None = None,
):
    service = service_get(request.user, service_id)
    run, steps = run_or_proposal(service)
    context: dict[str, Any] = {
        "service": service,
        "run": run,
        "tab": "direct-routing",
        "crumb": "Direct Routing",
    }
    if run is not None:
        context.update(provisioning_view(steps, timezone.now()))
        context["subdomains"] = run_subdomains(run)
        context["label_form"] = label_form or LabelForm(initial={"subdomain_label": run.label})
        removing = context["removing"]
        context["startable"] = (
            not removing and run.status in (RunStatus.NOT_STARTED, RunStatus.FAILED)
        ) or (run.status == RunStatus.REMOVED and service.decommission_requested_at is None)
        context["removable"] = (
            not removing
            and any(step.attempts for step in steps)
            and not any(step.status == StepStatus.RUNNING for step in steps)
        )
        context["numbers_form"] = numbers_form or NumbersForm(
            initial={
                "numbers": "\n".join(
                    f"{row['user_principal_name']}, {row['phone_number']}" for row in run.numbers
                )
            }
        )
    bound = label_form or numbers_form
    return render_page(
        request,
        "directrouting/service.html",
        context,
        status=bound.status if bound else 200,
        section="services",
        title=f"Direct Routing · {service.short_name}",
    )


@operator_page
@require_GET
def service_direct_routing(request: HttpRequest, service_id: str) -> HttpResponse:
    return _tab(request, service_id)


@operator_page
@require_POST
def service_label(request: HttpRequest, service_id: str) -> HttpResponse:
    service = service_get(request.user, service_id)
    form = LabelForm(posted(request))
    actor = Actor.for_operator(request.user)
    label = form.data.get("subdomain_label", "")
    if run := form.submit(
        lambda: provisioning_label_set(actor=actor, service=service, label=label)
    ):
        messages.success(request, f"The sub-domain label is now {run.label}.")
        return redirect("directrouting:service", service.pk)
    return _tab(request, service_id, label_form=form)


@operator_page
@require_POST
def service_numbers(request: HttpRequest, service_id: str) -> HttpResponse:
    service = service_get(request.user, service_id)
    form = NumbersForm(posted(request), request.FILES or None)
    actor = Actor.for_operator(request.user)
    if form.submit(
        lambda: provisioning_numbers_set(actor=actor, service=service, rows=form.rows())
    ):
        messages.success(request, "The numbers were saved; they are assigned after Teams voice.")
        return redirect("directrouting:service", service.pk)
    return _tab(request, service_id, numbers_form=form)


@operator_page
@require_POST
def service_start(request: HttpRequest, service_id: str) -> HttpResponse:
    service = service_get(request.user, service_id)
    provisioning_start(actor=Actor.for_operator(request.user), service=service)
    messages.success(request, "Direct Routing provisioning is running.")
    return redirect("directrouting:service", service.pk)


@operator_page
@require_POST
def service_sku_confirm(request: HttpRequest, service_id: str) -> HttpResponse:
    service = service_get(request.user, service_id)
    sku = request.POST.get("activation_sku", "")
    try:
        provisioning_sku_confirm(actor=Actor.for_operator(request.user), service=service, sku=sku)
    except InvalidInput as error:
        messages.error(request, " ".join(error.errors["activation_sku"]))
    else:
        messages.success(request, f"The activation user's license is {sku}.")
    return redirect("directrouting:service", service.pk)


@operator_page
@require_POST
def service_activation_confirm(request: HttpRequest, service_id: str) -> HttpResponse:
    service = service_get(request.user, service_id)
    provisioning_teams_activation_confirm(actor=Actor.for_operator(request.user), service=service)
    messages.success(request, "Teams activation was marked done.")
    return redirect("directrouting:service", service.pk)


@operator_page
@require_POST
def service_script_confirm(request: HttpRequest, service_id: str) -> HttpResponse:
    service = service_get(request.user, service_id)
    provisioning_teams_script_confirm(actor=Actor.for_operator(request.user), service=service)
    messages.success(request, "The Teams voice script was confirmed as run.")
    return redirect("directrouting:service", service.pk)


@operator_page
@require_http_methods(["GET", "POST"])
def service_remove(request: HttpRequest, service_id: str) -> HttpResponse:
    """Confirm, then Remove Direct Routing (the steps backwards)."""
    service = service_get(request.user, service_id)
    if request.method == "POST":
        provisioning_remove(actor=Actor.for_operator(request.user), service=service)
        messages.success(request, "Direct Routing is being removed from the customer's tenant.")
        return redirect("directrouting:service", service.pk)
    run, _ = run_or_proposal(service)
    return render_page(
        request,
        "directrouting/remove.html",
        {"service": service, "run": run, "subdomains": run_subdomains(run) if run else []},
        section="services",
        title=f"Remove Direct Routing · {service.short_name}",
    )


@operator_page
@require_http_methods(["GET", "POST"])
def service_decommission_view(request: HttpRequest, service_id: str) -> HttpResponse:
    """Confirm, then decommission an active service (409 page otherwise)."""
    service = service_get(request.user, service_id)
    require(request.user, "service.decommission")
    if request.method == "POST":
        service_decommission(actor=Actor.for_operator(request.user), service=service)
        messages.success(request, f"Service {service.short_name} is being decommissioned.")
        return redirect("services:detail", service.pk)
    if service.status != ServiceStatus.ACTIVE:
        raise InvalidState(DECOMMISSION_NOT_ACTIVE)
    return render_page(
        request,
        "directrouting/decommission.html",
        {"service": service, "removing": service_run_status(service) != RunStatus.NOT_STARTED},
        section="services",
        title=f"Decommission {service.short_name}",
    )


@operator_page
@require_POST
def service_teardown_confirm(request: HttpRequest, service_id: str) -> HttpResponse:
    service = service_get(request.user, service_id)
    provisioning_teams_teardown_confirm(actor=Actor.for_operator(request.user), service=service)
    messages.success(request, "The Teams teardown script was confirmed as run.")
    return redirect("directrouting:service", service.pk)


def script_response(service: Service, *, teardown: bool) -> HttpResponse:
    """The Teams voice script (or, with ``teardown``, its teardown) as a download; the API
    answers with the same response."""
    response = HttpResponse(
        teams_script_for(service, teardown=teardown), content_type="text/plain; charset=utf-8"
    )
    name = teams_script_filename(service, teardown=teardown)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@operator_page
@require_GET
def service_script(request: HttpRequest, service_id: str) -> HttpResponse:
    return script_response(service_get(request.user, service_id), teardown=False)


@operator_page
@require_GET
def service_teardown_script(request: HttpRequest, service_id: str) -> HttpResponse:
    return script_response(service_get(request.user, service_id), teardown=True)


# --- Bulk Provision ----------------------------------------------------------------------------


@operator_page
@require_POST
def bulk_provision(request: HttpRequest) -> HttpResponse:
    """The Services list's **Provision**: a job for the active services selected."""
    chosen = services_visible(request.user).filter(
        pk__in=[pk for pk in request.POST.getlist("service") if is_guid(pk)],
        status=ServiceStatus.ACTIVE,
    )
    try:
        job = bulk_provisioning_start(actor=Actor.for_operator(request.user), services=chosen)
    except InvalidInput as error:
        messages.error(request, " ".join(error.errors["service"]))
        return redirect("services:list")
    return redirect("directrouting:bulk-job", job.pk)


@operator_page
@require_GET
def bulk_provision_job(request: HttpRequest, job_id: str) -> HttpResponse:
    job = bulk_provisioning_get(request.user, job_id)
    services = services_visible(request.user).select_related("provisioning")
    found = {str(s.pk): s for s in services.filter(pk__in=job.service_ids)}
    rows = [
        {"service": found.get(pk), "result": job.results.get(pk)}
        for pk in job.service_ids
        if pk in found
    ]
    running = job.status != BulkStatus.DONE or any(
        row["service"].provisioning.status == RunStatus.RUNNING
        for row in rows
        if hasattr(row["service"], "provisioning")
    )
    return render_page(
        request,
        "directrouting/bulk.html",
        {"job": job, "rows": rows, "handled": len(job.results), "running": running},
        section="services",
        title="Bulk Provision",
    )
