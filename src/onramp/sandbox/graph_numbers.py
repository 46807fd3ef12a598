"""Graph's Teams telephone number management for Direct Routing numbers (research §D.2 step 10):
`assignNumber` and `unassignNumber` as long-running operations (202 and a Location to poll),
the operations themselves, and the number assignments they leave.

Malformed requests (a parameter missing, an unknown `numberType`) are refused at once with 400;
what Teams itself decides — a number not in E.164, one assigned to someone else, a user Teams
does not know or without Teams Phone (MCOEV) — is reported by the operation, `failed` with the
reason in `statusDetail`, as Teams reports it. The sandbox completes an operation before it
answers, so the first poll sees its outcome.
"""

from __future__ import annotations

import base64
import re
import uuid
from typing import TYPE_CHECKING

from onramp.sandbox import permissions as perm
from onramp.sandbox.credentials import iso_z, utcnow
from onramp.sandbox.errors import bad_request, not_found
from onramp.sandbox.graph_reads import _ID, Reply, _entity, _route, listed
from onramp.sandbox.graph_teams import has_phone, is_active
from onramp.sandbox.model import stable_id

if TYPE_CHECKING:
    from onramp.sandbox.graph import Call

ROOT = "admin/teams/telephoneNumberManagement"
_ACTION = r"(?:microsoft\.graph\.teamsAdministration\.)?"  # the SDKs name actions in full
Accepted = tuple[int, None, dict[str, str]]  # 202, no body, the Location to poll
_E164 = re.compile(r"^\+?[1-9]\d{6,14}$")
NUMBER_TYPES = ("directRouting", "callingPlan", "operatorConnect")
CATEGORIES = ("primary", "private", "alternate")
ASSIGNMENT_FIELDS = (
    "id",
    "telephoneNumber",
    "operatorId",
    "numberType",
    "activationState",
    "capabilities",
    "locationId",
    "civicAddressId",
    "networkSiteId",
    "assignmentTargetId",
    "assignmentCategory",
    "portInStatus",
    "assignmentStatus",
    "isoCountryCode",
    "city",
    "numberSource",
    "supportedCustomerActions",
    "reverseNumberLookupOptions",
)


def e164(raw: str) -> str | None:
    """The number with its `+` (Teams records it so whichever way it was sent), or None."""
    text = raw.strip()
    return None if _E164.match(text) is None else "+" + text.lstrip("+")


def assignment(number: str, held: dict) -> dict:
    return {
        "id": stable_id("number", number),
        "telephoneNumber": number,
        "operatorId": None,
        "numberType": held["numberType"],
        "activationState": "activated",
        "capabilities": ["userAssignment"],
        "locationId": held.get("locationId"),
        "civicAddressId": None,
        "networkSiteId": None,
        "assignmentTargetId": held["assignmentTargetId"],
        "assignmentCategory": held["assignmentCategory"],
        "portInStatus": None,
        "assignmentStatus": "userAssigned",
        "isoCountryCode": None,
        "city": None,
        "numberSource": "online",
        "supportedCustomerActions": [],
        "reverseNumberLookupOptions": [],
    }


def _text(call: Call, name: str, required: bool = True) -> str | None:
    value = call.body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise bad_request(f"The parameter '{name}' is required and must be a string.")
    return value


def _choice(call: Call, name: str, allowed: tuple[str, ...], default: str | None = None) -> str:
    value = call.body.get(name, default)
    if value not in allowed:
        raise bad_request(
            f"The value '{value}' of parameter '{name}' is not valid: use one of "
            f"{', '.join(allowed)}."
        )
    return str(value)


def _assign_failure(call: Call, number: str | None, raw: str, target: str, kind: str) -> str:
    """Why Teams would refuse this assignment ('' when it would not)."""
    tenant = call.tenant
    if number is None:
        return f"Telephone number '{raw}' is not a valid E.164 number."
    user = tenant.users.get(target.lower())
    if user is None or not is_active(tenant, user):
        return f"User '{target}' was not found in Microsoft Teams."
    held = tenant.numbers.get(number)
    if held is not None and held["assignmentTargetId"] != user.user_id:
        return f"Telephone Number '{number}' has already been assigned to another user."
    if kind == "directRouting" and not has_phone(tenant, user):
        return (
            f"User '{user.user_principal_name}' does not have a Teams Phone (MCOEV) license, "
            "which a Direct Routing number needs."
        )
    return ""


