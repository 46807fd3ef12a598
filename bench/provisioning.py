"""Direct Routing provisioning of N services (issue 12): Bulk Provision, then every run through
``plan``, ``preflight``, ``domain``, ``dns_record``, ``domain_verified`` and
``activation_user`` against the sandbox with injected latency. Prints one JSON object. Run by
``make bench``; not a test.

How it is driven: one real ``onramp worker`` (a child process: django-q2 with
``--concurrency`` worker processes, BENCH_CONCURRENCY, 8 by default) runs the bulk job exactly
as the Services list's Provision enqueues it; the runs then move in those workers, as many at
once as there are workers (bulk.py), each step enqueueing the next, the minute sweep included.
The clock starts when the job is enqueued and stops when every run is done (no step failed).

Set up before the clock starts, as an operator would: one sandbox tenant per 100 services
(an app with the permissions the steps need, an ENTERPRISEPACK with a unit per service), the
provider's zone in the sandbox's DNS-hosting stand-in reached through the product's hosted
backend (lexicon's ``powerdns``: no Knot needed, and ``verify`` looks there), each run proposed
with the activation user's license confirmed ahead (what ``provisioning_start(confirm_sku=True)``
records) and the steps after ``activation_user`` marked skipped: Teams activation takes hours
and the voice script is the operator's, so the runs end at the activation user.

The floor is round trips x services / concurrency x latency, the round trips being the
Microsoft requests (identity and Graph: each step's are sequential) the sandbox served during
the run, divided by the services; the DNS-hosting requests carry no injected latency and are
reported apart. CPU is the worker process tree's (utime + stime of every process, and of the
children it reaped, from /proc) over the run: the sandbox, PostgreSQL and this process are not
in it. os.wait4 then reaps the worker for its exit status.

BENCH_SERVICES (1000), BENCH_LATENCY_MS (100) and BENCH_CONCURRENCY (8) change the run.
BENCH_THROTTLE=RATE (e.g. 0.05) adds Microsoft throttling: that share of Graph requests is
answered 429 with Retry-After BENCH_RETRY_AFTER seconds (5); the steps retry after their
backoff (at least 30 s, the sweep picking them up) and none may fail.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta

from _env import bench_database, connected_services

from onramp.sandbox.runner import SandboxProcess
from onramp.sandbox.state import DEFAULT_POWERDNS_KEY

SERVICES = int(os.environ.get("BENCH_SERVICES", "1000"))
LATENCY_MS = int(os.environ.get("BENCH_LATENCY_MS", "100"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "8"))
THROTTLE = float(os.environ.get("BENCH_THROTTLE", "0"))
RETRY_AFTER = int(os.environ.get("BENCH_RETRY_AFTER", "5"))
TIMEOUT_S = int(os.environ.get("BENCH_TIMEOUT_S", "1800"))
SERVICES_PER_TENANT = 100
ZONE = "sbc.bench.example"
PERMISSIONS = ["Organization.Read.All", "User.ReadWrite.All", "Domain.ReadWrite.All"]
SKUS = [{"sku_part_number": "ENTERPRISEPACK", "service_plans": ["TEAMS1"]}]
MEASURED = ["plan", "preflight", "domain", "dns_record", "domain_verified", "activation_user"]


def seed(sandbox: SandboxProcess, count: int) -> list:
    """The provider (its DNS in the sandbox), its operator, the services and their runs."""

    from onramp.accounts.models import Operator
    from onramp.core.actors import Actor
    from onramp.directrouting.dns_settings import dns_settings_set
    from onramp.directrouting.models import Provisioning, ProvisioningStep, StepStatus
    from onramp.directrouting.services import provisioning_propose
    from onramp.services.models import Service
    from onramp.tenancy.models import Customer, Provider

    provider = Provider.objects.create(name="Bench Voice", sbc_domain=ZONE, sbc_domains=[ZONE])
    customer = Customer.objects.create(provider=provider, name="Bench customer", country="GB")
    operator = Operator.objects.create_user(
        email="bench@voice.example", role="operator", scope="provider", provider=provider
    )
    sandbox.admin.create_zone(ZONE)
    dns_settings_set(
        actor=Actor.system(),
        provider=provider,
        backend="powerdns",
        settings={
            "zone": ZONE,
            "auth_token": DEFAULT_POWERDNS_KEY,
            "pdns_server": sandbox.url.replace("https://", "http://") + "/powerdns",
        },
    )
    end = (datetime.now(UTC) + timedelta(days=90)).strftime("%Y-%m-%dT%H:%M:%SZ")
    for first in range(0, count, SERVICES_PER_TENANT):
        last = min(first + SERVICES_PER_TENANT, count)
        tenant = sandbox.admin.create_tenant(f"Bench tenant {first}")["tenant_id"]
        sandbox.admin.set_skus(tenant, [{**SKUS[0], "prepaid_units": last - first}])
        app = sandbox.admin.create_application(
            tenant, "bench", permissions=PERMISSIONS, roles=["Teams Administrator"]
        )["app_id"]
        secret = sandbox.admin.add_secret(tenant, app, end_date_time=end)["secret_text"]
        connected_services(
            customer=customer,
            numbers=range(first, last),
            licensed_users=1,
            tenant_id=tenant,
            app_id=app,
            secret=secret,
        )
    services = list(Service.objects.filter(provider=provider).order_by("short_name_key"))
    for service in services:
        provisioning_propose(service=service)
    Provisioning.objects.update(activation_sku_confirmed=True)
    ProvisioningStep.objects.exclude(name__in=MEASURED).update(status=StepStatus.SKIPPED)
    return [operator, Service.objects.filter(provider=provider)]


def tree_cpu_seconds(root: int) -> float:
    """CPU of ``root`` and its descendants alive, and of the children they reaped (/proc)."""
    ticks, total, pending = os.sysconf("SC_CLK_TCK"), 0, [root]
    while pending:
        pid = pending.pop()
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as children:
                    pending += [int(child) for child in children.read().split()]
        except FileNotFoundError:
            continue  # exited meanwhile: its parent's cutime has it once reaped
        total += sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
    return total / ticks


def descendants(root: int) -> list[int]:
    found, pending = [], [root]
    while pending:
        pid = pending.pop()
        found.append(pid)
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as children:
                    pending += [int(child) for child in children.read().split()]
        except FileNotFoundError:
            continue
    return found


def stop(pid: int, grace: float = 60) -> int:
    """SIGTERM, then os.wait4; the tree is killed when it has not stopped within ``grace``
    (django-q2 can hang at shutdown: a poison pill put in a full task queue whose worker has
    already gone). The exit status: -9 when killed."""
    tree = descendants(pid)
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        done, status, _ = os.wait4(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.2)
    for child in reversed(tree):
        try:
            os.kill(child, signal.SIGKILL)
        except ProcessLookupError:
            pass
    _, status, _ = os.wait4(pid, 0)
    return os.waitstatus_to_exitcode(status)


def wait_until(predicate, timeout: float, every: float = 0.5) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the benchmark did not finish in time")
        time.sleep(every)


def run_counts() -> dict[str, int]:
    from django.db.models import Count

    from onramp.directrouting.models import Provisioning

    rows = Provisioning.objects.values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}


def main() -> None:
    with tempfile.TemporaryDirectory() as data_dir, SandboxProcess(data_dir) as sandbox:
        env_extra = sandbox.onramp_env
        with bench_database("onramp_bench_provisioning", env_extra) as env:
            from django.db import transaction
            from django_q.models import Success
            from django_q.tasks import async_task

            from onramp.core.actors import Actor
            from onramp.directrouting.bulk import bulk_provisioning_start
            from onramp.directrouting.models import ProvisioningStep, StepStatus

            operator, services = seed(sandbox, SERVICES)
            worker = subprocess.Popen(
                [sys.executable, "-m", "onramp.cli", "worker", "--concurrency", str(CONCURRENCY)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                async_task("os.getpid")  # the cluster is up once it ran this
                wait_until(lambda: Success.objects.filter(func="os.getpid").exists(), 120, 0.2)
                faults: dict = {"latency_ms": LATENCY_MS}
                if THROTTLE:
                    faults |= {"status": 429, "rate": THROTTLE, "retry_after": RETRY_AFTER}
                    faults |= {"paths": "graph"}
                sandbox.admin.set_faults(**faults)
                before = sandbox.admin.requests_by_kind()
                cpu_before = tree_cpu_seconds(worker.pid)
                started = time.perf_counter()
                with transaction.atomic():
                    bulk_provisioning_start(actor=Actor.for_operator(operator), services=services)
                wait_until(
                    lambda: run_counts().get("done", 0) + run_counts().get("failed", 0) >= SERVICES,
                    TIMEOUT_S,
                )
                wall = time.perf_counter() - started
                cpu = tree_cpu_seconds(worker.pid) - cpu_before
                served = sandbox.admin.requests_by_kind()
                sandbox.admin.clear_faults()
                load = os.getloadavg()[0]
            finally:
                status = stop(worker.pid)
            counts = run_counts()
            failed = [s.message for s in ProvisioningStep.objects.filter(status=StepStatus.FAILED)]
            retried = ProvisioningStep.objects.filter(name__in=MEASURED, attempts__gt=1).count()
    microsoft = sum(served.get(k, 0) - before.get(k, 0) for k in ("identity", "graph"))
    dns = served.get("dns", 0) - before.get("dns", 0)
    round_trips = microsoft / SERVICES
    floor = round_trips * SERVICES / CONCURRENCY * LATENCY_MS / 1000
    result = {
        "benchmark": "provisioning",
        "services": SERVICES,
        "latency_ms": LATENCY_MS,
        "concurrency": CONCURRENCY,
        "throttle_rate": THROTTLE,
        "retry_after_s": RETRY_AFTER if THROTTLE else None,
        "wall_s": round(wall, 2),
        "floor_s": round(floor, 2),
        "wall_over_floor": round(wall / floor, 3),
        "cpu_ms_per_service": round(cpu * 1000 / SERVICES, 1),
        "round_trips_per_service": round(round_trips, 2),
        "dns_requests_per_service": round(dns / SERVICES, 2),
        "runs": counts,
        "steps_retried": retried,
        "errors": len(failed),
        "error_messages": sorted(set(failed))[:5],
        "worker_exit": status,
        # the machine is shared: a busy one inflates wall and CPU alike
        "load_average_1m": round(load, 2),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
