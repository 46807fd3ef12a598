"""Graph users, licenses and Teams activation for Direct Routing's activation user, over real
HTTPS: `subscribedSkus`, `POST/PATCH/DELETE /users`, `assignLicense` with the directory's errors,
the soft delete and `directory/deletedItems`, and `admin/teams/userConfigurations`."""

from __future__ import annotations

from datetime import timedelta

import pytest

from onramp.sandbox.admin import SandboxAdmin, SandboxAdminError

from .conftest import running_sandbox
from .provisioning import E5, MCOEV, PASSWORD, PROVISIONER, TEAMS1, app_graph, new_user
from .test_graph_writes import assert_graph_error
from .test_permissions import Graph

UPN = "activation@sbc.contoso.example"
SKUS = [
    {
        "sku_part_number": "ENTERPRISEPREMIUM",
        "prepaid_units": 1,
        "service_plans": ["TEAMS1", "MCOEV"],
    },
    {
        "sku_part_number": "EXCHANGESTANDARD",
        "prepaid_units": 5,
        "service_plans": ["EXCHANGE_S_STANDARD"],
    },
]


@pytest.fixture
def tenant(admin: SandboxAdmin) -> dict:
    tenant = admin.create_tenant("Contoso", domains=["sbc.contoso.example"])
    admin.set_skus(tenant["tenant_id"], SKUS)
    return tenant


@pytest.fixture
def graph(http, sandbox_url, admin, tenant) -> Graph:
    return app_graph(http, sandbox_url, admin, tenant["tenant_id"], PROVISIONER)


def _sku_id(graph: Graph, part: str) -> str:
    skus = graph("GET", "/subscribedSkus").json()["value"]
    return next(s["skuId"] for s in skus if s["skuPartNumber"] == part)


def _license(graph: Graph, user: str, *add: str, remove: tuple[str, ...] = ()):
    body = {
        "addLicenses": [{"skuId": s, "disabledPlans": []} for s in add],
        "removeLicenses": list(remove),
    }
    return graph("POST", f"/users/{user}/assignLicense", body)


def test_subscribed_skus(graph, tenant, admin) -> None:
    response = graph("GET", "/subscribedSkus")
    assert response.status_code == 200
    body = response.json()
    assert body["@odata.context"] == f"{graph.url}/graph/v1.0/$metadata#subscribedSkus"
    e5, exchange = body["value"]
    assert e5 == {
        "accountName": "Contoso",
        "accountId": tenant["tenant_id"],
        "appliesTo": "User",
        "capabilityStatus": "Enabled",
        "consumedUnits": 0,
        "id": f"{tenant['tenant_id']}_{E5}",
        "prepaidUnits": {"enabled": 1, "lockedOut": 0, "suspended": 0, "warning": 0},
        "servicePlans": [
            {
                "servicePlanId": TEAMS1,
                "servicePlanName": "TEAMS1",
                "provisioningStatus": "Success",
                "appliesTo": "User",
            },
            {
                "servicePlanId": MCOEV,
                "servicePlanName": "MCOEV",
                "provisioningStatus": "Success",
                "appliesTo": "User",
            },
        ],
        "skuId": E5,
        "skuPartNumber": "ENTERPRISEPREMIUM",
        "subscriptionIds": e5["subscriptionIds"],
    }
    assert exchange["skuPartNumber"] == "EXCHANGESTANDARD"
    assert exchange["servicePlans"][0]["servicePlanName"] == "EXCHANGE_S_STANDARD"
    one = graph("GET", f"/subscribedSkus/{e5['id']}")
    assert one.json() == {
        "@odata.context": f"{graph.url}/graph/v1.0/$metadata#subscribedSkus/$entity",
        **e5,
    }
    selected = graph("GET", "/subscribedSkus?$select=skuPartNumber,consumedUnits").json()
    assert selected["value"] == [
        {"skuPartNumber": "ENTERPRISEPREMIUM", "consumedUnits": 0},
        {"skuPartNumber": "EXCHANGESTANDARD", "consumedUnits": 0},
    ]
    assert_graph_error(
        graph("GET", "/subscribedSkus?$filter=skuPartNumber eq 'MCOEV'"),
        400,
        "Request_UnsupportedQuery",
        "Unsupported or invalid query filter clause specified for resource 'SubscribedSku'.",
    )


