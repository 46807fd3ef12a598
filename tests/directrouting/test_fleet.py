"""Direct Routing with two real ``onramp worker`` processes on PostgreSQL, one SIGKILLed mid-run
(issue 12, Proof): 200 services provisioned, nothing made twice in the customers' tenants or in the
provider's DNS, every step done exactly once.

As in ``tests/cli/test_two_workers.py``: a PostgreSQL database of the test's own, the sandbox
standing in for Microsoft (resolving verification records through Knot), the real Knot server as
the provider's DNS, and the database read only through ``tests.directrouting.fleet`` processes.
"""

from __future__ import annotations

import os
import signal
from collections import Counter

import pytest

from onramp.directrouting.models import FORWARD_STEPS
from tests.cli.conftest import wait_for
from tests.cli.test_two_workers import Fleet, _admin_sql, kill, pg_template
from tests.clock import Clock
from tests.directrouting.conftest import E3, INITIAL, PHONE, TEAMS_READ, ZONE
from tests.m365.conftest import ALL_PERMISSIONS, make_tenant

pytestmark = pytest.mark.fleet
__all__ = ["pg_template"]  # the template database fixture, shared with the validation fleet

SERVICES = 200
CONCURRENCY = 2  # task processes per worker
# Tasks stopped after 20 s, so a step's lease is 30 s; the killed worker's tasks come back after
# the task lease (45 s) and find their steps due.
ENV = {
    "ONRAMP_TASK_TIMEOUT_SECONDS": "20",
    "ONRAMP_TASK_LEASE_SECONDS": "45",
    "ONRAMP_WORKER_CONCURRENCY": str(CONCURRENCY),
}
STEPS = [str(name) for name in FORWARD_STEPS]


class DirectRoutingFleet(Fleet):
    module = "tests.directrouting.fleet"


@pytest.fixture
def clock() -> Clock:
    """The product runs in the workers, on the wall clock: no in-process pin."""
    return Clock.wall()


@pytest.fixture
def fleet(pg_template, tmp_path, sandbox, knot):
    database = f"onramp_dr_fleet_{os.getpid()}"
    _admin_sql(f'CREATE DATABASE "{database}" TEMPLATE "{pg_template}"')
    sandbox.admin.set_dns(f"{knot.host}:{knot.port}")
    fleet = DirectRoutingFleet(database, tmp_path, sandbox)
    yield fleet
    for worker in fleet.workers:  # the database is dropped: no graceful stop to wait for
        if worker.process.poll() is None:
            kill(worker)
    fleet.close()
    sandbox.admin.set_dns(None)


def customer_tenants(sandbox, count: int) -> list[dict]:
    """One sandbox tenant per service: an app that may do every step and see Teams, licenses
    with Teams (Teams activates at once: no activation delay)."""
    tenants = []
    for n in range(count):
        tenant = make_tenant(
            sandbox, name=f"Customer {n:03d}", permissions=[*ALL_PERMISSIONS, TEAMS_READ]
        )
        sandbox.admin.set_skus(tenant.tenant_id, [E3, PHONE])
        tenants.append(
            {"tenant_id": tenant.tenant_id, "app_id": tenant.app_id, "secret": tenant.secret}
        )
    return tenants


def paused_mid_step(fleet, workers) -> list:
    """The steps marked running, read with every worker paused (SIGSTOP) at a moment when each
    of their task processes holds one: the worker killed next holds two of them."""

    def read_paused():
        for worker in workers:
            os.killpg(worker.process.pid, signal.SIGSTOP)
        held = fleet.read("running")
        if len(held) == len(workers) * CONCURRENCY:
            return held
        for worker in workers:
            os.killpg(worker.process.pid, signal.SIGCONT)
        return None

    return wait_for(read_paused, timeout=60, interval=0.1)


def test_a_worker_killed_mid_run_leaves_every_step_done_once(fleet, sandbox, knot):
    tenants = customer_tenants(sandbox, SERVICES)
    knot_at = {"host": knot.host, "port": knot.port}
    assert fleet.read("seed", {"knot": knot_at, "tenants": tenants}) == {"services": SERVICES}
    first, second = fleet.worker("first", **ENV), fleet.worker("second", **ENV)
    assert fleet.read("start") == {"started": SERVICES}

    # Mid-run, every task process in a request (Microsoft slow for a moment): SIGKILL one.
    wait_for(lambda: fleet.read("progress")["steps_done"] >= SERVICES * 2, timeout=180)
    sandbox.admin.set_faults(latency_ms=500)
    held = paused_mid_step(fleet, [first, second])
    kill(first)
    os.killpg(second.process.pid, signal.SIGCONT)
    sandbox.admin.clear_faults()
    fleet.worker("third", **ENV)

    # Every run goes as far as it can without the operator: Teams voice waits for the script.
    waiting = {"runs": {"waiting": SERVICES}, "steps_done": SERVICES * STEPS.index("teams_voice")}
    wait_for(lambda: fleet.read("progress") == waiting, timeout=300)
    assert fleet.read("confirm-scripts") == {"confirmed": SERVICES}
    done = {"runs": {"done": SERVICES}, "steps_done": SERVICES * len(STEPS)}
    wait_for(lambda: fleet.read("progress") == done, timeout=120)

    names = [f"svc-{n:03d}" for n in range(SERVICES)]
    steps = [[name, "skipped" if name == "numbers" else "done"] for name in STEPS]
    assert fleet.read("runs") == {name: [name, "done", steps] for name in names}

    audit = fleet.read("audit")
    assert list(audit) == ["direct_routing.step_done"]  # nothing failed
    ended_rows = audit["direct_routing.step_done"]
    ended = Counter((name, step) for name, step, _ in ended_rows)
    assert ended == {(name, step): 1 for name in names for step in STEPS}
    # Each step ran once (Teams voice twice: it waited for the script, then found it confirmed),
    # but the two the killed worker held: taken up again, once each, after their lease.
    runs_of = {step: 2 if step == "teams_voice" else 1 for step in STEPS}
    extra = Counter(attempts - runs_of[step] for _, step, attempts in ended_rows)
    assert extra == {0: SERVICES * len(STEPS) - CONCURRENCY, 1: CONCURRENCY}
    retried = [[name, step, 1] for name, step, attempts in ended_rows if attempts > runs_of[step]]
    assert all(step in held for step in retried), (retried, held)

    for n, tenant in enumerate(tenants):
        state = sandbox.admin.tenant(tenant["tenant_id"])
        sub_domain = f"svc-{n:03d}.{ZONE}"
        assert sorted((d["id"], d["is_verified"]) for d in state["domains"]) == [
            (f"customer{n:03d}.example", True),
            (f"customer{n:03d}.onmicrosoft.com", True),
            (sub_domain, True),
        ]
        users = [
            (user["user_principal_name"], user["assigned_licenses"]) for user in state["users"]
        ]
        assert users == [(f"teams-activation@{sub_domain}", ["ENTERPRISEPACK"])]

    records = knot.records()
    txt_owners = Counter(record.split()[0] for record in records if " IN TXT " in record)
    assert txt_owners == {f"{name}.{ZONE}.": 1 for name in names}
    others = [record for record in records if " IN TXT " not in record and " SOA " not in record]
    assert others == [record for record in INITIAL if " SOA " not in record]
