"""Graph users and licenses for Direct Routing's activation user (research/provisioning.md §D.2
steps 5-7): `subscribedSkus`, `POST/PATCH/DELETE /users`, `assignLicense`, and the soft delete's
`directory/deletedItems`, with the directory's own error messages.

A deleted user moves to `Tenant.deleted_users` (it can no longer sign in, frees its seats and its
Teams numbers) and still blocks its domain's removal until it is deleted for good.
"""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING, Any

from onramp.sandbox import people
from onramp.sandbox import permissions as perm
from onramp.sandbox.catalog import service_plan_id
from onramp.sandbox.credentials import utcnow
from onramp.sandbox.errors import directory_error, invalid_property, not_found
from onramp.sandbox.graph_reads import _ID, Reply, _entity, _route, listed
from onramp.sandbox.model import Sku, Tenant, User

if TYPE_CHECKING:
    from onramp.sandbox.graph import Call

_SIMPLE = frozenset(
    (
        "givenName surname jobTitle department mobilePhone officeLocation preferredLanguage "
        "city country companyName employeeId streetAddress postalCode state"
    ).split()
)
_WRITABLE = _SIMPLE | {
    "accountEnabled",
    "displayName",
    "mailNickname",
    "userPrincipalName",
    "passwordProfile",
    "usageLocation",
    "businessPhones",
}
_LOCATION = re.compile(r"^[A-Z]{2}$")
_NICKNAME = re.compile(r"^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]{1,64}$")
_UPN = re.compile(r"^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]{1,64}@([A-Za-z0-9.-]+)$")
COMPLEXITY_ERROR = (
    "The specified password does not comply with password complexity requirements. "
    "Please provide a different password."
)
BAD_LOCATION = "License assignment cannot be done for user with invalid usage location."


def _strong(password: str) -> bool:
    """Entra's rule: 8 to 256 characters, three of lower, upper, digit and symbol."""
    classes = (str.islower, str.isupper, str.isdigit, lambda c: not c.isalnum())
    kinds = sum(any(test(c) for c in password) for test in classes)
    return 8 <= len(password) <= 256 and kinds >= 3


def _user(call: Call, key: str) -> User:
    found = call.tenant.find_user(key)
    if found is None:
        raise not_found(key)
    return found


def _entity_reply(call: Call, found: User, status: int = 200) -> Reply:
    context = f"{call.context}users/$entity"
    return status, {"@odata.context": context, **people.user(found)}


def _set_upn(tenant: Tenant, found: User, value: Any) -> None:
    match = _UPN.match(value) if isinstance(value, str) else None
    if match is None:
        raise invalid_property("userPrincipalName", "User")
    if match.group(1).lower() not in tenant.domains:
        raise directory_error(
            "The domain portion of the userPrincipalName property is invalid. You must use one "
            "of the verified domain names in your organization."
        )
    other = tenant.find_user(value)
    if other is not None and other is not found:
        raise directory_error(
            "Another object with the same value for property userPrincipalName already exists."
        )
    found.user_principal_name = value


def _apply(tenant: Tenant, found: User, body: dict) -> None:
    """Set each property of a POST or PATCH body, validated as the directory does."""
    for name, value in body.items():
        if name.startswith("@odata."):
            continue
        if name not in _WRITABLE:
            raise directory_error(
                f"The property '{name}' does not exist on type 'microsoft.graph.user'. Make "
                "sure to only use property names that are defined by the type."
            )
        if name == "userPrincipalName":
            _set_upn(tenant, found, value)
        elif name == "passwordProfile":
            password = value.get("password") if isinstance(value, dict) else None
            if not isinstance(password, str) or not password:
                raise directory_error("A password must be specified to create a new user.")
            if not _strong(password):
                raise directory_error(COMPLEXITY_ERROR)
            found.password = password
        elif name == "usageLocation":
            if value is not None and not (isinstance(value, str) and _LOCATION.match(value)):
                raise invalid_property("usageLocation", "User")
            found.usage_location = value
        elif name == "accountEnabled":
            if not isinstance(value, bool):
                raise invalid_property(name, "User")
            found.graph[name] = value
        elif name == "displayName":
            if not isinstance(value, str) or not value.strip() or len(value) > 256:
                raise invalid_property(name, "User")
            found.graph[name] = value
        elif name == "mailNickname":
            if not isinstance(value, str) or not _NICKNAME.match(value):
                raise invalid_property(name, "User")
            found.graph[name] = value
        elif name == "businessPhones":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise invalid_property(name, "User")
            found.graph[name] = value
        else:
            if value is not None and not isinstance(value, str):
                raise invalid_property(name, "User")
            found.graph[name] = value