def _operation(call: Call, kind: str, number: str | None, failure: str) -> Accepted:
    """Record a finished operation and answer 202 with where to poll it."""
    operation_id = base64.urlsafe_b64encode(f"{kind}|{uuid.uuid4()}".encode()).rstrip(b"=").decode()
    location = f"{call.base}/{ROOT}/operations('{operation_id}')"
    status = "failed" if failure else "succeeded"
    resource = f"{call.base}/{ROOT}/numberAssignments/{stable_id('number', number or '')}"
    now = iso_z(utcnow())
    call.tenant.operations[operation_id] = {
        "id": operation_id,
        "createdDateTime": now,
        "lastActionDateTime": now,
        "resourceLocation": location,
        "status": status,
        "statusDetail": failure or None,
        "numbers": [
            {"resourceLocation": resource, "status": status, "statusDetail": failure or None}
        ],
    }
    call.world.save()
    return 202, None, {"Location": location}


def assign_number(call: Call) -> Accepted:
    perm.check(call.tenant, call.claims, perm.WRITE_NUMBERS)
    raw = str(_text(call, "telephoneNumber"))
    target = str(_text(call, "assignmentTargetId"))
    kind = _choice(call, "numberType", NUMBER_TYPES)
    category = _choice(call, "assignmentCategory", CATEGORIES, "primary")
    location_id = _text(call, "locationId", required=False)
    number = e164(raw)
    failure = _assign_failure(call, number, raw, target, kind)
    if not failure and number is not None:
        user_id = target.lower()
        if category == "primary":  # a new primary number replaces the user's old one
            for old, held in list(call.tenant.numbers.items()):
                if (
                    held["assignmentTargetId"] == user_id
                    and held["assignmentCategory"] == "primary"
                ):
                    del call.tenant.numbers[old]
        call.tenant.numbers[number] = {
            "assignmentTargetId": user_id,
            "numberType": kind,
            "assignmentCategory": category,
            "locationId": location_id,
        }
    return _operation(call, "Assignment", number, failure)


def unassign_number(call: Call) -> Accepted:
    perm.check(call.tenant, call.claims, perm.WRITE_NUMBERS)
    raw = str(_text(call, "telephoneNumber"))
    kind = _choice(call, "numberType", NUMBER_TYPES)
    number = e164(raw)
    held = call.tenant.numbers.get(number or "")
    if number is None:
        failure = f"Telephone number '{raw}' is not a valid E.164 number."
    elif held is None or held["numberType"] != kind:
        failure = f"Telephone Number '{number}' is not assigned."
    else:
        failure = ""
        del call.tenant.numbers[number]
    return _operation(call, "Unassignment", number, failure)


def operation(call: Call, operation_id: str) -> Reply:
    perm.check(call.tenant, call.claims, perm.READ_NUMBERS)
    found = call.tenant.operations.get(operation_id.strip("'"))
    if found is None:
        raise not_found(operation_id)
    context = f"{call.context}{ROOT}/operations/$entity"
    return 200, {"@odata.context": context, **found}


def number_assignments(call: Call) -> Reply:
    perm.check(call.tenant, call.claims, perm.READ_NUMBERS)
    items = [assignment(number, held) for number, held in call.tenant.numbers.items()]
    return listed(
        call,
        items,
        f"{ROOT}/numberAssignments",
        filter_by={"telephoneNumber", "assignmentTargetId"},
        type_label="NumberAssignment",
        fields=ASSIGNMENT_FIELDS,
        kind="teamsAdministration.numberAssignment",
    )


def number_assignment(call: Call, key: str) -> Reply:
    perm.check(call.tenant, call.claims, perm.READ_NUMBERS)
    found = next(
        (
            assignment(number, held)
            for number, held in call.tenant.numbers.items()
            if stable_id("number", number) == key
        ),
        None,
    )
    set_name = f"{ROOT}/numberAssignments"
    return _entity(call, found, key, set_name, "teamsAdministration.numberAssignment")


NUMBER_ROUTES = [
    _route("POST", f"{ROOT}/numberAssignments/{_ACTION}assignNumber", assign_number),
    _route("POST", f"{ROOT}/numberAssignments/{_ACTION}unassignNumber", unassign_number),
    _route("GET", f"{ROOT}/numberAssignments", number_assignments),
    _route("GET", f"{ROOT}/numberAssignments/{_ID}", number_assignment),
    _route("GET", f"{ROOT}/operations/{_ID}", operation),
    _route("GET", rf"{ROOT}/operations\('([^']+)'\)", operation),
]
