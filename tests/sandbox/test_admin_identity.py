"""The admin API's identity endpoints (users, certificates, policy, Conditional Access, views,
device-code and replication timings), and injected token-path faults sparing discovery."""

from __future__ import annotations

import uuid

import msal
import pytest
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import ClientSecretCredential

from onramp.sandbox.admin import SandboxAdmin

from .conftest import GRAPH_SCOPE
from .flows import PASSWORD, certificate

UNKNOWN = "00000000-0000-0000-0000-000000000000"
ROLES = ["Global Administrator"]


@pytest.fixture
def place(admin: SandboxAdmin) -> dict:
    domain = f"v{uuid.uuid4().hex[:12]}.example"
    tenant = admin.create_tenant("Validation", domains=[domain])
    app = admin.create_application(tenant["tenant_id"], "app")
    return {
        "tid": tenant["tenant_id"],
        "app": app["app_id"],
        "domain": tenant["default_domain"],
        "custom": domain,
    }


def _user(**fields) -> dict:
    return {"user_principal_name": "ann@{custom}", "password": PASSWORD, **fields}


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "message"),
    [
        ("POST", "/tenants/{tid}/users", {"password": PASSWORD}, 400,
         "user_principal_name is required"),
        ("POST", "/tenants/{tid}/users", _user(password=""), 400,
         "password must be a non-empty string of at most 256 characters"),
        ("POST", "/tenants/{tid}/users", _user(user_principal_name="ann@elsewhere.example"), 400,
         "user_principal_name must be on one of the tenant's domains"),
        ("POST", "/tenants/{tid}/users", _user(user_principal_name="no-at-sign"), 400,
         "user_principal_name must be on one of the tenant's domains"),
        ("POST", "/tenants/{tid}/users", _user(roles=["Boss"]), 400,
         "roles: 'Boss' is not valid"),
        ("POST", "/tenants/{tid}/users", _user(eligible_roles="Global Administrator"), 400,
         "eligible_roles must be a list of strings"),
        ("POST", "/tenants/{tid}/users", _user(usage_location="France"), 400,
         "usage_location must be a two-letter country code"),
        ("POST", "/tenants/{tid}/users", _user(mfa=True), 400, "unknown field 'mfa'"),
        ("POST", f"/tenants/{UNKNOWN}/users", _user(), 404, f"tenant '{UNKNOWN}' not found"),
        ("POST", "/tenants/{tid}/applications/{app}/certificates", {"certificate_pem": "x"}, 400,
         "certificate_pem must be a PEM X.509 certificate"),
        ("POST", "/tenants/{tid}/applications/{app}/certificates", {"certificate_pem": 7}, 400,
         "certificate_pem must be a PEM X.509 certificate"),
        ("POST", "/tenants/{tid}/applications/{app}/certificates", {}, 400,
         "certificate_pem is required"),
        ("PUT", "/tenants/{tid}/policy", {"passwords_allowed": "no"}, 400,
         "passwords_allowed must be true or false"),
        ("PUT", "/tenants/{tid}/policy", {"max_password_lifetime_days": 0}, 400,
         "max_password_lifetime_days must be null or a positive integer"),
        ("PUT", "/tenants/{tid}/policy", {"max_password_lifetime_days": True}, 400,
         "max_password_lifetime_days must be null or a positive integer"),
        ("PUT", f"/tenants/{UNKNOWN}/policy", {}, 404, f"tenant '{UNKNOWN}' not found"),
        ("PUT", "/tenants/{tid}/conditional-access", {"block_device_code": 1}, 400,
         "block_device_code must be true or false"),
        ("PUT", "/tenants/{tid}/conditional-access", {"block_everything": True}, 400,
         "unknown field 'block_everything'"),
        ("PUT", f"/tenants/{UNKNOWN}/conditional-access", {}, 404,
         f"tenant '{UNKNOWN}' not found"),
        ("GET", f"/tenants/{UNKNOWN}", None, 404, f"tenant '{UNKNOWN}' not found"),
        ("GET", f"/tenants/{UNKNOWN}/applications", None, 404, f"tenant '{UNKNOWN}' not found"),
        ("POST", "/tenants/{tid}/applications", {"display_name": "a", "sign_in_audience": "All"},
         400, "sign_in_audience must be 'AzureADMyOrg' or 'AzureADMultipleOrgs'"),
        ("POST", "/tenants/{tid}/applications",
         {"display_name": "a", "redirect_uris": ["http://evil.example/cb"]}, 400,
         "redirect_uris: 'http://evil.example/cb' is not valid"),
        ("POST", "/tenants/{tid}/applications", {"display_name": "a", "public_client": "yes"},
         400, "public_client must be true or false"),
        ("PUT", "/faults", {"replication_delay_ms": -1}, 400,
         "replication_delay_ms must be a number between 0 and 3600000"),
        ("PUT", "/faults", {"replication_delay_ms": "1s"}, 400,
         "replication_delay_ms must be a number between 0 and 3600000"),
        ("PUT", "/faults", {"device_code_interval": 0}, 400,
         "device_code_interval must be a whole number of seconds from 1 to 60"),
        ("PUT", "/faults", {"device_code_expires_in": 1.5}, 400,
         "device_code_expires_in must be a whole number of seconds from 1 to 900"),
    ],
)  # fmt: skip
def test_validation(admin: SandboxAdmin, place, method, path, body, status, message) -> None:
    url = f"{admin.base_url}/_sandbox{path.format(**place)}"
    if isinstance(body, dict) and isinstance(body.get("user_principal_name"), str):
        body = {**body, "user_principal_name": body["user_principal_name"].format(**place)}
    response = admin.session.request(method, url, json=body)
    assert (response.status_code, response.json()) == (status, {"error": message})