def create_user(call: Call) -> Reply:
    perm.check(call.tenant, call.claims, perm.WRITE_USERS)
    body = call.body
    if "passwordProfile" not in body:
        raise directory_error("A password must be specified to create a new user.")
    for required in ("accountEnabled", "displayName", "mailNickname", "userPrincipalName"):
        if body.get(required) is None:
            raise invalid_property(required, "User")
    found = User(str(uuid.uuid4()), "", "", [], [], None, utcnow())
    _apply(call.tenant, found, body)
    call.tenant.users[found.user_id] = found
    call.world.save()
    return _entity_reply(call, found, 201)


def update_user(call: Call, key: str) -> Reply:
    perm.check(call.tenant, call.claims, perm.WRITE_USERS)
    found = _user(call, key)
    _apply(call.tenant, found, call.body)
    call.world.save()
    return 204, None


def delete_user(call: Call, key: str) -> Reply:
    perm.check(call.tenant, call.claims, perm.DELETE_USERS)
    found = _user(call, key)
    del call.tenant.users[found.user_id]
    for number, held in list(call.tenant.numbers.items()):  # Teams lets a deleted user's go
        if held["assignmentTargetId"] == found.user_id:
            del call.tenant.numbers[number]
    found.deleted_at = utcnow()
    call.tenant.deleted_users[found.user_id] = found
    call.world.save()
    return 204, None


def _deleted_view(found: User) -> dict:
    return {"@odata.type": "#microsoft.graph.user", **people.user(found, full=True)}


def deleted_users(call: Call) -> Reply:
    perm.check(call.tenant, call.claims, perm.READ_DELETED_USERS)
    items = [_deleted_view(u) for u in call.tenant.deleted_users.values()]
    return listed(
        call,
        items,
        "directory/deletedItems/microsoft.graph.user",
        filter_by={"userPrincipalName", "id"},
        type_label="User",
        fields=("@odata.type", *people.USER_FIELDS),
        kind="user",
    )


def deleted_item(call: Call, object_id: str) -> Reply:
    perm.check(call.tenant, call.claims, perm.READ_DELETED_USERS)
    found = call.tenant.deleted_users.get(object_id.lower())
    view = _deleted_view(found) if found else None
    return _entity(call, view, object_id, "directory/deletedItems", "directoryObject")


def purge_deleted_item(call: Call, object_id: str) -> Reply:
    perm.check(call.tenant, call.claims, perm.DELETE_USERS)
    if call.tenant.deleted_users.pop(object_id.lower(), None) is None:
        raise not_found(object_id)
    call.world.save()
    return 204, None


def _sku_ids(value: Any, name: str, pick: Any) -> list[str]:
    if not isinstance(value, list):
        raise invalid_property(name, "User")
    ids = []
    for item in value:
        raw = pick(item)
        try:
            ids.append(str(uuid.UUID(str(raw))))
        except ValueError:
            raise invalid_property(name, "User") from None
    return ids


def assign_license(call: Call, key: str) -> Reply:
    perm.check(call.tenant, call.claims, perm.ASSIGN_LICENSES)
    found = _user(call, key)
    body, tenant = call.body, call.tenant
    for name in ("addLicenses", "removeLicenses"):
        if name not in body:
            raise invalid_property(name, "User")
    adds = _sku_ids(
        body["addLicenses"], "addLicenses", lambda i: i.get("skuId") if isinstance(i, dict) else i
    )
    removes = _sku_ids(body["removeLicenses"], "removeLicenses", lambda i: i)
    for sku_id in adds + removes:
        if tenant.sku(sku_id) is None:
            raise directory_error(
                f"License {sku_id} does not correspond to a valid company License."
            )
    for sku_id in removes:
        if sku_id not in found.licenses:
            raise directory_error(f"User does not have a corresponding license {sku_id}.")
    new = [sku_id for sku_id in dict.fromkeys(adds) if sku_id not in found.licenses]
    if new and not found.usage_location:
        raise directory_error(BAD_LOCATION)
    for sku_id in new:
        sku = tenant.sku(sku_id)
        if sku is not None and tenant.consumed_units(sku_id) >= sku.prepaid_units:
            raise directory_error(
                f"Subscription with SKU {sku_id} does not have any available licenses."
            )
    found.licenses = [s for s in found.licenses if s not in removes] + new
    if new:
        found.licensed_at = utcnow()
    call.world.save()
    return _entity_reply(call, found)