def test_create_user_and_read_it_back(graph, tenant, admin) -> None:
    made = graph(
        "POST",
        "/users",
        {
            "accountEnabled": True,
            "displayName": "Teams activation",
            "mailNickname": "activation",
            "userPrincipalName": UPN,
            "usageLocation": "GB",
            "passwordProfile": {"password": PASSWORD, "forceChangePasswordNextSignIn": False},
        },
    )
    assert made.status_code == 201
    user = made.json()
    assert user == {
        "@odata.context": f"{graph.url}/graph/v1.0/$metadata#users/$entity",
        "id": user["id"],
        "businessPhones": [],
        "displayName": "Teams activation",
        "givenName": None,
        "jobTitle": None,
        "mail": None,
        "mobilePhone": None,
        "officeLocation": None,
        "preferredLanguage": None,
        "surname": None,
        "userPrincipalName": UPN,
    }
    chosen = "id,usageLocation,accountEnabled,assignedLicenses"
    by_upn = graph("GET", f"/users/{UPN}?$select={chosen}")
    assert by_upn.json() == {
        "@odata.context": f"{graph.url}/graph/v1.0/$metadata#users({chosen})/$entity",
        "id": user["id"],
        "usageLocation": "GB",
        "accountEnabled": True,
        "assignedLicenses": [],
    }
    assert (
        graph(
            "PATCH", f"/users/{user['id']}", {"usageLocation": "FR", "jobTitle": "Robot"}
        ).status_code
        == 204
    )
    again = graph("GET", f"/users/{user['id']}?$select=usageLocation,jobTitle").json()
    assert (again["usageLocation"], again["jobTitle"]) == ("FR", "Robot")
    view = admin.tenant(tenant["tenant_id"])
    assert view["users"] == [
        {"id": user["id"], "user_principal_name": UPN, "assigned_licenses": []}
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"passwordProfile": None}, "A password must be specified to create a new user."),
        (
            {"passwordProfile": {"password": "short"}},
            "The specified password does not comply with password complexity requirements. "
            "Please provide a different password.",
        ),
        (
            {"passwordProfile": {"password": "alllowercaseletters"}},
            "The specified password does not comply with password complexity requirements. "
            "Please provide a different password.",
        ),
        (
            {"userPrincipalName": "activation@unverified.example"},
            "The domain portion of the userPrincipalName property is invalid. You must use one of "
            "the verified domain names in your organization.",
        ),
        (
            {"userPrincipalName": "no-at-sign"},
            "Invalid value specified for property 'userPrincipalName' of resource 'User'.",
        ),
        (
            {"usageLocation": "gbr"},
            "Invalid value specified for property 'usageLocation' of resource 'User'.",
        ),
        (
            {"displayName": None},
            "Invalid value specified for property 'displayName' of resource 'User'.",
        ),
        (
            {"mailNickname": None},
            "Invalid value specified for property 'mailNickname' of resource 'User'.",
        ),
        (
            {"accountEnabled": "yes"},
            "Invalid value specified for property 'accountEnabled' of resource 'User'.",
        ),
        (
            {"favouriteColour": "blue"},
            "The property 'favouriteColour' does not exist on type 'microsoft.graph.user'. Make "
            "sure to only use property names that are defined by the type.",
        ),
    ],
)
def test_create_user_errors(graph, tenant, admin, change, message) -> None:
    body = {
        "accountEnabled": True,
        "displayName": "Teams activation",
        "mailNickname": "activation",
        "userPrincipalName": UPN,
        "passwordProfile": {"password": PASSWORD},
        **change,
    }
    body = {key: value for key, value in body.items() if value is not None}
    assert_graph_error(graph("POST", "/users", body), 400, "Request_BadRequest", message)
    assert admin.tenant(tenant["tenant_id"])["users"] == []


def test_duplicate_user_principal_name(graph) -> None:
    new_user(graph, UPN)
    assert_graph_error(
        graph(
            "POST",
            "/users",
            {
                "accountEnabled": True,
                "displayName": "Again",
                "mailNickname": "again",
                "userPrincipalName": UPN.upper(),
                "passwordProfile": {"password": PASSWORD},
            },
        ),
        400,
        "Request_BadRequest",
        "Another object with the same value for property userPrincipalName already exists.",
    )


