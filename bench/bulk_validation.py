"""Bulk re-validation: ``onramp validate --all --concurrency 64`` of N services against the
sandbox with injected latency. Prints one JSON object. Run by ``make bench``; not a test.

Each size is validated once unmeasured first (the nightly steady state: connections whose
expiry and permissions are already recorded). The validating command runs as a child
process so its CPU time and peak memory are its own
(os.wait4). The floor is ceil(N / concurrency) x 2 x latency: one validation needs two
sequential round trips (the Graph token, then the Graph $batch and the Teams token).

BENCH_PROFILE=DIR records each measured run under py-spy (a dev dependency) into
DIR/<services>-<latency>.txt (raw folded stacks of the thread holding the GIL): where the
Python CPU goes. Sampling slows the child: a profiled run's figures are not the benchmark's.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta

from _env import bench_database, connected_services

from onramp.sandbox.runner import SandboxProcess

SIZES = [int(n) for n in os.environ.get("BENCH_SIZES", "2000,10000").split(",")]
LATENCIES = [int(ms) for ms in os.environ.get("BENCH_LATENCIES", "300,100").split(",")]
CONCURRENCY = 64
PROFILE_DIR = os.environ.get("BENCH_PROFILE")
SERVICES_PER_TENANT = 100
PERMISSIONS = [
    "Organization.Read.All",
    "Application.Read.All",
    "User.ReadWrite.All",
    "Domain.ReadWrite.All",
]


def seed(sandbox: SandboxProcess, count: int, start: int) -> None:
    """Add services start..count-1, one sandbox tenant (app + secret) per 100 services."""
    from onramp.tenancy.models import Customer, Provider

    provider, _ = Provider.objects.get_or_create(name="Bench Voice")
    customer, _ = Customer.objects.get_or_create(provider=provider, name="Bench customer")
    end = (datetime.now(UTC) + timedelta(days=90)).strftime("%Y-%m-%dT%H:%M:%SZ")
    for first in range(start, count, SERVICES_PER_TENANT):
        tenant = sandbox.admin.create_tenant(f"Bench tenant {first}")["tenant_id"]
        app = sandbox.admin.create_application(
            tenant, "bench", permissions=PERMISSIONS, roles=["Teams Administrator"]
        )["app_id"]
        secret = sandbox.admin.add_secret(tenant, app, end_date_time=end)["secret_text"]
        connected_services(
            customer=customer,
            numbers=range(first, min(first + SERVICES_PER_TENANT, count)),
            licensed_users=10,
            tenant_id=tenant,
            app_id=app,
            secret=secret,
        )


def run_validate(env: dict[str, str], profile: str | None = None) -> dict:
    spy = [
        os.path.join(os.path.dirname(sys.executable), "py-spy"),
        "record",
        "--format",
        "raw",
        "--gil",
    ]
    started = time.perf_counter()
    child = subprocess.Popen(
        [
            *(
                [*spy, "--nonblocking", "--rate", "250", "--output", profile, "--"]
                if profile
                else []
            ),
            sys.executable,
            "-m",
            "onramp.cli",
            "validate",
            "--all",
            "--concurrency",
            str(CONCURRENCY),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    out = child.stdout.read().strip() if child.stdout else ""
    return {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "exit": os.waitstatus_to_exitcode(status),
        "summary": out.splitlines()[-1] if out else "",
    }


def main() -> None:
    results = []
    with tempfile.TemporaryDirectory() as data_dir, SandboxProcess(data_dir) as sandbox:
        env_extra = sandbox.onramp_env
        with bench_database("onramp_bench_bulk", env_extra) as env:
            seeded = 0
            for size in SIZES:
                seed(sandbox, size, seeded)
                seeded = size
                # Steady state: the nightly run re-validates connections validated before, so
                # the first validation (which records expiry and permissions) is not measured.
                sandbox.admin.clear_faults()
                run_validate(env)
                for latency in LATENCIES:
                    sandbox.admin.set_faults(latency_ms=latency)
                    before = sandbox.admin.requests_total()
                    profile = PROFILE_DIR and os.path.join(PROFILE_DIR, f"{size}-{latency}.txt")
                    run = run_validate(env, profile)
                    served = sandbox.admin.requests_total() - before
                    floor = math.ceil(size / CONCURRENCY) * 2 * latency / 1000
                    results.append(
                        {
                            "services": size,
                            "latency_ms": latency,
                            "concurrency": CONCURRENCY,
                            "wall_s": round(run["wall_s"], 2),
                            "floor_s": round(floor, 2),
                            "wall_over_floor": round(run["wall_s"] / floor, 3),
                            "cpu_ms_per_validation": round(run["cpu_s"] * 1000 / size, 2),
                            "peak_rss_mb": round(run["peak_rss_mb"], 1),
                            "sandbox_requests": served,
                            "requests_per_validation": round(served / size, 2),
                            "summary": run["summary"],
                            "exit": run["exit"],
                            # the machine is shared: a busy one inflates wall and CPU alike
                            "load_average_1m": round(os.getloadavg()[0], 2),
                        }
                    )
                    print(json.dumps(results[-1]), file=sys.stderr)
            sandbox.admin.clear_faults()
    print(json.dumps({"benchmark": "bulk_validation", "results": results}, indent=2))


if __name__ == "__main__":
    main()
