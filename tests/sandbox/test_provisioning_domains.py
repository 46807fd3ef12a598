"""Graph `domains` for Direct Routing over real HTTPS: add a sub-domain, read its verification
records, verify it against a real DNS server (Knot) or fail as Microsoft does, remove it."""

from __future__ import annotations

import dns.name
import dns.query
import dns.tsig
import dns.update
import pytest

from onramp.sandbox.admin import SandboxAdmin, SandboxAdminError
from tests.directrouting.conftest import KEY_NAME, KEY_SECRET, ZONE, KnotServer, knot, knot_server

from .provisioning import PROVISIONER, app_graph, new_user
from .test_graph_writes import assert_graph_error
from .test_permissions import Graph

__all__ = ["knot", "knot_server"]  # the Knot fixtures, used here too

SUBDOMAIN = f"contoso.{ZONE}"
VERIFY_FAILED = (
    "Domain verification failed with the following error: Could not find the DNS record for "
    "this domain. DNS changes may take up to 72 hours to propagate. Please try again later."
)
UNVERIFIED = {
    "authenticationType": "Managed",
    "availabilityStatus": None,
    "isAdminManaged": True,
    "isDefault": False,
    "isInitial": False,
    "isRoot": True,
    "isVerified": False,
    "passwordNotificationWindowInDays": None,
    "passwordValidityPeriodInDays": None,
    "state": None,
    "supportedServices": [],
}
VERIFIED = {
    **UNVERIFIED,
    "isVerified": True,
    "passwordNotificationWindowInDays": 14,
    "passwordValidityPeriodInDays": 2147483647,
    "supportedServices": ["Email", "OfficeCommunicationsOnline"],
}


@pytest.fixture
def tenant(admin: SandboxAdmin) -> dict:
    return admin.create_tenant("Contoso", domains=["contoso.example"])


@pytest.fixture
def graph(http, sandbox_url, admin, tenant) -> Graph:
    return app_graph(http, sandbox_url, admin, tenant["tenant_id"], PROVISIONER)


def _publish_txt(knot: KnotServer, name: str, text: str) -> None:
    """What the provider's DNS backend does: an RFC 2136 update signed with the zone's key."""
    keyring = {dns.name.from_text(KEY_NAME): dns.tsig.Key(KEY_NAME, KEY_SECRET, "hmac-sha256")}
    update = dns.update.UpdateMessage(f"{ZONE}.", keyring=keyring, keyname=KEY_NAME)
    update.add(f"{name}.", 3600, "TXT", f'"{text}"')
    response = dns.query.tcp(update, knot.host, port=knot.port, timeout=5)
    assert response.rcode() == 0