def test_soft_delete_and_delete_for_good(graph, tenant, admin) -> None:
    user = new_user(graph, UPN)
    assert graph("DELETE", f"/users/{UPN}").status_code == 204
    assert graph("GET", f"/users/{user['id']}").status_code == 404
    assert graph("DELETE", f"/users/{user['id']}").status_code == 404
    seen = admin.tenant(tenant["tenant_id"])
    assert (seen["users"], seen["deleted_users"]) == (
        [],
        [{"id": user["id"], "user_principal_name": UPN}],
    )
    deleted = graph("GET", f"/directory/deletedItems/{user['id']}")
    assert deleted.status_code == 200
    body = deleted.json()
    assert (
        body["@odata.context"] == f"{graph.url}/graph/v1.0/$metadata#directory/deletedItems/$entity"
    )
    assert body["@odata.type"] == "#microsoft.graph.user"
    assert (body["id"], body["userPrincipalName"]) == (user["id"], UPN)
    assert body["deletedDateTime"].endswith("Z")
    listed = graph(
        "GET", "/directory/deletedItems/microsoft.graph.user?$select=id,userPrincipalName"
    )
    assert listed.json()["value"] == [{"id": user["id"], "userPrincipalName": UPN}]
    # The UPN is free again for a new user while the old one waits in the recycle bin.
    new_user(graph, UPN)
    assert graph("DELETE", f"/directory/deletedItems/{user['id']}").status_code == 204
    assert graph("GET", f"/directory/deletedItems/{user['id']}").status_code == 404
    assert graph("DELETE", f"/directory/deletedItems/{user['id']}").status_code == 404
    assert admin.tenant(tenant["tenant_id"])["deleted_users"] == []


def test_assign_license_and_its_errors(graph, tenant, admin) -> None:
    e5 = _sku_id(graph, "ENTERPRISEPREMIUM")
    user = new_user(graph, UPN)
    assert_graph_error(
        _license(graph, user["id"], e5),
        400,
        "Request_BadRequest",
        "License assignment cannot be done for user with invalid usage location.",
    )
    assert graph("PATCH", f"/users/{user['id']}", {"usageLocation": "GB"}).status_code == 204
    unknown = "11111111-2222-3333-4444-555555555555"
    assert_graph_error(
        _license(graph, user["id"], unknown),
        400,
        "Request_BadRequest",
        f"License {unknown} does not correspond to a valid company License.",
    )
    assert_graph_error(
        graph("POST", f"/users/{user['id']}/assignLicense", {"addLicenses": []}),
        400,
        "Request_BadRequest",
        "Invalid value specified for property 'removeLicenses' of resource 'User'.",
    )
    licensed = _license(graph, user["id"], e5)
    assert licensed.status_code == 200
    assert licensed.json()["@odata.context"] == f"{graph.url}/graph/v1.0/$metadata#users/$entity"
    assert licensed.json()["id"] == user["id"]
    assert _license(graph, user["id"], e5).status_code == 200  # again: no second seat taken
    skus = graph("GET", "/subscribedSkus?$select=skuPartNumber,consumedUnits").json()["value"]
    assert skus[0] == {"skuPartNumber": "ENTERPRISEPREMIUM", "consumedUnits": 1}
    details = graph("GET", f"/users/{user['id']}/licenseDetails").json()["value"]
    assert [(d["skuId"], d["skuPartNumber"]) for d in details] == [(e5, "ENTERPRISEPREMIUM")]
    assert admin.tenant(tenant["tenant_id"])["users"][0]["assigned_licenses"] == [
        "ENTERPRISEPREMIUM"
    ]

    second = new_user(graph, "second@sbc.contoso.example", usageLocation="GB")
    assert_graph_error(
        _license(graph, second["id"], e5),
        400,
        "Request_BadRequest",
        f"Subscription with SKU {e5} does not have any available licenses.",
    )
    # A soft-deleted user frees its seat.
    assert graph("DELETE", f"/users/{user['id']}").status_code == 204
    assert _license(graph, second["id"], e5).status_code == 200
    assert_graph_error(
        _license(graph, user["id"], e5),
        404,
        "Request_ResourceNotFound",
        f"Resource '{user['id']}' does not exist or one of its queried reference-property objects "
        "are not present.",
    )
    removed = _license(graph, second["id"], remove=(e5,))
    assert removed.status_code == 200
    assert_graph_error(
        _license(graph, second["id"], remove=(e5,)),
        400,
        "Request_BadRequest",
        f"User does not have a corresponding license {e5}.",
    )
    assert (
        graph("GET", f"/users/{second['id']}?$select=assignedLicenses").json()["assignedLicenses"]
        == []
    )