def test_certificate_for_unknown_application(admin: SandboxAdmin, place) -> None:
    url = f"{admin.base_url}/_sandbox/tenants/{place['tid']}/applications/{UNKNOWN}/certificates"
    response = admin.session.post(url, json={"certificate_pem": certificate().cert_pem})
    assert (response.status_code, response.json()) == (
        404,
        {"error": f"application '{UNKNOWN}' not found in tenant '{place['tid']}'"},
    )


def test_users_policy_and_views(admin: SandboxAdmin, place) -> None:
    upn = f"Ann@{place['custom'].upper()}"
    made = admin.create_user(place["tid"], upn, PASSWORD, roles=ROLES, usage_location="FR")
    url = f"{admin.base_url}/_sandbox/tenants/{place['tid']}/users"
    duplicate = admin.session.post(url, json=_user(user_principal_name=upn.lower()))
    assert (duplicate.status_code, duplicate.json()) == (
        409,
        {"error": f"user '{upn.lower()}' already exists"},
    )
    cert = certificate()
    uploaded = admin.add_certificate(place["tid"], place["app"], cert.cert_pem)
    assert uploaded == {
        "key_id": uploaded["key_id"],
        "thumbprint_sha1": cert.thumbprint_hex,
        "start_date_time": "2026-01-01T00:00:00Z",
        "end_date_time": "2036-01-01T00:00:00Z",
    }
    view = admin.tenant(place["tid"])
    assert view["users"] == [
        {"id": made["id"], "user_principal_name": upn, "assigned_licenses": []}
    ]
    assert view["domains"] == [
        {"id": place["domain"], "is_verified": True},
        {"id": place["custom"], "is_verified": True},
    ]
    [app] = view["applications"]
    assert app["key_credentials"] == [
        {
            "key_id": uploaded["key_id"],
            "thumbprint_sha1": cert.thumbprint_hex,
            "end_date_time": "2036-01-01T00:00:00Z",
        }
    ]
    assert admin.applications(place["tid"]) == view["applications"]
    assert admin.set_policy(place["tid"]) == {
        "passwords_allowed": True,
        "max_password_lifetime_days": None,
    }
    assert admin.set_conditional_access(place["tid"], block_sign_in=True) == {
        "block_device_code": False,
        "block_sign_in": True,
    }


def test_timings_round_trip(admin: SandboxAdmin) -> None:
    view = admin.set_faults(
        replication_delay_ms=2000, device_code_interval=2, device_code_expires_in=60
    )
    assert (
        view["replication_delay_ms"],
        view["device_code_interval"],
        view["device_code_expires_in"],
    ) == (2000.0, 2, 60)
    cleared = admin.clear_faults()
    assert not {"replication_delay_ms", "device_code_interval", "device_code_expires_in"} & set(
        cleared
    )


@pytest.fixture
def confidential(admin: SandboxAdmin) -> dict:
    tenant = admin.create_tenant("Throttled")
    app = admin.create_application(tenant["tenant_id"], "app", permissions=["Application.Read.All"])
    secret = admin.add_secret(tenant["tenant_id"], app["app_id"])["secret_text"]
    return {"tid": tenant["tenant_id"], "app_id": app["app_id"], "secret": secret}


def test_token_throttling_spares_discovery_for_msal(
    admin: SandboxAdmin, http, sandbox_url, confidential
) -> None:
    admin.set_faults(status=429, retry_after=3, paths="token")
    before = admin.requests_total()
    # Building the client fetches the discovery document: it is not refused.
    cca = msal.ConfidentialClientApplication(
        confidential["app_id"],
        client_credential=confidential["secret"],
        authority=f"{sandbox_url}/{confidential['tid']}",
        http_client=http,
        instance_discovery=False,
    )
    result = cca.acquire_token_for_client([GRAPH_SCOPE])
    assert (result["error"], result["error_codes"]) == ("temporarily_unavailable", [90055])
    served = admin.requests_served()[before:]
    assert [(r["path"].rsplit("/", 1)[-1], r["status"]) for r in served] == [
        ("openid-configuration", 200),
        ("token", 429),
    ]
    admin.clear_faults()
    # MSAL honours Retry-After: within it, the throttled answer comes from its own cache.
    total = admin.requests_total()
    again = cca.acquire_token_for_client([GRAPH_SCOPE])
    assert (again["error_codes"], admin.requests_total()) == ([90055], total)


def test_token_throttling_as_azure_identity_reports_it(
    admin: SandboxAdmin, sandbox_server, confidential
) -> None:
    admin.set_faults(status=429, retry_after=3, paths="token")
    credential = ClientSecretCredential(
        confidential["tid"],
        confidential["app_id"],
        confidential["secret"],
        authority=sandbox_server[0],
        disable_instance_discovery=True,
        connection_verify=sandbox_server[1],
        retry_total=0,
    )
    with pytest.raises(ClientAuthenticationError) as raised:
        credential.get_token(GRAPH_SCOPE)
    assert str(raised.value).startswith(
        "Authentication failed: AADSTS90055: TenantThrottlingError - There are too many incoming "
        "requests."
    )
