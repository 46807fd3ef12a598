"""Graph's Teams telephone number management over real HTTPS: `assignNumber` and
`unassignNumber` answer 202 with a Location, the operation tells the outcome, and Teams' reasons
for refusing (not E.164, assigned to someone else, no Teams Phone, unknown to Teams) are in it."""

from __future__ import annotations

import pytest

from onramp.sandbox.admin import SandboxAdmin

from .provisioning import E5, PROVISIONER, app_graph, new_user
from .test_graph_writes import assert_graph_error
from .test_permissions import Graph

ROOT = "/admin/teams/telephoneNumberManagement"
NUMBERS = [*PROVISIONER, "TeamsTelephoneNumber.ReadWrite.All"]
TYPES = "directRouting, callingPlan, operatorConnect"
TEAMS_ONLY = "4b9405b0-7788-4568-add1-99614e613b69"


@pytest.fixture
def tenant(admin: SandboxAdmin) -> dict:
    tenant = admin.create_tenant("Contoso", domains=["contoso.example"])
    admin.set_skus(
        tenant["tenant_id"],
        [
            {
                "sku_part_number": "ENTERPRISEPREMIUM",
                "prepaid_units": 5,
                "service_plans": ["TEAMS1", "MCOEV"],
            },
            {
                "sku_part_number": "EXCHANGESTANDARD",
                "prepaid_units": 5,
                "service_plans": ["TEAMS1"],
            },
        ],
    )
    return tenant


@pytest.fixture
def graph(http, sandbox_url, admin, tenant) -> Graph:
    return app_graph(http, sandbox_url, admin, tenant["tenant_id"], NUMBERS)


def _licensed(graph: Graph, name: str, sku: str) -> dict:
    user = new_user(graph, f"{name}@contoso.example", usageLocation="GB")
    body = {"addLicenses": [{"skuId": sku}], "removeLicenses": []}
    assert graph("POST", f"/users/{user['id']}/assignLicense", body).status_code == 200
    return user


def _exchange_sku(graph: Graph) -> str:
    skus = graph("GET", "/subscribedSkus").json()["value"]
    return next(s["skuId"] for s in skus if s["skuPartNumber"] == "EXCHANGESTANDARD")


def _order(graph: Graph, action: str, body: dict) -> dict:
    """POST the action, check the 202 and its Location, and return the polled operation."""
    response = graph("POST", f"{ROOT}/numberAssignments/{action}", body)
    assert response.status_code == 202, response.text
    assert response.content == b""
    location = response.headers["Location"]
    prefix = f"{graph.url}/graph/v1.0{ROOT}/operations('"
    assert location.startswith(prefix) and location.endswith("')")
    polled = graph.http.get(location, headers={"Authorization": f"Bearer {graph.token}"})
    assert polled.status_code == 200
    operation = polled.json()
    by_segment = graph("GET", f"{ROOT}/operations/{operation['id']}")
    assert by_segment.json() == operation
    assert operation["@odata.context"] == (
        f"{graph.url}/graph/v1.0/$metadata#admin/teams/telephoneNumberManagement/operations/$entity"
    )
    assert operation["resourceLocation"] == location
    return operation


def test_assign_and_unassign_a_direct_routing_number(graph, tenant, admin) -> None:
    user = _licensed(graph, "alice", E5)
    operation = _order(
        graph,
        "assignNumber",
        {
            "telephoneNumber": "12065550100",
            "assignmentTargetId": user["id"],
            "numberType": "directRouting",
            "assignmentCategory": "primary",
        },
    )
    assert operation == {
        **operation,
        "status": "succeeded",
        "statusDetail": None,
        "numbers": [
            {
                "resourceLocation": operation["numbers"][0]["resourceLocation"],
                "status": "succeeded",
                "statusDetail": None,
            }
        ],
    }
    assert set(operation) == {
        "@odata.context",
        "id",
        "createdDateTime",
        "lastActionDateTime",
        "resourceLocation",
        "status",
        "statusDetail",
        "numbers",
    }
    listed = graph("GET", f"{ROOT}/numberAssignments").json()["value"]
    assert len(listed) == 1
    assert listed[0] == {
        **listed[0],
        "telephoneNumber": "+12065550100",
        "assignmentTargetId": user["id"],
        "numberType": "directRouting",
        "assignmentCategory": "primary",
        "assignmentStatus": "userAssigned",
        "activationState": "activated",
    }
    one = graph.http.get(
        operation["numbers"][0]["resourceLocation"],
        headers={"Authorization": f"Bearer {graph.token}"},
    )
    assert one.status_code == 200 and one.json()["telephoneNumber"] == "+12065550100"
    assert admin.tenant(tenant["tenant_id"])["telephone_numbers"] == [
        {"telephone_number": "+12065550100", "assigned_to": user["id"]}
    ]
    config = graph("GET", f"/admin/teams/userConfigurations/{user['id']}").json()
    assert config["telephoneNumbers"] == [
        {"telephoneNumber": "+12065550100", "assignmentCategory": "primary"}
    ]
    # The same number to the same user again: nothing to change, still a success.
    again = {
        "telephoneNumber": "+12065550100",
        "assignmentTargetId": user["id"],
        "numberType": "directRouting",
    }
    assert _order(graph, "assignNumber", again)["status"] == "succeeded"

    removed = _order(
        graph, "unassignNumber", {"telephoneNumber": "+12065550100", "numberType": "directRouting"}
    )
    assert removed["status"] == "succeeded"
    assert graph("GET", f"{ROOT}/numberAssignments").json()["value"] == []
    assert admin.tenant(tenant["tenant_id"])["telephone_numbers"] == []
    twice = _order(
        graph, "unassignNumber", {"telephoneNumber": "+12065550100", "numberType": "directRouting"}
    )
    assert (twice["status"], twice["statusDetail"]) == (
        "failed",
        "Telephone Number '+12065550100' is not assigned.",
    )