def test_teams_activates_a_licensed_user_after_the_delay(graph, tenant, admin, clock) -> None:
    admin.set_teams_activation(tenant["tenant_id"], 3600)
    e5 = _sku_id(graph, "ENTERPRISEPREMIUM")
    user = new_user(graph, UPN, usageLocation="GB")
    path = f"/admin/teams/userConfigurations/{user['id']}"
    assert graph("GET", path).status_code == 404  # not licensed yet
    assert _license(graph, user["id"], e5).status_code == 200
    assert_graph_error(
        graph("GET", path),
        404,
        "Request_ResourceNotFound",
        f"Resource '{user['id']}' does not exist or one of its queried reference-property objects "
        "are not present.",
    )
    clock.advance(timedelta(minutes=59))
    admin.set_clock(clock.iso())
    assert graph("GET", path).status_code == 404
    clock.advance(timedelta(minutes=2))
    admin.set_clock(clock.iso())
    response = graph("GET", path)
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "@odata.context": f"{graph.url}/graph/v1.0/$metadata#admin/teams/userConfigurations"
        "/$entity",
        "id": user["id"],
        "userPrincipalName": UPN,
        "tenantId": tenant["tenant_id"],
        "accountType": "user",
        "isEnterpriseVoiceEnabled": True,
        "featureTypes": ["Teams", "PhoneSystem"],
        "effectivePolicyAssignments": [],
        "telephoneNumbers": [],
        "createdDateTime": body["createdDateTime"],
        "modifiedDateTime": body["createdDateTime"],
    }


def test_a_license_without_teams_never_activates(graph, tenant, admin) -> None:
    exchange = _sku_id(graph, "EXCHANGESTANDARD")
    user = new_user(graph, UPN, usageLocation="GB")
    assert _license(graph, user["id"], exchange).status_code == 200
    assert graph("GET", f"/admin/teams/userConfigurations/{user['id']}").status_code == 404


