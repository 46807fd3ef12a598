"""Graph `domains` for Direct Routing: add a sub-domain, read its verification records, verify it
against real DNS, remove it (research/provisioning.md §D.2 steps 1-4).

Domains added here start unverified (`Tenant.unverified`); `verify` moves one into
`Tenant.domains` and claims it in the world, after which tokens and sign-ins may name it.
A sub-domain of a domain this tenant has verified is verified at once, as Entra does.
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING

from onramp.sandbox import permissions as perm
from onramp.sandbox.credentials import utcnow
from onramp.sandbox.dnslookup import txt_values
from onramp.sandbox.errors import directory_error, invalid_property, not_found
from onramp.sandbox.graph_reads import _ID, Reply, _entity, _route, listed
from onramp.sandbox.model import Tenant, stable_id

if TYPE_CHECKING:
    from onramp.sandbox.graph import Call

MAX_LENGTH = 48  # Teams Direct Routing's limit on the domain name (research §D.1)
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_TOP = re.compile(r"^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$")
DOMAIN_FIELDS = (
    "authenticationType",
    "availabilityStatus",
    "id",
    "isAdminManaged",
    "isDefault",
    "isInitial",
    "isRoot",
    "isVerified",
    "passwordNotificationWindowInDays",
    "passwordValidityPeriodInDays",
    "state",
    "supportedServices",
)
VERIFY_FAILED = (
    "Domain verification failed with the following error: Could not find the DNS record for "
    "this domain. DNS changes may take up to 72 hours to propagate. Please try again later."
)


def valid_name(name: str) -> bool:
    """A name Entra accepts: DNS labels, an alphabetic top level, at most MAX_LENGTH long."""
    labels = name.split(".")
    return (
        len(name) <= MAX_LENGTH
        and len(labels) >= 2
        and all(_LABEL.match(label) for label in labels)
        and bool(_TOP.match(labels[-1]))
    )


def verification_code(tenant: Tenant, name: str) -> str:
    """`ms` and eight digits, the same for a tenant and domain every time it is asked."""
    digest = hashlib.sha256(f"{tenant.tenant_id}:{name}".encode()).digest()
    return f"ms{int.from_bytes(digest[:8], 'big') % 10**8:08d}"


def domain(tenant: Tenant, name: str) -> dict:
    verified = name in tenant.domains
    return {
        "authenticationType": "Managed",
        "availabilityStatus": None,
        "id": name,
        "isAdminManaged": True,
        "isDefault": name == tenant.default_domain,
        "isInitial": name == tenant.domains[0],
        "isRoot": not any(name.endswith(f".{other}") for other in tenant.all_domains()),
        "isVerified": verified,
        "passwordNotificationWindowInDays": 14 if verified else None,
        "passwordValidityPeriodInDays": 2147483647 if verified else None,
        "state": None,
        "supportedServices": ["Email", "OfficeCommunicationsOnline"] if verified else [],
    }


def _find(call: Call, key: str) -> str:
    name = key.lower()
    if name not in call.tenant.all_domains():
        raise not_found(key)
    return name


def _entity_reply(call: Call, name: str, status: int = 200) -> Reply:
    return status, {"@odata.context": f"{call.context}domains/$entity", **domain(call.tenant, name)}


def domains(call: Call) -> Reply:
    perm.check(call.tenant, call.claims, perm.READ_DOMAINS)
    items = [domain(call.tenant, name) for name in call.tenant.all_domains()]
    return listed(
        call,
        items,
        "domains",
        filter_by={"id"},
        type_label="Domain",
        fields=DOMAIN_FIELDS,
        kind="domain",
    )


def get_domain(call: Call, key: str) -> Reply:
    perm.check(call.tenant, call.claims, perm.READ_DOMAINS)
    name = key.lower()
    found = domain(call.tenant, name) if name in call.tenant.all_domains() else None
    return _entity(call, found, key, "domains", "domain")


def create_domain(call: Call) -> Reply:
    perm.check(call.tenant, call.claims, perm.WRITE_DOMAINS)
    for key in call.body:
        if key != "id" and not key.startswith("@odata."):
            if key in DOMAIN_FIELDS:
                raise directory_error(f"Property '{key}' is read-only and cannot be set.")
            raise directory_error(
                f"The property '{key}' does not exist on type 'microsoft.graph.domain'. Make "
                "sure to only use property names that are defined by the type."
            )
    raw = call.body.get("id")
    name = raw.strip().lower().rstrip(".") if isinstance(raw, str) else ""
    if not valid_name(name):
        raise invalid_property("id", "Domain")
    tenant = call.tenant
    if name in tenant.all_domains():
        raise directory_error(
            "A conflicting object with one or more of the specified property values is present "
            "in the directory."
        )
    owner = call.world.domain_owner(name)
    if owner is not None and owner != tenant.tenant_id:
        raise directory_error(f"Domain '{name}' has already been verified in another tenant.")
    if any(name.endswith(f".{parent}") for parent in tenant.domains):
        _mark_verified(call, name)
    else:
        tenant.unverified.append(name)
    call.world.save()
    return _entity_reply(call, name, 201)


def verification_records(call: Call, key: str) -> Reply:
    perm.check(call.tenant, call.claims, perm.READ_DOMAINS)
    name = _find(call, key)
    code = verification_code(call.tenant, name)
    common = {"isOptional": False, "label": name, "supportedService": "Email", "ttl": 3600}
    return 200, {
        "@odata.context": f"{call.context}domains('{name}')/verificationDnsRecords",
        "value": [
            {
                "@odata.type": "#microsoft.graph.domainDnsTxtRecord",
                "id": stable_id(name, "txt"),
                **common,
                "recordType": "Txt",
                "text": f"MS={code}",
            },
            {
                "@odata.type": "#microsoft.graph.domainDnsMxRecord",
                "id": stable_id(name, "mx"),
                **common,
                "recordType": "Mx",
                "mailExchange": f"{code}.msv1.invalid",
                "preference": 32767,
            },
        ],
    }


def _mark_verified(call: Call, name: str) -> None:
    tenant = call.tenant
    if name in tenant.unverified:
        tenant.unverified.remove(name)
    tenant.domains.append(name)
    tenant.verified_at[name] = utcnow()
    call.world.claim_domain(tenant, name)


def verify_domain(call: Call, key: str) -> Reply:
    perm.check(call.tenant, call.claims, perm.WRITE_DOMAINS)
    name = _find(call, key)
    if name in call.tenant.domains:
        return _entity_reply(call, name)
    owner = call.world.domain_owner(name)
    if owner is not None and owner != call.tenant.tenant_id:
        raise directory_error(f"Domain '{name}' has already been verified in another tenant.")
    if f"MS={verification_code(call.tenant, name)}" not in txt_values(call.world, name):
        raise directory_error(VERIFY_FAILED)
    _mark_verified(call, name)
    call.world.save()
    return _entity_reply(call, name)


def delete_domain(call: Call, key: str) -> Reply:
    perm.check(call.tenant, call.claims, perm.WRITE_DOMAINS)
    tenant = call.tenant
    name = _find(call, key)
    if name == tenant.domains[0]:
        raise directory_error("The initial domain of the tenant cannot be deleted.")
    users = [*tenant.users.values(), *tenant.deleted_users.values()]
    if any(user.domain == name for user in users):
        raise directory_error(
            f"Unable to delete domain '{name}': it is still referenced by users (deleted users "
            "included). Remove or permanently delete them first."
        )
    if name in tenant.domains:
        tenant.domains.remove(name)
        tenant.verified_at.pop(name, None)
        call.world.release_domain(name)
    else:
        tenant.unverified.remove(name)
    call.world.save()
    return 204, None


DOMAIN_ROUTES = [
    _route("GET", "domains", domains),
    _route("POST", "domains", create_domain),
    _route("GET", f"domains/{_ID}", get_domain),
    _route("DELETE", f"domains/{_ID}", delete_domain),
    _route("GET", f"domains/{_ID}/verificationDnsRecords", verification_records),
    _route("POST", rf"domains/{_ID}/(?:microsoft\.graph\.)?verify", verify_domain),
]
