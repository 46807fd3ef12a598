"""One validation's latency against the sandbox, and the sandbox's own throughput.

Prints one JSON object. Run by ``make bench``; not a test.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import requests

from onramp.m365.config import MicrosoftConfig
from onramp.m365.credentials import ClientSecret
from onramp.m365.validation import ValidationClient
from onramp.sandbox.runner import SandboxProcess

PERMISSIONS = [
    "Organization.Read.All",
    "Application.Read.All",
    "User.ReadWrite.All",
    "Domain.ReadWrite.All",
]


def seed(sandbox: SandboxProcess) -> tuple[str, str, str]:
    tenant = sandbox.admin.create_tenant("Bench Ltd")
    app = sandbox.admin.create_application(
        tenant["tenant_id"], "bench", permissions=PERMISSIONS, roles=["Teams Administrator"]
    )
    end = (datetime.now(UTC) + timedelta(days=90)).strftime("%Y-%m-%dT%H:%M:%SZ")
    secret = sandbox.admin.add_secret(tenant["tenant_id"], app["app_id"], end_date_time=end)
    return tenant["tenant_id"], app["app_id"], secret["secret_text"]


def validation_latency(sandbox, client, creds, latency_ms: int, runs: int = 20) -> dict:
    sandbox.admin.set_faults(latency_ms=latency_ms)
    tenant, client_id, secret = creds
    client.validate(tenant=tenant, client_id=client_id, credential=ClientSecret(secret))  # warm
    before = len(sandbox.admin.requests_served())
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        result = client.validate(
            tenant=tenant, client_id=client_id, credential=ClientSecret(secret)
        )
        timings.append((time.perf_counter() - start) * 1000)
        assert result.ok, result.message
    served = len(sandbox.admin.requests_served()) - before
    sandbox.admin.clear_faults()
    return {
        "injected_latency_ms": latency_ms,
        "runs": runs,
        "median_ms": round(statistics.median(timings), 1),
        "p95_ms": round(sorted(timings)[int(runs * 0.95) - 1], 1),
        "floor_ms": 2 * latency_ms,
        "requests_per_validation": served / runs,
    }


def token_throughput(sandbox, creds, clients: int, seconds: float = 3.0) -> dict:
    tenant, client_id, secret = creds
    url = f"{sandbox.url}/{tenant}/oauth2/v2.0/token"
    form = {
        "grant_type": "client_credentials",
        "client_id": client_id,
        "client_secret": secret,
        "scope": "https://graph.microsoft.com/.default",
    }
    deadline = time.perf_counter() + seconds
    counts = [0] * clients
    errors = [0] * clients

    def worker(index: int) -> None:
        session = requests.Session()
        session.trust_env = False
        session.verify = sandbox.ca_path
        while time.perf_counter() < deadline:
            if session.post(url, data=form, timeout=10).status_code == 200:
                counts[index] += 1
            else:
                errors[index] += 1

    start = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    return {
        "clients": clients,
        "token_requests_per_s": round(sum(counts) / elapsed),
        "errors": sum(errors),
    }


def parallel_validations(sandbox, client, creds, concurrency: int, total: int) -> dict:
    tenant, client_id, secret = creds
    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(
            pool.map(
                lambda _: client.validate(
                    tenant=tenant, client_id=client_id, credential=ClientSecret(secret)
                ),
                range(total),
            )
        )
    elapsed = time.perf_counter() - start
    return {
        "concurrency": concurrency,
        "validations": total,
        "validations_per_s": round(total / elapsed, 1),
        "ok": sum(r.ok for r in results),
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as data_dir, SandboxProcess(data_dir) as sandbox:
        creds = seed(sandbox)
        client = ValidationClient(
            MicrosoftConfig(
                authority=sandbox.url, graph=sandbox.graph_url, ca_bundle=sandbox.ca_path
            )
        )
        report = {
            "benchmark": "validation_latency",
            "validation": [validation_latency(sandbox, client, creds, ms) for ms in (0, 100)],
            "sandbox_throughput": [token_throughput(sandbox, creds, n) for n in (1, 32)],
            "parallel_validations": parallel_validations(sandbox, client, creds, 32, 500),
        }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
