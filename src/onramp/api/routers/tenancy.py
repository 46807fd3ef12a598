"""Service providers (system admins create and change them) and channels (resellers: the
provider's admins and operators create and change them; a channel operator sees its own)."""

from __future__ import annotations

from django.db.models import Count
from django.http import HttpRequest
from ninja import Query, Router, Status

from onramp.accounts.scoping import require
from onramp.api.auth import actor_of, operator_of
from onramp.api.pagination import page
from onramp.api.responses import Channel, ChannelPage, Provider, ProviderPage, errors
from onramp.api.schemas import ChannelChange, ChannelCreate, Page, ProviderChange, ProviderCreate
from onramp.api.serializers import channel_json, provider_json
from onramp.core.lookup import get_or_not_found
from onramp.tenancy.customers import provider_choice
from onramp.tenancy.models import Channel as ChannelRow
from onramp.tenancy.models import Provider as ProviderRow
from onramp.tenancy.selectors import channels_visible, providers_visible
from onramp.tenancy.services import channel_create, channel_update, provider_create, provider_update

router = Router(tags=["tenancy"])


@router.post("/providers", response={201: Provider, **errors(403, 422)})
def create_provider(request: HttpRequest, payload: ProviderCreate):
    """System admins only."""
    require(operator_of(request), "provider.create")
    provider = provider_create(
        actor=actor_of(request), name=payload.name, sbc_domain=payload.sbc_domain or ""
    )
    return Status(201, provider_json(provider))


@router.get("/providers", response={200: ProviderPage, **errors(422)})
def list_providers(request: HttpRequest, params: Query[Page]):
    """Every provider for system operators; the caller's own otherwise."""
    providers = providers_visible(operator_of(request))
    return page(providers, limit=params.limit, cursor=params.cursor, render=provider_json)


@router.get("/providers/{id}", response={200: Provider, **errors(404)})
def get_provider(request: HttpRequest, id: str):
    return provider_json(get_or_not_found(providers_visible(operator_of(request)), id, "provider"))


@router.patch("/providers/{id}", response={200: Provider, **errors(403, 404, 422)})
def change_provider(request: HttpRequest, id: str, payload: ProviderChange):
    """Only the fields sent change. The name: system admins; the SBC domains: also the
    provider's own admins (`sbc_domains` replaces them all, the first being `sbc_domain`)."""
    provider: ProviderRow = get_or_not_found(
        providers_visible(operator_of(request)), id, "provider"
    )
    changes = {name: getattr(payload, name) or "" for name in payload.model_fields_set}
    if "sbc_domains" in changes:
        changes["sbc_domains"] = list(changes["sbc_domains"] or [])
    return provider_json(provider_update(actor=actor_of(request), provider=provider, **changes))


@router.post("/channels", response={201: Channel, **errors(403, 422)})
def create_channel(request: HttpRequest, payload: ChannelCreate):
    """In the caller's own provider unless a system operator names one."""
    operator = operator_of(request)
    require(operator, "channel.create")
    provider = provider_choice(operator=operator, provider_id=payload.provider_id, what="channel")
    channel = channel_create(
        actor=actor_of(request),
        provider=provider,
        name=payload.name,
        max_customers=payload.max_customers,
    )
    return Status(201, channel_json(channel))


def _channels(request: HttpRequest):
    return channels_visible(operator_of(request)).annotate(customer_count=Count("customers"))


@router.get("/channels", response={200: ChannelPage, **errors(422)})
def list_channels(request: HttpRequest, params: Query[Page]):
    return page(_channels(request), limit=params.limit, cursor=params.cursor, render=channel_json)


@router.get("/channels/{id}", response={200: Channel, **errors(404)})
def get_channel(request: HttpRequest, id: str):
    return channel_json(get_or_not_found(_channels(request), id, "channel"))


@router.patch("/channels/{id}", response={200: Channel, **errors(403, 404, 422)})
def change_channel(request: HttpRequest, id: str, payload: ChannelChange):
    """Only the fields sent change; ``max_customers`` cannot drop below the customers it has."""
    operator = operator_of(request)
    channel: ChannelRow = get_or_not_found(channels_visible(operator), id, "channel")
    require(operator, "channel.change")
    changes = {name: getattr(payload, name) for name in payload.model_fields_set}
    if changes.get("name", "") is None:
        changes["name"] = ""
    channel_update(actor=actor_of(request), channel=channel, **changes)
    return channel_json(get_or_not_found(_channels(request), id, "channel"))
