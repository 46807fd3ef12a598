"""Customers in the caller's scope."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Status

from onramp.accounts.scoping import require
from onramp.api.auth import actor_of, operator_of
from onramp.api.pagination import page
from onramp.api.responses import Customer, CustomerPage, errors
from onramp.api.schemas import CustomerChange, CustomerCreate, Page
from onramp.api.serializers import customer_json
from onramp.tenancy.customers import (
    channel_choice,
    customer_create,
    customer_placement,
    customer_update,
)
from onramp.tenancy.selectors import customer_get, customers_visible

router = Router(tags=["customers"])


@router.post("/customers", response={201: Customer, **errors(403, 422)})
def create_customer(request: HttpRequest, payload: CustomerCreate):
    """Provider and channel default to the caller's own (system operators pass provider_id)."""
    operator = operator_of(request)
    require(operator, "customer.create")
    provider, channel = customer_placement(
        operator=operator, provider_id=payload.provider_id, channel_id=payload.channel_id
    )
    customer = customer_create(
        actor=actor_of(request),
        provider=provider,
        channel=channel,
        name=payload.name,
        azure_tenant_id=payload.azure_tenant_id or "",
        contact_email=payload.contact_email or "",
        notify_admin_on_expiry=payload.notify_admin_on_expiry,
        country=payload.country or "",
    )
    return Status(201, customer_json(customer))


@router.get("/customers", response={200: CustomerPage, **errors(422)})
def list_customers(request: HttpRequest, params: Query[Page]):
    customers = customers_visible(operator_of(request))
    return page(customers, limit=params.limit, cursor=params.cursor, render=customer_json)


@router.get("/customers/{id}", response={200: Customer, **errors(404)})
def get_customer(request: HttpRequest, id: str):
    return customer_json(customer_get(operator_of(request), id))


@router.patch("/customers/{id}", response={200: Customer, **errors(403, 404, 422)})
def change_customer(request: HttpRequest, id: str, payload: CustomerChange):
    """Only the fields sent change."""
    operator = operator_of(request)
    customer = customer_get(operator, id)
    require(operator, "customer.change")
    sent = payload.model_fields_set
    changes: dict = {
        name: getattr(payload, name) or ""
        for name in ("name", "azure_tenant_id", "contact_email", "country")
        if name in sent
    }
    if "notify_admin_on_expiry" in sent:
        changes["notify_admin_on_expiry"] = payload.notify_admin_on_expiry
    if "channel_id" in sent:
        changes["channel"] = channel_choice(operator=operator, channel_id=payload.channel_id)
    customer = customer_update(actor=actor_of(request), customer=customer, **changes)
    return customer_json(customer)