def _plans(sku: Sku, applies_to: str) -> list[dict]:
    return [
        {
            "servicePlanId": service_plan_id(name),
            "servicePlanName": name,
            "provisioningStatus": "Success",
            "appliesTo": applies_to,
        }
        for name in sku.service_plans
    ]


def license_details(call: Call, key: str) -> Reply:
    perm.check(call.tenant, call.claims, perm.READ_USERS)
    found = _user(call, key)
    items = []
    for sku_id in found.licenses:
        sku = call.tenant.sku(sku_id)
        if sku is not None:
            items.append(
                {
                    "id": f"{sku.sku_id}_{found.user_id}",
                    "servicePlans": _plans(sku, "User"),
                    "skuId": sku.sku_id,
                    "skuPartNumber": sku.sku_part_number,
                }
            )
    context = f"{call.context}users('{found.user_id}')/licenseDetails"
    return 200, {"@odata.context": context, "value": items}


def subscribed_sku(tenant: Tenant, sku: Sku) -> dict:
    return {
        "accountName": tenant.display_name,
        "accountId": tenant.tenant_id,
        "appliesTo": "User",
        "capabilityStatus": "Enabled",
        "consumedUnits": tenant.consumed_units(sku.sku_id),
        "id": f"{tenant.tenant_id}_{sku.sku_id}",
        "prepaidUnits": {
            "enabled": sku.prepaid_units,
            "lockedOut": 0,
            "suspended": 0,
            "warning": 0,
        },
        "servicePlans": _plans(sku, "User"),
        "skuId": sku.sku_id,
        "skuPartNumber": sku.sku_part_number,
        "subscriptionIds": [str(uuid.uuid5(uuid.UUID(tenant.tenant_id), sku.sku_id))],
    }


SKU_FIELDS = (
    "accountName",
    "accountId",
    "appliesTo",
    "capabilityStatus",
    "consumedUnits",
    "id",
    "prepaidUnits",
    "servicePlans",
    "skuId",
    "skuPartNumber",
    "subscriptionIds",
)


def subscribed_skus(call: Call) -> Reply:
    perm.check(call.tenant, call.claims, perm.READ_SKUS)
    items = [subscribed_sku(call.tenant, sku) for sku in call.tenant.skus]
    return listed(
        call,
        items,
        "subscribedSkus",
        filter_by=set(),
        type_label="SubscribedSku",
        fields=SKU_FIELDS,
        kind="subscribedSku",
    )


def get_subscribed_sku(call: Call, key: str) -> Reply:
    perm.check(call.tenant, call.claims, perm.READ_SKUS)
    items = [subscribed_sku(call.tenant, sku) for sku in call.tenant.skus]
    found = next((item for item in items if item["id"] == key.lower()), None)
    return _entity(call, found, key, "subscribedSkus", "subscribedSku")


USER_ROUTES = [
    _route("POST", "users", create_user),
    _route("PATCH", f"users/{_ID}", update_user),
    _route("DELETE", f"users/{_ID}", delete_user),
    _route("POST", rf"users/{_ID}/(?:microsoft\.graph\.)?assignLicense", assign_license),
    _route("GET", f"users/{_ID}/licenseDetails", license_details),
    _route("GET", "directory/deletedItems/microsoft.graph.user", deleted_users),
    _route("GET", f"directory/deletedItems/{_ID}", deleted_item),
    _route("DELETE", f"directory/deletedItems/{_ID}", purge_deleted_item),
    _route("GET", "subscribedSkus", subscribed_skus),
    _route("GET", f"subscribedSkus/{_ID}", get_subscribed_sku),
]
