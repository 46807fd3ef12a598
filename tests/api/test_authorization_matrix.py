"""Every API endpoint, for every kind of caller, with the exact status each must get.

Callers: no token; a monitor, an operator and an admin of the provider; a system admin; a
channel admin and a customer admin whose scope holds the world's customer; an admin of ANOTHER
provider. Each cell runs in a fresh world (built lazily: only what the row touches), and:
- a refused call (any status >= 400) and any GET change nothing: every domain table is
  compared row by row before and after (so row counts too), and Microsoft is never asked;
- an accepted write changes something;
- the other provider's admin never sees an id of the world it did not send itself.
"""

from __future__ import annotations

import pytest
from django.test import Client

from tests.api.helpers import db_state, error
from tests.api.matrix import CALLERS, ROWS, Row
from tests.api.world import World, filled

pytestmark = pytest.mark.django_db

CELLS = [
    pytest.param(row, caller, id=f"{row.id} as {caller}") for row in ROWS for caller in CALLERS
]


@pytest.mark.parametrize("row,caller", CELLS)
def test_cell(row: Row, caller: str, request: pytest.FixtureRequest) -> None:
    world = World(request, caller)
    api = world.api
    path = row.path.format_map(world)
    body = filled(row.body, world)
    params = filled(row.params, world)
    sandbox = request.getfixturevalue("sandbox") if "tenant" in world.__dict__ else None
    asked_microsoft = len(sandbox.admin.requests_served()) if sandbox else 0
    before = db_state()

    if row.method == "get":
        response = api.get(path, params)
    elif body is None:
        response = getattr(api, row.method)(path)
    else:
        response = getattr(api, row.method)(path, body)

    expected = row.expected[caller]
    assert response.status_code == expected, (response.status_code, response.content[:500])
    unchanged = expected >= 400 or row.method == "get"
    if expected >= 400:
        error(response)
    if unchanged:
        assert db_state() == before
        if sandbox:
            assert len(sandbox.admin.requests_served()) == asked_microsoft
    else:
        assert db_state() != before
    if expected == 204:
        assert response.content == b""
    if caller == "other_provider":
        sent = f"{path} {body} {params}"
        content = (
            b"".join(response.streaming_content) if response.streaming else response.content
        ).decode()
        for name, value in world.ids().items():
            assert value in sent or value not in content, f"{name} leaked: {content[:300]}"


def test_the_matrix_covers_every_operation_of_the_openapi_document(db):
    document = Client().get("/api/v1/openapi.json").json()
    operations = {
        (method, path.removeprefix("/api/v1"))
        for path, item in document["paths"].items()
        for method in item
    }
    covered = set()
    for row in ROWS:
        template = row.path
        for name in ("customer", "active", "invited", "invitation", "provider", "channel",
                     "target", "own_token", "target_token", "job"):  # fmt: skip
            template = template.replace("{" + name + "}", "{id}")
        covered.add((row.method, template))
    assert covered == operations
    for row in ROWS:
        assert set(row.expected) == set(CALLERS), row.id
