"""Races decided by the database: two simultaneous POST /services with the same short name
(one 201, one 422) and two simultaneous Adds of one invitation (one 200, one 409).

PostgreSQL: threads in this process (test Client, one connection each, transaction=True).
SQLite: the test database is in memory, where a second writer fails instead of waiting, so the
same race runs in a subprocess on a SQLite file configured as in production (see race.py).
Sandbox latency keeps both requests inside Microsoft at once, so both pass every check made
before the transaction and the database constraint or row lock has to decide.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from tests.api.helpers import app_registration, service_body, wizard_success
from tests.api.race import add_race, channel_race, channel_world, create_race, outcome
from tests.clock import Clock

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]
DUPLICATE = {"short_name": ["Another service of this provider already uses this short name."]}


@pytest.fixture
def clock() -> Clock:
    """The product runs in processes of their own here, on the wall clock: no in-process pin."""
    return Clock.wall()


def on_sqlite_file(scenario: str, sandbox, tenant, tmp_path) -> dict:
    env = {
        **os.environ,
        "ONRAMP_DATABASE_URL": f"sqlite:///{tmp_path / 'race.sqlite3'}",
        **sandbox.onramp_env,
        "DJANGO_SETTINGS_MODULE": "onramp.settings",
    }
    credentials = {"tenant_id": tenant.tenant_id, "app_id": tenant.app_id, "secret": tenant.secret}
    done = subprocess.run(
        [sys.executable, "-m", "tests.api.race", scenario],
        input=json.dumps(credentials),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def statuses(results) -> list[int]:
    return sorted(status for status, _ in results)


def test_two_creates_with_one_short_name(api, customer, m365_tenant, sandbox, tmp_path):
    sandbox.admin.set_faults(latency_ms=300, paths="graph")
    if connection.vendor == "postgresql":
        results = create_race(str(customer.pk), api.token, app_registration(m365_tenant))
        state = outcome()
    else:
        assert connection.vendor == "sqlite"
        state = on_sqlite_file("create", sandbox, m365_tenant, tmp_path)
        results = state["results"]
    assert statuses(results) == [201, 422], results
    loser = next(body for status, body in results if status == 422)
    assert (loser["code"], loser["errors"]) == ("invalid_input", DUPLICATE)
    winner = next(body for status, body in results if status == 201)
    assert (winner["status"], winner["validation"]["ok"]) == ("active", True)
    assert (state["services"], state["connections"], state["activations"]) == (1, 1, 1)
    assert state["runs"] == ["create"]


def test_two_adds_of_one_invitation(api, customer, m365_tenant, sandbox, tmp_path):
    if connection.vendor == "postgresql":
        created = api.post("/services", service_body(customer)).json()
        wizard_success(created["invitation"]["link"], m365_tenant)
        sandbox.admin.set_faults(latency_ms=300, paths="graph")
        results = add_race(created["invitation"]["id"], api.token)
        state = outcome()
    else:
        assert connection.vendor == "sqlite"
        sandbox.admin.set_faults(latency_ms=300, paths="graph")
        state = on_sqlite_file("add", sandbox, m365_tenant, tmp_path)
        results = state["results"]
    assert statuses(results) == [200, 409], results
    winner = next(body for status, body in results if status == 200)
    assert winner["service"]["status"] == "active"
    loser = next(body for status, body in results if status == 409)
    assert loser == {
        "detail": "Only an authenticated, unexpired invitation can be added; "
        "this one is completed.",
        "code": "invalid_state",
    }
    assert (state["services"], state["connections"], state["activations"]) == (1, 1, 1)
    assert state["invitations"] == ["completed"]
    assert state["runs"].count("add") == 1


def test_eight_customers_for_the_last_two_places_in_a_channel(
    api, customer, m365_tenant, sandbox, tmp_path
):
    """The channel row is locked while its customers are counted: exactly two get in."""
    if connection.vendor == "postgresql":
        channel_id = channel_world(str(customer.provider_id))
        customer.channel_id = channel_id
        customer.save()
        results = channel_race(channel_id, api.token)
        state = outcome()
    else:
        assert connection.vendor == "sqlite"
        state = on_sqlite_file("channel", sandbox, m365_tenant, tmp_path)
        results = state["results"]
    assert statuses(results) == [201] * 2 + [422] * 6, results
    full = {"channel_id": ["The channel Full is full: its limit is 3 customers."]}
    assert all(body["errors"] == full for status, body in results if status == 422)
    assert state["in_channels"] == 3