def test_add_read_verify_through_a_real_dns_server(graph, admin, tenant, knot) -> None:
    context = f"{graph.url}/graph/v1.0/$metadata#"
    made = graph("POST", "/domains", {"id": SUBDOMAIN.upper()})
    assert made.status_code == 201
    assert made.json() == {
        "@odata.context": f"{context}domains/$entity",
        "id": SUBDOMAIN,
        **UNVERIFIED,
    }

    records = graph("GET", f"/domains/{SUBDOMAIN}/verificationDnsRecords")
    assert records.status_code == 200
    body = records.json()
    assert body["@odata.context"] == f"{context}domains('{SUBDOMAIN}')/verificationDnsRecords"
    txt, mx = body["value"]
    code = txt["text"].removeprefix("MS=")
    assert code.startswith("ms") and len(code) == 10 and code[2:].isdigit()
    common = {"isOptional": False, "label": SUBDOMAIN, "supportedService": "Email", "ttl": 3600}
    assert txt == {
        "@odata.type": "#microsoft.graph.domainDnsTxtRecord",
        "id": txt["id"],
        **common,
        "recordType": "Txt",
        "text": f"MS={code}",
    }
    assert mx == {
        "@odata.type": "#microsoft.graph.domainDnsMxRecord",
        "id": mx["id"],
        **common,
        "recordType": "Mx",
        "mailExchange": f"{code}.msv1.invalid",
        "preference": 32767,
    }
    again = graph("GET", f"/domains/{SUBDOMAIN}/verificationDnsRecords").json()
    assert again == body  # the same code every time it is asked

    admin.set_dns(f"{knot.host}:{knot.port}")
    assert_graph_error(
        graph("POST", f"/domains/{SUBDOMAIN}/verify"), 400, "Request_BadRequest", VERIFY_FAILED
    )
    _publish_txt(knot, SUBDOMAIN, "MS=ms00000000")  # someone else's code does not count
    assert graph("POST", f"/domains/{SUBDOMAIN}/verify").status_code == 400
    _publish_txt(knot, SUBDOMAIN, f"MS={code}")
    verified = graph("POST", f"/domains/{SUBDOMAIN}/verify")
    assert verified.status_code == 200
    assert verified.json() == {
        "@odata.context": f"{context}domains/$entity",
        "id": SUBDOMAIN,
        **VERIFIED,
    }
    assert graph("POST", f"/domains/{SUBDOMAIN}/verify").status_code == 200  # already verified
    assert {"id": SUBDOMAIN, "is_verified": True} in admin.tenant(tenant["tenant_id"])["domains"]
    # A verified domain names the tenant, as Entra's do.
    discovery = graph.http.get(f"{graph.url}/{SUBDOMAIN}/v2.0/.well-known/openid-configuration")
    assert tenant["tenant_id"] in discovery.json()["issuer"]

    listed = graph("GET", "/domains").json()
    assert listed["@odata.context"] == f"{context}domains"
    assert [d["id"] for d in listed["value"]] == [
        tenant["default_domain"],
        "contoso.example",
        SUBDOMAIN,
    ]
    assert listed["value"][0]["isInitial"] and listed["value"][0]["isDefault"]
    assert graph("DELETE", f"/domains/{SUBDOMAIN}").status_code == 204
    assert_graph_error(
        graph("GET", f"/domains/{SUBDOMAIN}"),
        404,
        "Request_ResourceNotFound",
        f"Resource '{SUBDOMAIN}' does not exist or one of its queried reference-property objects "
        "are not present.",
    )
    gone = graph.http.get(f"{graph.url}/{SUBDOMAIN}/v2.0/.well-known/openid-configuration")
    assert gone.status_code == 400


def test_verify_without_a_resolver_looks_in_the_sandbox_zones(graph, admin) -> None:
    assert graph("POST", "/domains", {"id": SUBDOMAIN}).status_code == 201
    assert_graph_error(
        graph("POST", f"/domains/{SUBDOMAIN}/verify"), 400, "Request_BadRequest", VERIFY_FAILED
    )
    admin.set_dns("127.0.0.1:9")  # nothing answers there: fails as fast, with the same error
    assert_graph_error(
        graph("POST", f"/domains/{SUBDOMAIN}/verify"), 400, "Request_BadRequest", VERIFY_FAILED
    )


def test_a_subdomain_of_a_verified_domain_is_verified_at_once(graph) -> None:
    made = graph("POST", "/domains", {"id": "sbc.contoso.example"})
    assert made.status_code == 201
    assert (made.json()["isVerified"], made.json()["isRoot"]) == (True, False)


@pytest.mark.parametrize(
    "name",
    [
        "a" * 40 + ".example.com",  # 52 characters: longer than 48
        "-bad.example.com",
        "bad-.example.com",
        "under_score.example.com",
        "single",
        "example.123",
        "",
        42,
    ],
)
def test_names_entra_refuses(graph, name) -> None:
    assert_graph_error(
        graph("POST", "/domains", {"id": name}),
        400,
        "Request_BadRequest",
        "Invalid value specified for property 'id' of resource 'Domain'.",
    )


def test_the_longest_name_accepted_is_48_characters(graph) -> None:
    name = "a" * 36 + ".example.com"
    assert len(name) == 48
    assert graph("POST", "/domains", {"id": name}).status_code == 201