def test_provisioning_permissions(http, sandbox_url, admin, tenant) -> None:
    reader = app_graph(http, sandbox_url, admin, tenant["tenant_id"], ["User.Read.All"])
    writer = app_graph(http, sandbox_url, admin, tenant["tenant_id"], ["User.ReadWrite.All"])
    user = new_user(writer, UPN, usageLocation="GB")
    denied = ("Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
    for method, path, body in [
        ("POST", "/users", {"displayName": "x"}),
        ("PATCH", f"/users/{user['id']}", {"usageLocation": "FR"}),
        ("DELETE", f"/users/{user['id']}", None),
        ("POST", f"/users/{user['id']}/assignLicense", {"addLicenses": [], "removeLicenses": []}),
        ("GET", "/subscribedSkus", None),
        ("GET", f"/admin/teams/userConfigurations/{user['id']}", None),
    ]:
        assert_graph_error(reader(method, path, body), 403, *denied)
    assert reader("GET", f"/users/{user['id']}").status_code == 200
    assert writer("GET", f"/admin/teams/userConfigurations/{user['id']}").status_code == 403
    licenser = app_graph(
        http, sandbox_url, admin, tenant["tenant_id"], ["LicenseAssignment.ReadWrite.All"]
    )
    assert licenser("GET", "/subscribedSkus").status_code == 200
    assert (
        licenser(
            "POST", f"/users/{user['id']}/assignLicense", {"addLicenses": [], "removeLicenses": []}
        ).status_code
        == 200
    )
    assert_graph_error(licenser("POST", "/users", {}), 403, *denied)


def test_delegated_provisioning_needs_the_right_directory_role(
    http, sandbox_url, directory_world
) -> None:
    from .flows import delegated_token

    world = directory_world
    scopes = ["User.ReadWrite.All", "Domain.ReadWrite.All"]

    def graph_for(key: str) -> Graph:
        upn = world["users"][key]["upn"]
        token = delegated_token(
            http, sandbox_url, world["tenant_id"], world["client_id"], upn, scopes
        )
        return Graph(http, sandbox_url, token)

    ga = graph_for("ga")
    assert ga("POST", "/domains", {"id": "sbc.fabrikam.example"}).status_code == 201
    new_user(ga, f"activation@{world['default_domain']}")
    member = graph_for("member")
    assert member("POST", "/domains", {"id": "other.fabrikam.example"}).status_code == 403
    assert member("DELETE", f"/users/activation@{world['default_domain']}").status_code == 403


def test_admin_skus_and_activation_settings(admin, tenant) -> None:
    stored = admin.set_skus(
        tenant["tenant_id"],
        [{"sku_part_number": "MCOEV", "prepaid_units": 3, "service_plans": ["MCOEV"]}],
    )
    assert stored == [
        {
            "sku_id": "e43b5b99-8dfb-405f-9987-dc307f34bcbd",
            "sku_part_number": "MCOEV",
            "prepaid_units": 3,
            "service_plans": ["MCOEV"],
            "consumed_units": 0,
        }
    ]
    assert admin.set_teams_activation(tenant["tenant_id"], 0) == {"delay_seconds": 0}
    for call, message in [
        (
            lambda: admin.set_skus(tenant["tenant_id"], {"sku_part_number": "X"}),
            "the body must be a JSON list of SKUs",
        ),
        (
            lambda: admin.set_skus(tenant["tenant_id"], [{"prepaid_units": 1}]),
            "sku_part_number is required",
        ),
        (
            lambda: admin.set_skus(tenant["tenant_id"], [{"sku_part_number": "E5 plus"}]),
            "sku_part_number must be a SKU part number such as ENTERPRISEPACK",
        ),
        (
            lambda: admin.set_skus(
                tenant["tenant_id"], [{"sku_part_number": "E5", "prepaid_units": -1}]
            ),
            "prepaid_units must be a whole number, 0 or more",
        ),
        (
            lambda: admin.set_skus(
                tenant["tenant_id"], [{"sku_part_number": "E5"}, {"sku_part_number": "E5"}]
            ),
            "each sku_part_number may appear once",
        ),
        (
            lambda: admin.set_skus(tenant["tenant_id"], [{"sku_part_number": "E5", "colour": 1}]),
            "unknown field 'colour'",
        ),
        (
            lambda: admin.set_teams_activation(tenant["tenant_id"], -1),
            "delay_seconds must be a whole number from 0 to 604800",
        ),
    ]:
        with pytest.raises(SandboxAdminError) as caught:
            call()
        assert (caught.value.status, str(caught.value)) == (
            400,
            f"sandbox admin API answered 400: {message}",
        )
    with pytest.raises(SandboxAdminError) as missing:
        admin.set_skus("00000000-0000-0000-0000-000000000000", [])
    assert missing.value.status == 404


def test_provisioned_state_survives_a_restart(tmp_path) -> None:
    with running_sandbox(tmp_path) as (url, ca, _):
        admin = SandboxAdmin(url, ca)
        tenant = admin.create_tenant("Contoso", domains=["sbc.contoso.example"])
        admin.set_skus(tenant["tenant_id"], SKUS)
        admin.set_teams_activation(tenant["tenant_id"], 60)
        import requests

        http = requests.Session()
        http.trust_env, http.verify = False, ca
        graph = app_graph(http, url, admin, tenant["tenant_id"], PROVISIONER)
        assert graph("POST", "/domains", {"id": "pending.example"}).status_code == 201
        user = new_user(graph, UPN, usageLocation="GB")
        assert _license(graph, user["id"], E5).status_code == 200
        gone = new_user(graph, "gone@sbc.contoso.example")
        assert graph("DELETE", f"/users/{gone['id']}").status_code == 204
        before = admin.tenant(tenant["tenant_id"])
    with running_sandbox(tmp_path) as (url, ca, _):
        admin = SandboxAdmin(url, ca)
        assert admin.tenant(tenant["tenant_id"]) == before
        assert {"id": "pending.example", "is_verified": False} in before["domains"]
        http = requests.Session()
        http.trust_env, http.verify = False, ca
        graph = app_graph(http, url, admin, tenant["tenant_id"], PROVISIONER)
        assert graph("GET", f"/directory/deletedItems/{gone['id']}").status_code == 200
        assert graph("GET", "/subscribedSkus").json()["value"][0]["consumedUnits"] == 1
