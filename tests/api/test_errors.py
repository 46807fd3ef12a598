"""The contract's error body for every malformed request, unknown route and method; the
OpenAPI document and the docs page (served without a CDN)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from onramp.services.models import Service
from tests.api.helpers import db_state, error, service_body

pytestmark = pytest.mark.django_db

MALFORMED = "The request is malformed."


@pytest.mark.parametrize(
    "raw,detail",
    [
        ("not json", "The request body is not valid JSON."),
        ('{"name": "Fabrikam"', "The request body is not valid JSON."),
        ('{"name": NaN}', "The request body is not valid JSON."),
        (b"\xff\xfe", "The request body is not valid JSON."),
        ('["Fabrikam"]', "Send the request body as a JSON object."),
        ('"Fabrikam"', "Send the request body as a JSON object."),
        ("null", "Send the request body as a JSON object."),
        ("", "Send the request body as a JSON object."),
    ],
)
def test_a_body_that_is_not_a_json_object_is_malformed(api, raw, detail):
    before = db_state()
    response = api.post("/customers", raw)
    assert response.status_code == 400
    assert response.json() == {"detail": detail, "code": "malformed_request"}
    assert db_state() == before


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""],
)
def test_wrong_content_type_is_malformed(api, content_type):
    before = db_state()
    response = api.post("/customers", '{"name": "Fabrikam"}', content_type=content_type)
    assert response.json() == {
        "detail": "Send the request body as JSON (Content-Type: application/json).",
        "code": "malformed_request",
    }
    assert response.status_code == 400
    assert db_state() == before


def test_json_with_charset_or_a_json_suffix_is_accepted(api):
    for n, content_type in enumerate(["application/json; charset=utf-8", "application/x+json"]):
        response = api.post("/customers", {"name": f"Fabrikam {n}"}, content_type=content_type)
        assert response.status_code == 201, response.content


def test_unknown_fields_are_malformed(api, customer):
    before = db_state()
    response = api.post("/customers", {"name": "Fabrikam", "colour": "blue"})
    assert error(response) == (400, "malformed_request", {"colour": ["Unknown field."]})
    body = service_body(customer, id="x")
    body["connection"]["shoe_size"] = 42
    response = api.post("/services", body)
    assert error(response) == (
        400,
        "malformed_request",
        {"id": ["Unknown field."], "connection.shoe_size": ["Unknown field."]},
    )
    assert db_state() == before


def test_wrong_types_are_malformed(api, customer):
    before = db_state()
    response = api.post("/customers", {"name": 42, "notify_admin_on_expiry": "yes"})
    assert error(response) == (
        400,
        "malformed_request",
        {
            "name": ["Input should be a valid string."],
            "notify_admin_on_expiry": ["Input should be a valid boolean."],
        },
    )
    body = service_body(customer, licensed_users="ten", connection="invitation")
    assert error(api.post("/services", body)) == (
        400,
        "malformed_request",
        {
            "licensed_users": ["Input should be a valid integer."],
            "connection": ["Send a JSON object."],
        },
    )
    for users in ("25", 25.0, True, None, [25]):
        response = api.post("/services", service_body(customer, licensed_users=users))
        assert error(response)[:2] == (400, "malformed_request"), users
    assert db_state() == before


def test_over_long_values_are_malformed_never_a_500(api, customer):
    before = db_state()
    huge = "x" * 100_000
    response = api.post("/customers", {"name": huge})
    assert error(response) == (400, "malformed_request", {"name": ["Use at most 1000 characters."]})
    body = service_body(customer, short_name=huge)
    body["connection"]["admin_email"] = huge
    assert error(api.post("/services", body)) == (
        400,
        "malformed_request",
        {
            "short_name": ["Use at most 1000 characters."],
            "connection.admin_email": ["Use at most 1000 characters."],
        },
    )
    assert error(api.get("/services", {"cursor": huge}))[:2] == (400, "malformed_request")
    response = api.put("/services/x/m365/secret", {"client_secret": "s" * 1001})
    assert error(response) == (
        400,
        "malformed_request",
        {"client_secret": ["Use at most 1000 characters."]},
    )
    assert "s" * 1001 not in response.content.decode()
    assert db_state() == before


def test_a_body_larger_than_django_accepts_is_malformed(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api.post("/customers", {"name": "x" * 990, "contact_email": "a@b.example"})
    assert response.json() == {
        "detail": "The request is too large or malformed.",
        "code": "malformed_request",
    }
    assert response.status_code == 400


def test_missing_fields_break_a_rule(api, customer):
    response = api.post("/services", {"customer_id": str(customer.pk)})
    assert error(response) == (
        422,
        "invalid_input",
        {
            "short_name": ["This field is required."],
            "license_type": ["This field is required."],
            "licensed_users": ["This field is required."],
            "connection": ["This field is required."],
        },
    )
    body = service_body(customer, connection={"admin_email": "admin@contoso.example"})
    assert error(api.post("/services", body)) == (
        422,
        "invalid_input",
        {"connection.method": ["This field is required."]},
    )
    body = service_body(customer, connection={"method": "carrier-pigeon"})
    assert error(api.post("/services", body)) == (
        422,
        "invalid_input",
        {"connection.method": ["Use one of: 'invitation', 'app-registration'."]},
    )
    assert Service.objects.count() == 0


def test_unknown_routes_answer_the_contract_404(api):
    for path in ("/nope", "/", "/customers/", "/services/x/y/z", "/../admin"):
        response = api.get(path)
        assert response.status_code == 404, path
        assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_unknown_route_without_a_token_is_also_json(anonymous):
    response = anonymous.get("/nope")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_wrong_method_is_405_with_allow(api, invited):
    response = api.put("/customers", {})
    assert response.status_code == 405
    assert response.json() == {"detail": "PUT is not allowed here.", "code": "method_not_allowed"}
    assert set(response["Allow"].split(", ")) == {"GET", "POST"}
    response = api.post(f"/invitations/{invited['invitation']['id']}", {})
    assert response.status_code == 405
    assert response["Allow"] == "GET"


def test_malformed_ids_are_404(api):
    for path in ("/customers/not-a-uuid", "/services/1", "/invitations/%20", "/services/x/m365"):
        assert error(api.get(path)) == (404, "not_found", None), path


def test_openapi_document_describes_the_whole_api(db):
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert document["components"]["securitySchemes"] == {
        "BearerToken": {"type": "http", "scheme": "bearer"}
    }
    operations = {
        (method.upper(), path.removeprefix("/api/v1"))
        for path, item in document["paths"].items()
        for method in item
    }
    assert operations == {
        ("POST", "/customers"),
        ("GET", "/customers"),
        ("GET", "/customers/{id}"),
        ("PATCH", "/customers/{id}"),
        ("POST", "/services"),
        ("GET", "/services"),
        ("GET", "/services/{id}"),
        ("DELETE", "/services/{id}"),
        ("GET", "/invitations"),
        ("GET", "/invitations/{id}"),
        ("POST", "/invitations/{id}/resend"),
        ("POST", "/invitations/{id}/revoke"),
        ("POST", "/invitations/{id}/add"),
        ("GET", "/services/{id}/m365"),
        ("POST", "/services/{id}/m365/validate"),
        ("PUT", "/services/{id}/m365/secret"),
        ("PUT", "/services/{id}/m365/secret-expiry"),
        ("POST", "/services/{id}/m365/reinitiate"),
        ("POST", "/providers"),
        ("GET", "/providers"),
        ("GET", "/providers/{id}"),
        ("PATCH", "/providers/{id}"),
        ("POST", "/channels"),
        ("GET", "/channels"),
        ("GET", "/channels/{id}"),
        ("PATCH", "/channels/{id}"),
        ("POST", "/operators"),
        ("GET", "/operators"),
        ("GET", "/operators/{id}"),
        ("PATCH", "/operators/{id}"),
        ("DELETE", "/operators/{id}"),
        ("POST", "/tokens"),
        ("GET", "/tokens"),
        ("DELETE", "/tokens/{id}"),
        ("GET", "/audit-events"),
        ("GET", "/health"),
        ("POST", "/validations"),
        ("GET", "/jobs/{id}"),
        ("GET", "/services/{id}/alerts"),
        ("GET", "/providers/{id}/dns"),
        ("PUT", "/providers/{id}/dns"),
        ("POST", "/providers/{id}/dns/test"),
        ("GET", "/direct-routing"),
        ("GET", "/services/{id}/direct-routing"),
        ("PATCH", "/services/{id}/direct-routing"),
        ("POST", "/services/{id}/direct-routing"),
        ("POST", "/services/{id}/direct-routing/teams-activation-confirmation"),
        ("GET", "/services/{id}/direct-routing/teams-script"),
        ("POST", "/services/{id}/direct-routing/teams-confirmation"),
        ("PUT", "/services/{id}/direct-routing/numbers"),
        ("DELETE", "/services/{id}/direct-routing"),
        ("GET", "/services/{id}/direct-routing/teams-teardown-script"),
        ("POST", "/services/{id}/direct-routing/teams-teardown-confirmation"),
        ("POST", "/services/{id}/decommission"),
        ("GET", "/services/{id}/decommission"),
    }
    schemas = document["components"]["schemas"]
    assert set(schemas["Service"]["properties"]) == {
        "id", "customer_id", "provider_id", "short_name", "full_name", "license_type",
        "licensed_users", "status", "created_at", "invitation", "connection_ok",
    }  # fmt: skip
    assert "link" not in schemas["Invitation"]["properties"]
    assert "link" in schemas["InvitationWithLink"]["properties"]
    assert schemas["ServiceCreate"]["additionalProperties"] is False
    add = document["paths"]["/api/v1/invitations/{id}/add"]["post"]["responses"]
    assert set(add) == {"200", "400", "401", "403", "404", "409", "422", "503"}


def test_openapi_document_describes_tenancy_operators_audit_and_health(db):
    document = Client().get("/api/v1/openapi.json").json()
    schemas = document["components"]["schemas"]
    properties = {name: set(schemas[name]["properties"]) for name in schemas}
    assert properties["Token"] == {
        "id", "name", "created_at", "expires_at", "last_used_at", "revoked_at"
    }  # fmt: skip
    assert properties["NewToken"] == {"id", "token", "expires_at"}
    assert properties["Operator"] == {
        "id",
        "email",
        "role",
        "scope",
        "is_active",
        "status",
        "created_at",
    }
    assert properties["OperatorInvite"] == {"email", "role", "scope"}
    assert properties["AuditEvent"] == {
        "id", "created_at", "actor_type", "actor_id", "actor_label", "action", "target_type",
        "target_id", "target_label", "changes", "request_id", "client_ip",
    }  # fmt: skip
    assert properties["HealthRow"] == {
        "service_id", "short_name", "customer_id", "ok", "reason", "validated_at",
        "client_secret_expires_at", "client_secret_days_until_expire", "band", "failing_checks",
    }  # fmt: skip
    assert properties["Job"] == {
        "id", "kind", "status", "total", "done", "ok", "failed", "errors", "started_at",
        "finished_at",
    }  # fmt: skip
    assert properties["Alert"] == {"kind", "threshold_days", "sent_at", "recipients"}
    assert properties["ValidationStart"] == {"scope", "id"}
    for path in ("/api/v1/audit-events", "/api/v1/health"):
        ok = document["paths"][path]["get"]["responses"]["200"]["content"]
        assert set(ok) == {"application/json", "text/csv"}
        names = {p["name"] for p in document["paths"][path]["get"]["parameters"]}
        assert {"format", "limit", "cursor"} <= names
    validations = document["paths"]["/api/v1/validations"]["post"]["responses"]
    assert set(validations) == {"202", "400", "401", "403", "409", "422"}
    delete = document["paths"]["/api/v1/operators/{id}"]["delete"]["responses"]
    assert set(delete) == {"204", "400", "401", "403", "404"}


def test_docs_page_loads_its_assets_from_our_static_files(db):
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    page = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert "/static/ninja/swagger-ui-bundle.js" in assets
    assert "/static/ninja/swagger-ui.css" in assets
    assert all(asset.startswith("/static/") for asset in assets), assets
    assert '"url": "/api/v1/openapi.json"' in page
    for asset in assets:
        served = Client().get(asset)
        assert served.status_code == 200, asset
        assert b"".join(served.streaming_content if served.streaming else [served.content])