def test_teams_refusals_are_in_the_operation(graph, tenant) -> None:
    alice = _licensed(graph, "alice", E5)
    bob = _licensed(graph, "bob", E5)
    carol = _licensed(graph, "carol", _exchange_sku(graph))  # Teams, but no Teams Phone
    unlicensed = new_user(graph, "dave@contoso.example", usageLocation="GB")
    first = {
        "telephoneNumber": "+442071234567",
        "assignmentTargetId": alice["id"],
        "numberType": "directRouting",
    }
    assert _order(graph, "assignNumber", first)["status"] == "succeeded"
    cases = [
        (
            {"telephoneNumber": "020 7123 4567", "assignmentTargetId": bob["id"]},
            "Telephone number '020 7123 4567' is not a valid E.164 number.",
        ),
        (
            {"telephoneNumber": "+0441234567", "assignmentTargetId": bob["id"]},
            "Telephone number '+0441234567' is not a valid E.164 number.",
        ),
        (
            {"telephoneNumber": "+442071234567", "assignmentTargetId": bob["id"]},
            "Telephone Number '+442071234567' has already been assigned to another user.",
        ),
        (
            {"telephoneNumber": "+442071234568", "assignmentTargetId": carol["id"]},
            "User 'carol@contoso.example' does not have a Teams Phone (MCOEV) license, which a "
            "Direct Routing number needs.",
        ),
        (
            {"telephoneNumber": "+442071234568", "assignmentTargetId": unlicensed["id"]},
            f"User '{unlicensed['id']}' was not found in Microsoft Teams.",
        ),
        (
            {"telephoneNumber": "+442071234568", "assignmentTargetId": TEAMS_ONLY},
            f"User '{TEAMS_ONLY}' was not found in Microsoft Teams.",
        ),
    ]
    for body, detail in cases:
        operation = _order(graph, "assignNumber", {**body, "numberType": "directRouting"})
        assert (operation["status"], operation["statusDetail"]) == ("failed", detail)
        assert operation["numbers"][0]["status"] == "failed"
        assert operation["numbers"][0]["statusDetail"] == detail
    listed = graph("GET", f"{ROOT}/numberAssignments?$select=telephoneNumber,assignmentTargetId")
    assert listed.json()["value"] == [
        {"telephoneNumber": "+442071234567", "assignmentTargetId": alice["id"]}
    ]


def test_malformed_orders_are_refused_at_once(graph) -> None:
    for body, message in [
        (
            {"assignmentTargetId": "x", "numberType": "directRouting"},
            "The parameter 'telephoneNumber' is required and must be a string.",
        ),
        (
            {"telephoneNumber": "+12065550100", "numberType": "directRouting"},
            "The parameter 'assignmentTargetId' is required and must be a string.",
        ),
        (
            {"telephoneNumber": "+12065550100", "assignmentTargetId": "x"},
            f"The value 'None' of parameter 'numberType' is not valid: use one of {TYPES}.",
        ),
        (
            {
                "telephoneNumber": "+12065550100",
                "assignmentTargetId": "x",
                "numberType": "DirectRouting",
            },
            "The value 'DirectRouting' of parameter 'numberType' is not valid: use one of "
            f"{TYPES}.",
        ),
        (
            {
                "telephoneNumber": "+12065550100",
                "assignmentTargetId": "x",
                "numberType": "directRouting",
                "assignmentCategory": "main",
            },
            "The value 'main' of parameter 'assignmentCategory' is not valid: use one of "
            "primary, private, alternate.",
        ),
    ]:
        assert_graph_error(
            graph("POST", f"{ROOT}/numberAssignments/assignNumber", body),
            400,
            "BadRequest",
            message,
        )
    assert graph("GET", f"{ROOT}/operations/nope").status_code == 404
    assert graph("GET", f"{ROOT}/operations('nope')").status_code == 404


def test_numbers_need_the_telephone_number_permission(http, sandbox_url, admin, tenant) -> None:
    graph = app_graph(http, sandbox_url, admin, tenant["tenant_id"], PROVISIONER)
    reader = app_graph(
        http, sandbox_url, admin, tenant["tenant_id"], ["TeamsTelephoneNumber.Read.All"]
    )
    body = {
        "telephoneNumber": "+12065550100",
        "assignmentTargetId": "x",
        "numberType": "directRouting",
    }
    denied = ("Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
    assert_graph_error(graph("POST", f"{ROOT}/numberAssignments/assignNumber", body), 403, *denied)
    assert_graph_error(graph("GET", f"{ROOT}/numberAssignments"), 403, *denied)
    assert_graph_error(
        reader("POST", f"{ROOT}/numberAssignments/unassignNumber", body), 403, *denied
    )
    assert reader("GET", f"{ROOT}/numberAssignments").status_code == 200


def test_batched_assignment_carries_the_location(graph, tenant) -> None:
    user = _licensed(graph, "alice", E5)
    body = {
        "telephoneNumber": "+12065550101",
        "assignmentTargetId": user["id"],
        "numberType": "directRouting",
    }
    response = graph(
        "POST",
        "/$batch",
        {
            "requests": [
                {
                    "id": "1",
                    "method": "POST",
                    "url": f"{ROOT}/numberAssignments/assignNumber",
                    "body": body,
                    "headers": {"Content-Type": "application/json"},
                }
            ]
        },
    )
    answer = response.json()["responses"][0]
    assert answer["status"] == 202 and answer["body"] is None
    assert answer["headers"]["Location"].startswith(f"{graph.url}/graph/v1.0{ROOT}/operations('")
