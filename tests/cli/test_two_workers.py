"""Delivery guarantees with two real ``onramp worker`` processes on PostgreSQL (issue 5, Proof).

Whatever database the suite runs on, these tests use a PostgreSQL database of their own (made
from a migrated template, dropped afterwards): several workers on one queue is the production
set-up, and SQLite is for a single host. The sandbox stands in for Microsoft over HTTPS and an
aiosmtpd server is the mail relay; the tests act on the database only through ``tests.cli.fleet``
processes, never through the workers' code in this process.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import count, pairwise
from pathlib import Path

import psycopg
import pytest
from aiosmtpd.controller import Controller

from tests.cli.conftest import ONRAMP, ROOT, Background, wait_for
from tests.conftest import SmtpServer, free_port
from tests.m365.conftest import ALL_PERMISSIONS

PG = "postgres://postgres@127.0.0.1:5432"
OPERATOR = "ops@northwind.example"
TEAMS_ADMIN = "Teams Administrator"
# Short enough for a test: a batch runs in seconds; a killed worker's tasks come back after 35 s.
LEASE = {"ONRAMP_TASK_TIMEOUT_SECONDS": "15", "ONRAMP_TASK_LEASE_SECONDS": "35"}
_names = count()
pytestmark = pytest.mark.fleet


def _admin_sql(statement: str) -> None:
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(statement)


@pytest.fixture(scope="module")
def pg_template() -> str:
    """A migrated PostgreSQL database that each test's database is copied from."""
    name = f"onramp_workers_tpl_{os.getpid()}"
    _admin_sql(f'CREATE DATABASE "{name}"')
    try:
        migrated = subprocess.run(
            [*ONRAMP, "migrate", "--verbosity", "0"],
            capture_output=True,
            text=True,
            env=os.environ | {"ONRAMP_DATABASE_URL": f"{PG}/{name}"},
            cwd=ROOT,
        )
        assert (migrated.returncode, migrated.stderr) == (0, "")
        yield name
    finally:
        _admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Fleet:
    """A PostgreSQL database, the workers started on it, and read-outs of its state (by the
    actions of ``module``)."""

    module = "tests.cli.fleet"

    def __init__(self, database: str, tmp_path: Path, sandbox) -> None:
        self.database = database
        self.tmp_path = tmp_path
        self.env = os.environ | {
            "ONRAMP_DATABASE_URL": f"{PG}/{database}",
            "HOME": str(tmp_path),
            **sandbox.onramp_env,
        }
        self.workers: list[Background] = []

    def worker(self, name: str, **env: str) -> Background:
        """An ``onramp worker``, returned once its cluster runs."""
        worker = Background(["worker"], self.env | env, self.tmp_path / f"{name}.log")
        self.workers.append(worker)
        wait_for(lambda: "running." in worker.output() or worker.process.poll() is not None)
        assert worker.process.poll() is None, worker.output()
        return worker

    def read(self, action: str, arg: dict | None = None):
        result = subprocess.run(
            [sys.executable, "-m", self.module, action],
            input=json.dumps(arg or {}),
            capture_output=True,
            text=True,
            timeout=120,
            env=self.env,
            cwd=ROOT,
        )
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    def close(self) -> None:
        for worker in self.workers:
            worker.stop()
        _admin_sql(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')


@pytest.fixture
def fleet(pg_template, tmp_path, sandbox):
    database = f"onramp_workers_{os.getpid()}_{next(_names)}"
    _admin_sql(f'CREATE DATABASE "{database}" TEMPLATE "{pg_template}"')
    fleet = Fleet(database, tmp_path, sandbox)
    yield fleet
    fleet.close()


def kill(worker: Background) -> None:
    """SIGKILL the worker's whole process group, as a supervisor does after the grace period."""
    os.killpg(worker.process.pid, signal.SIGKILL)
    worker.process.wait()


def app_registrations(sandbox, expiries: list[datetime], per_tenant: int = 1) -> list[dict]:
    """One sandbox tenant per expiry with a fully permitted app and a secret ending then."""
    credentials = []
    for n, end in enumerate(expiries):
        tenant = sandbox.admin.create_tenant(f"Tenant {n}")
        app = sandbox.admin.create_application(
            tenant["tenant_id"], "Onramp", permissions=ALL_PERMISSIONS, roles=[TEAMS_ADMIN]
        )
        secret = sandbox.admin.add_secret(
            tenant["tenant_id"], app["app_id"], end_date_time=f"{end:%Y-%m-%dT%H:%M:%SZ}"
        )
        credentials.append(
            {
                "tenant_id": tenant["tenant_id"],
                "app_id": app["app_id"],
                "secret": secret["secret_text"],
                "count": per_tenant,
            }
        )
    return credentials


def in_days(days: int) -> datetime:
    """A moment ``days`` whole UTC days from today (late in that day)."""
    return datetime.now(UTC).replace(hour=23, minute=59, second=0, microsecond=0) + timedelta(
        days=days
    )


def test_a_worker_killed_mid_batch_leaves_each_service_validated_once(fleet, sandbox):
    fleet.read("seed", {"credentials": app_registrations(sandbox, [in_days(90)] * 3, 100)})
    sandbox.admin.set_faults(latency_ms=300)  # a batch of 100 takes about 6 s
    env = {**LEASE, "ONRAMP_VALIDATION_CONCURRENCY": "10"}
    first = fleet.worker("first", **env)
    started = time.monotonic()
    job = fleet.read("job-start")
    assert job["batches"] == 3

    # Results of a batch are stored 50 at a time: kill the worker while its batches are in flight.
    wait_for(lambda: fleet.read("job", job)["counts"][1] > 0, timeout=60)
    kill(first)
    at_kill = fleet.read("job", job)
    assert at_kill["status"] == "running"
    assert 0 < at_kill["counts"][1] < 300
    fleet.worker("second", **env)
    fleet.worker("third", **env)

    done = wait_for(lambda: (state := fleet.read("job", job))["status"] == "done" and state, 150)
    assert time.monotonic() - started >= 35  # what the killed worker held waited for its lease
    assert done | {"finished_at": None} == {
        "status": "done",
        "counts": [300, 300, 300, 0, 0],  # total, done, ok, failed, errors
        "runs": 300,
        "services_with_runs": 300,
        "most_runs_for_one_service": 1,
        "reasons": [""],
        "audit_events": 300,
        "finished_at": None,
    }
    assert fleet.read("services") == {"active": 300, "all": 300, "runs": 300}
    # Each batch task finished once, at its first recorded attempt: the killed runs left no result.
    assert fleet.read("batch-tasks") == [[True, 1]] * 3


def test_mail_waits_out_an_smtp_outage_and_each_message_is_delivered_once(fleet):
    port = free_port()  # the relay is down: nothing listens here yet
    env = {"ONRAMP_EMAIL_URL": f"smtp://127.0.0.1:{port}", "ONRAMP_OUTBOX_BACKOFF_SECONDS": "1"}
    fleet.worker("first", **env)
    fleet.worker("second", **env)
    assert fleet.read("invite-many", {"count": 50}) == {"queued": 50}

    # Each message is tried at once, then again by the sweep (every minute) after its backoff.
    def retried() -> dict | None:
        state = fleet.read("outbox")
        return state if all(int(n) >= 2 for n in state["attempts"]) else None

    down = wait_for(retried, timeout=120)
    assert (down["status"], down["errors"], down["sealed"]) == (
        {"queued": 50},
        ["the mail server could not be reached (ConnectionRefusedError)"],
        50,
    )

    server = SmtpServer("127.0.0.1", port)
    controller = Controller(server, hostname=server.host, port=port)
    controller.start()
    try:
        wait_for(lambda: fleet.read("outbox")["due"] == 50, timeout=30)  # backoff over
        fleet.read("sweep-due")  # rather than wait for the minute to pass
        wait_for(lambda: fleet.read("outbox")["status"] == {"sent": 50}, timeout=60)
        time.sleep(3)  # room for a duplicate to arrive, were there one
    finally:
        controller.stop()
    received = Counter(rcpt for _, rcpts in server.envelopes for rcpt in rcpts)
    assert received == {f"admin{n:03d}@contoso.example": 1 for n in range(50)}
    sent = fleet.read("outbox")
    assert (sent["status"], sent["errors"], sent["sealed"], sent["due"]) == (
        {"sent": 50},
        [""],
        0,
        0,
    )
    assert all(int(n) >= 3 for n in sent["attempts"])  # two refused, then delivered


def test_a_429_storm_is_waited_out_as_told_and_nothing_reads_as_invalid(fleet, sandbox):
    fleet.read("seed", {"credentials": app_registrations(sandbox, [in_days(90)] * 20)})
    fleet.worker("first")
    fleet.worker("second")
    sandbox.admin.set_faults(status=429, retry_after=3, paths="token")
    job = fleet.read("job-start")
    wait_for(lambda: any(r["status"] == 429 for r in sandbox.admin.requests_served()))
    time.sleep(4)  # the storm lasts a few seconds: every service is refused at least once
    sandbox.admin.clear_faults()

    done = wait_for(lambda: (state := fleet.read("job", job))["status"] == "done" and state, 60)
    assert (done["counts"], done["reasons"], done["most_runs_for_one_service"]) == (
        [20, 20, 20, 0, 0],
        [""],
        1,
    )
    by_tenant: dict[str, list[tuple[datetime, int]]] = {}
    for served in sandbox.admin.requests_served():
        tenant = served["path"].split("/")[1]
        if tenant != "graph":
            moment = datetime.fromisoformat(served["time"].replace("Z", "+00:00"))
            by_tenant.setdefault(tenant, []).append((moment, served["status"]))
    assert len(by_tenant) == 20
    throttled = 0
    for answers in by_tenant.values():
        for (moment, status), (later, _) in pairwise(answers):
            if status == 429:
                throttled += 1
                assert later - moment >= timedelta(seconds=3)  # Retry-After: 3, honoured
        assert answers[-1][1] == 200
    assert throttled >= 20


def test_a_retry_after_longer_than_a_batch_may_wait_is_recorded_as_transient(fleet, sandbox):
    fleet.read("seed", {"credentials": app_registrations(sandbox, [in_days(90)] * 5)})
    env = {"ONRAMP_TASK_TIMEOUT_SECONDS": "8", "ONRAMP_TASK_LEASE_SECONDS": "20"}
    fleet.worker("first", **env)
    fleet.worker("second", **env)
    sandbox.admin.set_faults(status=429, retry_after=60, paths="token")  # past the timeout
    job = fleet.read("job-start")

    # Not stopped mid-wait and run again after the lease (and again, until dropped with the
    # job left running): the job ends, every run transient, the batch task done at once.
    done = wait_for(lambda: (state := fleet.read("job", job))["status"] == "done" and state, 40)
    assert (done["counts"], done["reasons"], done["most_runs_for_one_service"]) == (
        [5, 5, 0, 0, 5],
        ["throttled"],
        1,
    )
    assert fleet.read("batch-tasks") == [[True, 1]]
    assert fleet.read("alerts") == []


def test_expiry_alerts_go_out_once_across_scheduled_runs_and_worker_restarts(
    fleet, sandbox, smtp_server
):
    days = [29, 13, 6, 0]
    fleet.read("seed", {"credentials": app_registrations(sandbox, [in_days(d) for d in days])})
    env = {
        **LEASE,
        "ONRAMP_VALIDATION_SCHEDULE": "* * * * *",  # every minute
        "ONRAMP_EMAIL_URL": f"smtp://127.0.0.1:{smtp_server.port}",
    }
    workers = [fleet.worker("a", **env), fleet.worker("b", **env)]
    for run in range(1, 4):
        wait_for(
            lambda run=run: [j[1] for j in fleet.read("scheduled-jobs")] == ["done"] * run,
            timeout=150,
        )
        if run < 3:  # one stops gracefully, the other is killed; two fresh ones take over
            assert workers[0].stop() == 0
            kill(workers[1])
            workers = [fleet.worker(f"a{run}", **env), fleet.worker(f"b{run}", **env)]
    wait_for(lambda: len(smtp_server.messages) >= 4 and fleet.read("outbox")["due"] == 0)
    time.sleep(3)  # room for a duplicate to arrive, were there one

    jobs = fleet.read("scheduled-jobs")
    assert [j[1:] for j in jobs] == [["done", [4, 4, 4]]] * 3
    assert len({minute for minute, *_ in jobs}) == 3  # once per period, however many workers
    assert fleet.read("alerts") == [
        ["svc-0000", "expiry", 30, [OPERATOR]],
        ["svc-0001", "expiry", 14, [OPERATOR]],
        ["svc-0002", "expiry", 7, [OPERATOR]],
        ["svc-0003", "expiry", 0, [OPERATOR]],
    ]
    assert sorted(m["Subject"] for m in smtp_server.messages) == [
        "Expires in 13 days: client secret of svc-0001 (Contoso Ltd)",
        "Expires in 29 days: client secret of svc-0000 (Contoso Ltd)",
        "Expires in 6 days: client secret of svc-0002 (Contoso Ltd)",
        "Expires today: client secret of svc-0003 (Contoso Ltd)",
    ]
    assert smtp_server.envelopes == [("onramp@localhost", [OPERATOR])] * 4
