"""A check's state (ok / failed / not-run) as the validation reports it and as stored runs carry
it, those stored before the state existed included (connections migration 0002)."""

from __future__ import annotations

import importlib
import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from onramp.connections.models import ValidationRun
from onramp.m365.credentials import ClientSecret
from onramp.m365.results import CheckState

BEFORE = [("connections", "0001_initial")]
NOT_CHECKED = "Not checked: an earlier check failed."


def test_checks_after_a_failure_are_not_run(sandbox, client_for):
    result = client_for().validate(
        tenant=str(uuid.uuid4()), client_id=str(uuid.uuid4()), credential=ClientSecret("x")
    )
    assert [c.state for c in result.checks] == [CheckState.FAILED] + [CheckState.NOT_RUN] * 6
    assert [c.ok for c in result.checks] == [False] * 7
    assert result.as_dict()["checks"][:2] == [
        {"name": "tenant", "ok": False, "state": "failed", "message": result.message},
        {"name": "credentials", "ok": False, "state": "not-run", "message": NOT_CHECKED},
    ]


@pytest.mark.django_db(transaction=True)
def test_stored_runs_gain_the_state_of_each_check(monkeypatch):
    migration = importlib.import_module("onramp.connections.migrations.0002_check_state")
    monkeypatch.setattr(migration, "CHUNK", 2)  # five runs: three chunks
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps.get_model("connections", "ValidationRun")
    stored = [
        {"name": "tenant", "ok": True, "message": "Tenant t exists."},
        {"name": "credentials", "ok": False, "message": "The client secret is not valid."},
        {"name": "tenant_match", "ok": False, "message": NOT_CHECKED},
    ]
    for _ in range(4):
        old.objects.create(
            trigger="manual",
            ok=False,
            message="m",
            result={"ok": False, "checks": stored},
            validated_at=timezone.now(),
        )
    already = [{"name": "tenant", "ok": False, "state": "failed", "message": NOT_CHECKED}]
    kept = old.objects.create(
        trigger="manual",
        ok=False,
        message="m",
        result={"ok": False, "checks": already},
        validated_at=timezone.now(),
    )
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    runs = ValidationRun.objects.exclude(pk=kept.pk)
    assert [[c["state"] for c in run.result["checks"]] for run in runs] == [
        ["ok", "failed", "not-run"]
    ] * 4
    assert [{k: v for k, v in c.items() if k != "state"} for c in runs[0].result["checks"]] == (
        stored
    )
    assert ValidationRun.objects.get(pk=kept.pk).result["checks"] == already
