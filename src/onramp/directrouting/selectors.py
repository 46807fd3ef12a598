"""Reads of Direct Routing provisioning, scoped to the caller."""

from __future__ import annotations

from django.db.models import QuerySet

from onramp.accounts.models import Operator
from onramp.accounts.scoping import scoped
from onramp.directrouting.models import Provisioning, RunStatus
from onramp.directrouting.steps import subdomains
from onramp.services.models import Service


def direct_routing_rows(operator: Operator) -> QuerySet[Service]:
    """Every service in scope with its run (if any) and provider preloaded: what the
    provider's SBCs need to know (CONTRACT ``GET /api/v1/direct-routing``)."""
    return scoped(Service.objects.select_related("provider", "provisioning"), operator, "customer")


def run_of(service: Service) -> Provisioning | None:
    try:
        return service.provisioning
    except Provisioning.DoesNotExist:
        return None


def service_subdomains(service: Service) -> list[str]:
    """``label.<SBC domain>`` for each SBC domain of the provider; [] before a run exists."""
    run = run_of(service)
    return subdomains(run.label, list(service.provider.sbc_domains)) if run else []


def service_run_status(service: Service) -> str:
    run = run_of(service)
    return run.status if run else RunStatus.NOT_STARTED
