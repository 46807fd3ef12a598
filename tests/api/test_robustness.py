"""Schemathesis-like robustness, without a new dependency: every operation of
/api/v1/openapi.json gets malformed input — ids, parameters and bodies that are not JSON, of the
wrong type, with unknown fields, huge, empty, null, NUL characters, deep nesting — built from
the document's own schemas. Whatever the answer, it is never a 5xx, and every error carries the
contract's body (``detail`` and ``code``, ``errors`` as field → messages)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from tests.api.helpers import db_state, error
from tests.api.matrix import ROWS
from tests.api.world import World, filled

pytestmark = pytest.mark.django_db

JUNK_IDS = ["0", "x" * 300, "%00", "null", "1e309", "'; DROP TABLE x;--", "..%2F..", "%F0%9F%98%80"]
JUNK_PARAMS = ["x", "-1", "0", "9" * 40, "x" * 5000, "\x00", "[]", "true", "2030-13-45T99:99"]
JUNK_VALUES: list[Any] = [
    None,
    12345,
    -1,
    10**30,
    1.5,
    True,
    "x",
    "",
    " ",
    "x" * 100_000,
    "\x00",
    "a\u202eb",
    "😀" * 20,
    [],
    {},
    ["x"],
    {"a": 1},
]
RAW_BODIES = [
    "{",
    "[]",
    "null",
    '"x"',
    "1",
    "NaN",
    '{"a": NaN}',
    '{"a": Infinity}',
    "{}",
    '{"a": 1, "a": 2}',
    "[" * 100_000 + "]" * 100_000,
    '{"a": ' * 5000 + "1" + "}" * 5000,
    b"\xff\xfe\x00",
    "\ufeff{}",
]
OPERATIONS = list({(row.method, row.path): row for row in ROWS}.values())


def assert_sane(response, what: str) -> None:
    content = (
        b"".join(response.streaming_content) if response.streaming else response.content
    ).decode(errors="replace")
    assert response.status_code < 500, (what, response.status_code, content[:400])
    if response.status_code < 400:
        return
    body = json.loads(content)
    assert isinstance(body.get("detail"), str) and body["detail"], (what, body)
    assert isinstance(body.get("code"), str) and body["code"], (what, body)
    assert set(body) <= {"detail", "code", "errors", "validation"}, (what, body)
    for field, messages in body.get("errors", {}).items():
        assert isinstance(field, str) and messages, (what, body)
        assert all(isinstance(m, str) and m for m in messages), (what, body)


def document_operation(document: dict, method: str, path: str) -> dict:
    for template, item in document["paths"].items():
        parts = template.removeprefix("/api/v1").split("/")
        mine = path.split("/")
        if len(parts) == len(mine) and all(
            a == b or (a.startswith("{") and b.startswith("{"))
            for a, b in zip(parts, mine, strict=True)
        ):
            if method in item:
                return item[method]
    raise AssertionError(f"{method} {path} is not in the document")


def body_properties(document: dict, operation: dict) -> list[str]:
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if not content:
        return []
    schema = content["schema"]
    if schema.get("type") == "array":  # a list of rows: the properties of one row
        schema = schema["items"]
    if "$ref" not in schema:
        return list(schema["properties"])
    name = schema["$ref"].rsplit("/", 1)[1]
    return list(document["components"]["schemas"][name]["properties"])


def send(client: Client, method: str, path: str, body: Any = None, **kw: Any):
    url = "/api/v1" + path
    if method == "get":
        return client.get(url, kw.pop("params", {}), **kw)
    if body is None:
        return getattr(client, method)(url, **kw)
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    kw.setdefault("content_type", "application/json")
    return getattr(client, method)(url, data, **kw)


@pytest.mark.parametrize(
    "row", OPERATIONS, ids=[f"{r.method.upper()} {r.path}" for r in OPERATIONS]
)
def test_malformed_input_never_breaks_an_operation(row, request) -> None:
    world = World(request, "system_admin")
    client = Client(headers={"Authorization": f"Bearer {world.api.token}"})
    document = client.get("/api/v1/openapi.json").json()
    operation = document_operation(document, row.method, row.path)
    path = row.path.format_map(world)
    base = filled(row.body, world)

    if "{" in row.path:
        start = row.path.index("{")
        end = row.path.index("}") + 1
        for junk in JUNK_IDS:
            junk_path = row.path[:start] + junk + row.path[end:]
            junk_path = junk_path.format_map(world)
            assert_sane(send(client, row.method, junk_path, base), f"id {junk!r}")

    for parameter in operation.get("parameters", []):
        if parameter["in"] != "query":
            continue
        for junk in JUNK_PARAMS:
            params = {parameter["name"]: junk}
            if row.method == "get":
                response = send(client, "get", path, params=params)
            else:
                response = send(client, row.method, f"{path}?{parameter['name']}={junk}", base)
            assert_sane(response, f"{parameter['name']}={junk[:20]!r}")

    if row.method == "get":
        return
    properties = body_properties(document, operation)
    for raw in RAW_BODIES:
        assert_sane(send(client, row.method, path, raw), f"raw {raw[:20]!r}")
    for content_type in ("text/plain", "application/x-www-form-urlencoded", ""):
        response = send(client, row.method, path, "{}", content_type=content_type)
        assert_sane(response, content_type)
    if not properties:
        return
    assert_sane(send(client, row.method, path, with_field(base, "zz_unknown", 1)), "unknown")
    for name in properties:
        for junk in JUNK_VALUES:
            body = with_field(base, name, junk)
            assert_sane(send(client, row.method, path, body), f"{name}={str(junk)[:20]!r}")


def with_field(base: Any, name: str, value: Any) -> Any:
    """The valid body with one field replaced; in a list of rows, in its first row."""
    if isinstance(base, list):
        return [{**base[0], name: value}, *base[1:]]
    return {**(base or {}), name: value}


def test_nul_characters_are_refused_before_any_database_sees_them(api, customer):
    """PostgreSQL cannot store U+0000: without this check the same request is a 500 there."""
    nul = {"detail": "The request is malformed.", "code": "malformed_request"}
    before = db_state()
    response = api.post("/customers", {"name": "Fab\x00rikam"})
    assert response.json() == {**nul, "errors": {"name": ["Remove the NUL character (U+0000)."]}}
    response = api.get("/audit-events", {"action": "x\x00"})
    assert response.json() == {**nul, "errors": {"action": ["Remove the NUL character (U+0000)."]}}
    response = api.post("/validations", {"scope": "customer", "id": "\x00"})
    assert response.json() == {**nul, "errors": {"id": ["Remove the NUL character (U+0000)."]}}
    assert db_state() == before


def test_names_hold_printable_characters_only(api, system_api, customer, channel):
    rule = {"name": ["Use printable characters only (no line breaks or control characters)."]}
    before = db_state()
    assert error(api.post("/customers", {"name": "Fab\nrikam"})) == (422, "invalid_input", rule)
    assert error(api.patch(f"/customers/{customer.pk}", {"name": "A\u200bB"})) == (
        422,
        "invalid_input",
        rule,
    )
    assert error(api.post("/channels", {"name": "East\tWest"})) == (422, "invalid_input", rule)
    assert error(system_api.post("/providers", {"name": "\x1b[31mRed"})) == (
        422,
        "invalid_input",
        rule,
    )
    assert db_state() == before
