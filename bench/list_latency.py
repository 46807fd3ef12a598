"""Pending Invitations page and ``GET /api/v1/invitations`` with 100,000 invitations in
PostgreSQL, served by ``onramp serve``: p50/p95/p99 at a steady 50 requests/s (open loop:
latency counts from the moment a request was due, so a slow server cannot hide its queue), and
the highest steady rate each sustains with p95 under 100 ms.
Prints one JSON object. Run by ``make bench``; not a test."""

from __future__ import annotations

import json
import os
import re
import statistics
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import requests
from _env import Server, bench_database, free_port, serving

ROWS = int(os.environ.get("BENCH_ROWS", "100000"))
STEADY_SECONDS = float(os.environ.get("BENCH_STEADY_SECONDS", "60"))
SEARCH_SECONDS = float(os.environ.get("BENCH_SEARCH_SECONDS", "15"))
RATES = [50, 75, 100, 150, 200, 300]
WORKERS, THREADS = 2, 4


def seed(rows: int) -> tuple[str, bytes]:
    """The rows; returns an API token and the operator's authenticator key."""
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    from onramp.accounts.models import AuthenticatorApp, Operator
    from onramp.accounts.services import token_create
    from onramp.core.actors import Actor
    from onramp.invitations.models import Invitation
    from onramp.services.models import Service
    from onramp.tenancy.models import Customer, Provider

    provider = Provider.objects.create(name="Bench Voice")
    customers = Customer.objects.bulk_create(
        [Customer(provider=provider, name=f"Customer {n}") for n in range(100)]
    )
    now = timezone.now()
    for start in range(0, rows, 5000):
        services = Service.objects.bulk_create(
            [
                Service(
                    provider=provider,
                    customer=customers[n % 100],
                    short_name=f"s{n:07d}",
                    short_name_key=f"s{n:07d}",
                    full_name=f"Service {n}",
                    license_type="hosted-pro",
                    licensed_users=10,
                    status="awaiting-authentication",
                )
                for n in range(start, min(start + 5000, rows))
            ]
        )
        Invitation.objects.bulk_create(
            [
                Invitation(
                    service=s,
                    provider=provider,
                    customer=s.customer,
                    admin_email=f"it{n}@example.test",
                    token_hash=f"{n:064x}",
                    status="pending",
                    created_at=now - timedelta(seconds=rows - n),
                    expires_at=now + timedelta(days=7),
                )
                for n, s in zip(range(start, start + len(services)), services, strict=True)
            ]
        )
    Operator.objects.create_user(
        "bench@example.test",
        "bench-password-123456",
        role="operator",
        scope="provider",
        provider=provider,
    )
    operator = Operator.objects.get(email="bench@example.test")
    device = AuthenticatorApp.objects.create_for(operator, name="bench app", confirmed=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # plans as after autovacuum, not as on an empty table
    return token_create(actor=Actor.system(), operator=operator).value, device.bin_key


def login(base: str, key: bytes) -> requests.Session:
    """Password, then a code from the authenticator: a fully signed-in session."""
    from django_otp.oath import TOTP

    session = requests.Session()
    steps = [
        ("/login", {"username": "bench@example.test", "password": "bench-password-123456"}),
        ("/login/code", {"code": f"{TOTP(key).token():06d}"}),
    ]
    for path, data in steps:
        page = session.get(f"{base}{path}")
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        session.post(
            f"{base}{path}",
            data={"csrfmiddlewaretoken": csrf, **data},
            headers={"Referer": f"{base}{path}"},
        )
    listed = session.get(f"{base}/invitations/", allow_redirects=False)
    assert listed.status_code == 200, f"sign-in failed: {listed.status_code}"
    return session


def open_loop(url: str, headers: dict, cookies, rate: float, seconds: float) -> dict:
    """Send ``rate`` requests per second on a fixed schedule; latency from the due time."""
    local = threading.local()
    latencies: list[float] = []
    errors: Counter[str] = Counter()  # HTTP status or exception name → count
    lock = threading.Lock()

    def one(due: float) -> None:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
            session.headers.update(headers)
            if cookies is not None:
                session.cookies.update(cookies)
        try:
            status = str(session.get(url, timeout=30).status_code)
        except requests.RequestException as exc:
            status = type(exc).__name__
        with lock:
            latencies.append(time.perf_counter() - due)
            if status != "200":
                errors[status] += 1

    count = int(rate * seconds)
    start = time.perf_counter() + 0.2
    with ThreadPoolExecutor(128) as pool:
        for i in range(count):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(one, due)
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000, 1)

    return {
        "rate": rate,
        "seconds": seconds,
        "requests": len(ordered),
        "errors": sum(errors.values()),
        "error_kinds": dict(errors),
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 1),
    }


def measure(server: Server, url: str, headers: dict, cookies) -> dict:
    """The steady run, the server's CPU per request in it, then rising rates until p95 fails."""
    open_loop(url, headers, cookies, 20, 3)  # warm-up
    cpu = server.cpu_seconds()
    steady = open_loop(url, headers, cookies, 50, STEADY_SECONDS)
    steady["server_cpu_ms_per_request"] = round(
        (server.cpu_seconds() - cpu) * 1000 / steady["requests"], 1
    )
    sustained = None
    for rate in RATES:
        run = open_loop(url, headers, cookies, rate, SEARCH_SECONDS)
        print(json.dumps({"url": url, **run}), file=sys.stderr)
        if run["p95_ms"] >= 100 or run["errors"]:
            break
        sustained = rate
    return {"steady_50_per_s": steady, "highest_rate_with_p95_under_100ms": sustained}


def main() -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with bench_database("onramp_bench_lists", {"ONRAMP_PUBLIC_URL": base}) as env:
        started = time.perf_counter()
        token, key = seed(ROWS)
        seeded_s = time.perf_counter() - started
        with serving(env, port, workers=WORKERS, threads=THREADS) as server:
            session = login(base, key)
            page = measure(server, f"{base}/invitations/", {}, session.cookies)
            bearer = {"Authorization": f"Bearer {token}"}
            api = measure(server, f"{base}/api/v1/invitations", bearer, None)
    print(
        json.dumps(
            {
                "benchmark": "list_latency",
                "invitations": ROWS,
                "seed_seconds": round(seeded_s, 1),
                "web": f"onramp serve --workers {WORKERS} --threads {THREADS}",
                "pending_invitations_page": page,
                "api_invitations": api,
                "load_average_1m_at_end": round(os.getloadavg()[0], 1),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
