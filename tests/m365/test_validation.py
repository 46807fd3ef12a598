"""The real validation client against the real sandbox over HTTPS: every case and its message."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import requests
from django.utils import timezone

from onramp.m365.credentials import ClientSecret
from onramp.m365.errors import CONSENT_DELAY_HINT, from_token_error
from onramp.m365.validation import get_client
from tests.m365.conftest import make_tenant

CHECKS = [
    "tenant",
    "credentials",
    "tenant_match",
    "permissions",
    "teams_access",
    "organization",
    "secret_expiry",
]
NOT_CHECKED = "Not checked: an earlier check failed."


def checks_of(result):
    return [(c.name, c.ok) for c in result.checks]


def test_valid_registration_passes_every_check(sandbox, client_for, contoso):
    result = client_for().validate(
        tenant=contoso.tenant_id, client_id=contoso.app_id, credential=ClientSecret(contoso.secret)
    )
    days = (contoso.secret_expires.date() - timezone.now().date()).days
    assert result.ok is True
    assert result.reason is None
    assert result.message == "The application registration is valid."
    assert checks_of(result) == [(name, True) for name in CHECKS]
    assert result.tenant.id == contoso.tenant_id
    assert result.tenant.display_name == "Contoso Ltd"
    assert result.tenant.default_domain == contoso.default_domain
    assert result.client_secret_expires_at == contoso.secret_expires
    assert result.granted_permissions == sorted(
        [
            "Organization.Read.All",
            "Application.Read.All",
            "User.ReadWrite.All",
            "Domain.ReadWrite.All",
        ]
    )
    assert result.assigned_roles == ["Teams Administrator"]
    assert result.missing_permissions == []
    body = result.as_dict()
    assert body["client_secret_days_until_expire"] == days == 180
    assert body["checks"][6]["message"] == (
        f"The client secret expires on {contoso.secret_expires:%Y-%m-%d} (180 days)."
    )
    assert contoso.secret not in json.dumps(body)
    assert body["validated_at"].endswith("Z")


def test_tenant_domain_resolves_to_its_guid(sandbox, client_for, contoso):
    result = client_for().validate(
        tenant=contoso.default_domain,
        client_id=contoso.app_id,
        credential=ClientSecret(contoso.secret),
    )
    assert result.ok is True
    assert result.tenant.id == contoso.tenant_id


def test_unknown_tenant(sandbox, client_for):
    tenant = str(uuid.uuid4())
    result = client_for().validate(
        tenant=tenant, client_id=str(uuid.uuid4()), credential=ClientSecret("x")
    )
    assert result.reason == "tenant_not_found"
    assert result.message == (
        f"Tenant '{tenant}' was not found. Copy the Directory (tenant) ID from the Overview page "
        "of the app registration in the Microsoft Entra admin center and try again."
    )
    assert checks_of(result) == [(name, False) for name in CHECKS]
    assert [c.message for c in result.checks[1:]] == [NOT_CHECKED] * 6


def test_malformed_tenant_answered_by_microsoft(sandbox, client_for):
    result = client_for().validate(
        tenant="1234-abcd", client_id=str(uuid.uuid4()), credential=ClientSecret("x")
    )
    assert result.reason == "invalid_tenant"
    assert result.message.startswith("'1234-abcd' is not a valid tenant ID.")


def test_tenant_that_cannot_be_a_url_segment_is_refused_without_a_call(sandbox, client_for):
    result = client_for().validate(
        tenant="../common?x=1", client_id="a", credential=ClientSecret("x")
    )
    assert result.reason == "invalid_tenant"
    assert sandbox.admin.requests_served() == []


def test_unknown_application(sandbox, client_for, contoso):
    client_id = str(uuid.uuid4())
    result = client_for().validate(
        tenant=contoso.tenant_id, client_id=client_id, credential=ClientSecret(contoso.secret)
    )
    assert result.reason == "application_not_found"
    assert result.message == (
        f"No application with client ID '{client_id}' was found in this tenant. Copy the "
        "Application (client) ID from the Overview page of the app registration, and make sure "
        "the app is registered in this tenant."
    )
    assert checks_of(result)[:2] == [("tenant", True), ("credentials", False)]


def test_disabled_application(sandbox, client_for):
    tenant = make_tenant(sandbox, enabled=False)
    result = client_for().validate(
        tenant=tenant.tenant_id, client_id=tenant.app_id, credential=ClientSecret(tenant.secret)
    )
    assert result.reason == "application_disabled"
    assert result.message.startswith("The application is disabled in this tenant.")


def test_missing_secret(sandbox, client_for, contoso):
    result = client_for().validate(
        tenant=contoso.tenant_id, client_id=contoso.app_id, credential=ClientSecret("")
    )
    assert result.reason == "invalid_client_secret"


def test_wrong_secret(sandbox, client_for, contoso):
    result = client_for().validate(
        tenant=contoso.tenant_id,
        client_id=contoso.app_id,
        credential=ClientSecret(contoso.secret[:-1] + "!"),
    )
    assert result.reason == "invalid_client_secret"
    assert result.message == (
        "The client secret is not valid for this application. Copy the secret's Value (not its "
        "Secret ID) from Certificates & secrets, or create a new secret there, and try again."
    )


def test_expired_secret(sandbox, client_for):
    tenant = make_tenant(sandbox, expires_in=timedelta(days=-1))
    result = client_for().validate(
        tenant=tenant.tenant_id, client_id=tenant.app_id, credential=ClientSecret(tenant.secret)
    )
    assert result.reason == "client_secret_expired"
    assert result.message == (
        "The client secret has expired — create a new secret under Certificates & secrets and "
        "try again."
    )


def test_secret_not_yet_valid_does_not_match(sandbox, client_for, contoso):
    start = timezone.now() + timedelta(days=2)
    future = sandbox.admin.add_secret(
        contoso.tenant_id,
        contoso.app_id,
        start_date_time=start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        end_date_time=(start + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    result = client_for().validate(
        tenant=contoso.tenant_id,
        client_id=contoso.app_id,
        credential=ClientSecret(future["secret_text"]),
    )
    assert result.reason == "invalid_client_secret"


def test_no_admin_consent(sandbox, client_for):
    tenant = make_tenant(sandbox, permissions=[], roles=[])
    result = client_for().validate(
        tenant=tenant.tenant_id, client_id=tenant.app_id, credential=ClientSecret(tenant.secret)
    )
    assert result.reason == "missing_permissions"
    assert result.missing_permissions == [
        "Organization.Read.All",
        "Application.Read.All",
        "User.ReadWrite.All",
        "Domain.ReadWrite.All",
        "Teams Administrator",
    ]
    assert result.message == (
        "The application lacks these Microsoft Graph application permissions: "
        "Organization.Read.All, Application.Read.All, User.ReadWrite.All, Domain.ReadWrite.All. "
        f"Add them under API permissions and grant admin consent. {CONSENT_DELAY_HINT}"
    )
    assert checks_of(result) == [
        ("tenant", True),
        ("credentials", True),
        ("tenant_match", True),
        ("permissions", False),
        ("teams_access", False),
        ("organization", False),
        ("secret_expiry", False),
    ]
    organization, expiry = result.checks[5].message, result.checks[6].message
    assert organization.startswith(
        "Microsoft Graph refused to read the organization: the application lacks "
        "Organization.Read.All."
    )
    assert expiry.startswith("Microsoft Graph refused to read the client secret's expiry date")
    assert result.client_secret_expires_at is None
    assert result.tenant.display_name is None


def test_one_missing_permission_is_named(sandbox, client_for):
    tenant = make_tenant(
        sandbox, permissions=["Organization.Read.All", "Application.Read.All", "User.ReadWrite.All"]
    )
    result = client_for().validate(
        tenant=tenant.tenant_id, client_id=tenant.app_id, credential=ClientSecret(tenant.secret)
    )
    assert result.reason == "missing_permissions"
    assert result.missing_permissions == ["Domain.ReadWrite.All"]
    assert [c.name for c in result.checks if not c.ok] == ["permissions"]
    assert result.tenant.display_name == "Contoso Ltd"


def test_missing_teams_administrator_role(sandbox, client_for):
    tenant = make_tenant(sandbox, roles=[])
    result = client_for().validate(
        tenant=tenant.tenant_id, client_id=tenant.app_id, credential=ClientSecret(tenant.secret)
    )
    assert result.reason == "missing_permissions"
    assert result.missing_permissions == ["Teams Administrator"]
    assert result.message == (
        "The application's service principal does not hold the directory role Teams "
        "Administrator. Assign it under Roles and administrators in the Microsoft Entra admin "
        f"center. {CONSENT_DELAY_HINT}"
    )


def test_tenant_without_teams(sandbox, client_for):
    tenant = make_tenant(sandbox, teams=False)
    result = client_for().validate(
        tenant=tenant.tenant_id, client_id=tenant.app_id, credential=ClientSecret(tenant.secret)
    )
    assert result.reason == "teams_api_unavailable"
    assert [c.name for c in result.checks if not c.ok] == ["teams_access"]


def test_tenant_mismatch_with_the_customers_recorded_tenant(sandbox, client_for, contoso):
    other = str(uuid.uuid4())
    result = client_for().validate(
        tenant=contoso.tenant_id,
        client_id=contoso.app_id,
        credential=ClientSecret(contoso.secret),
        expected_tenant_id=other,
    )
    assert result.reason == "tenant_mismatch"
    assert result.message == (
        f"The credentials belong to tenant {contoso.tenant_id}, but this customer's Microsoft 365 "
        f"tenant is {other}. Use an app registration in the customer's own tenant."
    )


def test_ambiguous_hint_takes_the_earliest_expiry(sandbox, client_for, contoso):
    twin_end = contoso.secret_expires - timedelta(days=100)
    sandbox.admin.add_secret(
        contoso.tenant_id,
        contoso.app_id,
        secret_text=contoso.secret[:3] + "another-secret-value-123",
        end_date_time=twin_end.strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    result = client_for().validate(
        tenant=contoso.tenant_id, client_id=contoso.app_id, credential=ClientSecret(contoso.secret)
    )
    assert result.ok is True
    assert result.client_secret_expires_at == twin_end
    assert result.expiry_ambiguous is True
    assert result.checks[6].message == (
        f"The client secret expires on {twin_end:%Y-%m-%d} (80 days). The match is ambiguous: "
        f"2 secrets start with '{contoso.secret[:3]}'; the earliest expiry is shown."
    )


def test_unknown_aadsts_code_is_a_microsoft_error_quoting_microsoft(sandbox, contoso):
    session = requests.Session()
    session.trust_env = False
    response = session.post(
        f"{sandbox.url}/{contoso.tenant_id}/oauth2/v2.0/token",
        verify=sandbox.ca_path,
        data={
            "grant_type": "client_credentials",
            "client_id": contoso.app_id,
            "client_secret": contoso.secret,
            "scope": "https://graph.microsoft.com",
        },
    )
    assert response.status_code == 400
    failure = from_token_error(
        response.json(),
        status=400,
        tenant=contoso.tenant_id,
        client_id=contoso.app_id,
        retry_after=None,
    )
    assert failure.reason == "microsoft_error"
    assert failure.message.startswith("Microsoft refused the request with AADSTS1002012: ")
    assert "Trace ID" not in failure.message


def test_timeout_is_transient(sandbox, client_for, contoso):
    sandbox.admin.set_faults(latency_ms=1500)
    result = client_for(timeout=0.5).validate(
        tenant=contoso.tenant_id, client_id=contoso.app_id, credential=ClientSecret(contoso.secret)
    )
    assert result.reason == "microsoft_unavailable"
    assert result.message == (
        "Microsoft could not be reached (no answer within 0.5 seconds). "
        "Nothing was changed; try again in a few minutes."
    )
    assert result.transient is True


def test_connection_refused_is_transient(client_for, contoso, sandbox):
    from onramp.m365.config import MicrosoftConfig
    from onramp.m365.validation import ValidationClient
    from tests.conftest import free_port

    client = ValidationClient(
        MicrosoftConfig(
            authority=f"https://127.0.0.1:{free_port()}",
            graph=sandbox.graph_url,
            ca_bundle=sandbox.ca_path,
        )
    )
    result = client.validate(
        tenant=contoso.tenant_id, client_id=contoso.app_id, credential=ClientSecret(contoso.secret)
    )
    assert result.reason == "microsoft_unavailable"
    assert result.message == (
        "Microsoft could not be reached (the connection failed). "
        "Nothing was changed; try again in a few minutes."
    )


def test_throttled_token_endpoint_reports_retry_after(sandbox, client_for, contoso):
    client = client_for()
    client.validate(
        tenant=contoso.tenant_id, client_id=contoso.app_id, credential=ClientSecret(contoso.secret)
    )  # discovery now cached
    sandbox.admin.set_faults(status=429, retry_after=7, paths="token")
    result = client.validate(
        tenant=contoso.tenant_id, client_id=contoso.app_id, credential=ClientSecret(contoso.secret)
    )
    assert result.reason == "throttled"
    assert result.retry_after == 7
    assert result.message == (
        "Microsoft is throttling requests (AADSTS90055). Nothing was "
        "changed; try again in 7 seconds."
    )
    assert checks_of(result)[:2] == [("tenant", True), ("credentials", False)]


def test_token_endpoint_5xx_is_unavailable(sandbox, client_for, contoso):
    sandbox.admin.set_faults(status=503, paths="token")
    result = client_for().validate(
        tenant=contoso.tenant_id, client_id=contoso.app_id, credential=ClientSecret(contoso.secret)
    )
    assert result.reason == "microsoft_unavailable"
    assert result.transient is True


def test_graph_throttling_and_outage_are_transient(sandbox, client_for, contoso):
    sandbox.admin.set_faults(status=429, retry_after=30, paths="graph")
    throttled = client_for().validate(
        tenant=contoso.tenant_id, client_id=contoso.app_id, credential=ClientSecret(contoso.secret)
    )
    assert throttled.reason == "throttled"
    assert throttled.retry_after == 30
    assert [c.name for c in throttled.checks if not c.ok] == ["organization", "secret_expiry"]
    sandbox.admin.set_faults(status=503, paths="graph")
    down = client_for().validate(
        tenant=contoso.tenant_id, client_id=contoso.app_id, credential=ClientSecret(contoso.secret)
    )
    assert down.reason == "microsoft_unavailable"
    assert down.message == (
        "Microsoft could not be reached (Microsoft Graph answered 503). "
        "Nothing was changed; try again in a few minutes."
    )


def test_seen_tenant_costs_only_tokens_and_one_batch(sandbox, client_for, contoso):
    client = client_for()
    client.validate(
        tenant=contoso.tenant_id, client_id=contoso.app_id, credential=ClientSecret(contoso.secret)
    )
    before = len(sandbox.admin.requests_served())
    again = client.validate(
        tenant=contoso.tenant_id, client_id=contoso.app_id, credential=ClientSecret(contoso.secret)
    )
    assert again.ok is True
    served = sandbox.admin.requests_served()[before:]
    token = ("POST", f"/{contoso.tenant_id}/oauth2/v2.0/token", 200)
    assert sorted((r["method"], r["path"], r["status"]) for r in served) == sorted(
        [token, token, ("POST", "/graph/v1.0/$batch", 200)]
    )


def test_first_validation_adds_only_the_discovery_document(sandbox, client_for, contoso):
    client_for().validate(
        tenant=contoso.default_domain,
        client_id=contoso.app_id,
        credential=ClientSecret(contoso.secret),
    )
    paths = [r["path"] for r in sandbox.admin.requests_served()]
    assert paths[0] == f"/{contoso.default_domain}/v2.0/.well-known/openid-configuration"
    assert len(paths) == 4
    assert not any("discovery/instance" in path for path in paths)


def test_concurrent_first_validations_of_a_tenant_fetch_its_discovery_once(
    sandbox, microsoft_settings, contoso
):
    """The bulk job's threads each ask for the process-wide client; the first 64 ask at once."""
    microsoft_settings.MICROSOFT_TIMEOUT_SECONDS = 14.25  # a configuration with no client yet
    with ThreadPoolExecutor(64) as pool:
        results = list(
            pool.map(
                lambda _: get_client().validate(
                    tenant=contoso.tenant_id,
                    client_id=contoso.app_id,
                    credential=ClientSecret(contoso.secret),
                ),
                range(64),
            )
        )
    assert [r.ok for r in results] == [True] * 64
    tenant_paths = Counter(
        r["path"] for r in sandbox.admin.requests_served() if contoso.tenant_id in r["path"]
    )
    assert tenant_paths == {
        f"/{contoso.tenant_id}/v2.0/.well-known/openid-configuration": 1,
        f"/{contoso.tenant_id}/oauth2/v2.0/token": 64 * 2,
    }
