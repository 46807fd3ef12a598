"""Graph's Teams administration for Direct Routing: `admin/teams/userConfigurations/{id}`, which
exists only once Teams has "activated" the user (research/provisioning.md §D.3).

Activation, modelled as Microsoft describes it: a user licensed with a Teams service plan
(`TEAMS1`), on a verified domain, counts after the tenant's activation delay
(`PUT /_sandbox/tenants/{id}/teams-activation`), measured on the directory's clock so tests move
the clock instead of sleeping.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from onramp.sandbox import permissions as perm
from onramp.sandbox.catalog import PHONE_PLAN_PREFIX, TEAMS_PLAN
from onramp.sandbox.credentials import iso_z, utcnow
from onramp.sandbox.errors import not_found
from onramp.sandbox.graph_reads import _ID, Reply, _entity, _route
from onramp.sandbox.model import Tenant, User

if TYPE_CHECKING:
    from onramp.sandbox.graph import Call


def plans(tenant: Tenant, user: User) -> set[str]:
    """The service plans the user's licenses bring."""
    return {
        plan
        for sku_id in user.licenses
        if (sku := tenant.sku(sku_id))
        for plan in sku.service_plans
    }


def has_phone(tenant: Tenant, user: User) -> bool:
    return any(plan.startswith(PHONE_PLAN_PREFIX) for plan in plans(tenant, user))


def activated_at(tenant: Tenant, user: User) -> datetime | None:
    """When Teams counts the user (None: it never will as things stand)."""
    if not tenant.teams or user.domain not in tenant.domains:
        return None
    if TEAMS_PLAN not in plans(tenant, user):
        return None
    since = max(user.licensed_at or user.created, tenant.verified_at.get(user.domain, user.created))
    return since + timedelta(seconds=tenant.teams_activation_delay)


def is_active(tenant: Tenant, user: User) -> bool:
    moment = activated_at(tenant, user)
    return moment is not None and moment <= utcnow()


def user_configuration(tenant: Tenant, user: User) -> dict:
    created = iso_z(activated_at(tenant, user) or user.created)
    phone = has_phone(tenant, user)
    return {
        "id": user.user_id,
        "userPrincipalName": user.user_principal_name,
        "tenantId": tenant.tenant_id,
        "accountType": "user",
        "isEnterpriseVoiceEnabled": phone,
        "featureTypes": ["Teams", "PhoneSystem"] if phone else ["Teams"],
        "effectivePolicyAssignments": [],
        "telephoneNumbers": [
            {"telephoneNumber": number, "assignmentCategory": held["assignmentCategory"]}
            for number, held in tenant.numbers.items()
            if held["assignmentTargetId"] == user.user_id
        ],
        "createdDateTime": created,
        "modifiedDateTime": created,
    }


def get_user_configuration(call: Call, key: str) -> Reply:
    perm.check(call.tenant, call.claims, perm.READ_TEAMS_USERS)
    user = call.tenant.users.get(key.lower())
    if user is None or not is_active(call.tenant, user):
        raise not_found(key)
    view = user_configuration(call.tenant, user)
    return _entity(call, view, key, "admin/teams/userConfigurations", "teamsUserConfiguration")


TEAMS_ROUTES = [
    _route("GET", f"admin/teams/userConfigurations/{_ID}", get_user_configuration),
]