def test_domain_creation_errors(graph, admin) -> None:
    assert_graph_error(
        graph("POST", "/domains", {"id": "x.example.com", "isDefault": True}),
        400,
        "Request_BadRequest",
        "Property 'isDefault' is read-only and cannot be set.",
    )
    assert_graph_error(
        graph("POST", "/domains", {"id": "x.example.com", "colour": "red"}),
        400,
        "Request_BadRequest",
        "The property 'colour' does not exist on type 'microsoft.graph.domain'. Make sure to only "
        "use property names that are defined by the type.",
    )
    assert graph("POST", "/domains", {"id": "x.example.com"}).status_code == 201
    conflict = (
        "A conflicting object with one or more of the specified property values is present in "
        "the directory."
    )
    for name in ("x.example.com", "contoso.example"):
        assert_graph_error(
            graph("POST", "/domains", {"id": name}), 400, "Request_BadRequest", conflict
        )
    admin.create_tenant("Fabrikam", domains=["fabrikam.example"])
    assert_graph_error(
        graph("POST", "/domains", {"id": "fabrikam.example"}),
        400,
        "Request_BadRequest",
        "Domain 'fabrikam.example' has already been verified in another tenant.",
    )
    # A sub-domain of another tenant's domain is fine: the derived-trunk model relies on it.
    assert graph("POST", "/domains", {"id": "customer.fabrikam.example"}).status_code == 201
    for method, path in [
        ("GET", "/domains/nowhere.example"),
        ("GET", "/domains/nowhere.example/verificationDnsRecords"),
        ("POST", "/domains/nowhere.example/verify"),
        ("DELETE", "/domains/nowhere.example"),
    ]:
        assert graph(method, path).status_code == 404


def test_verify_fails_once_another_tenant_verified_the_domain(graph, admin) -> None:
    assert graph("POST", "/domains", {"id": "late.example"}).status_code == 201
    admin.create_tenant("Fabrikam", domains=["late.example"])
    assert_graph_error(
        graph("POST", "/domains/late.example/verify"),
        400,
        "Request_BadRequest",
        "Domain 'late.example' has already been verified in another tenant.",
    )


def test_a_user_on_the_domain_blocks_its_removal_until_deleted_for_good(graph, tenant) -> None:
    user = new_user(graph, "activation@contoso.example")
    blocked = (
        "Unable to delete domain 'contoso.example': it is still referenced by users (deleted "
        "users included). Remove or permanently delete them first."
    )
    assert_graph_error(
        graph("DELETE", "/domains/contoso.example"), 400, "Request_BadRequest", blocked
    )
    assert graph("DELETE", f"/users/{user['id']}").status_code == 204
    assert_graph_error(
        graph("DELETE", "/domains/contoso.example"), 400, "Request_BadRequest", blocked
    )
    assert graph("DELETE", f"/directory/deletedItems/{user['id']}").status_code == 204
    assert graph("DELETE", "/domains/contoso.example").status_code == 204
    assert_graph_error(
        graph("DELETE", f"/domains/{tenant['default_domain']}"),
        400,
        "Request_BadRequest",
        "The initial domain of the tenant cannot be deleted.",
    )


def test_domains_need_domain_permissions(http, sandbox_url, admin, tenant) -> None:
    reader = app_graph(http, sandbox_url, admin, tenant["tenant_id"], ["Domain.Read.All"])
    assert reader("GET", "/domains").status_code == 200
    assert reader("GET", "/domains/contoso.example/verificationDnsRecords").status_code == 200
    for method, path in [
        ("POST", "/domains"),
        ("POST", "/domains/contoso.example/verify"),
        ("DELETE", "/domains/contoso.example"),
    ]:
        assert_graph_error(
            reader(method, path, {"id": "x.example.com"} if path == "/domains" else None),
            403,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        )
    nobody = app_graph(http, sandbox_url, admin, tenant["tenant_id"], ["Application.Read.All"])
    assert nobody("GET", "/domains").status_code == 403


def test_admin_dns_setting(admin) -> None:
    assert admin.set_dns("127.0.0.1:5353") == {"resolver": "127.0.0.1:5353"}
    assert admin.set_dns(None) == {"resolver": None}
    for bad in ("127.0.0.1", "host:port", "127.0.0.1:70000", ":53"):
        with pytest.raises(SandboxAdminError) as caught:
            admin.set_dns(bad)
        assert (caught.value.status, str(caught.value)) == (
            400,
            "sandbox admin API answered 400: resolver must be null or HOST:PORT",
        )
