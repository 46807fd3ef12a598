"""Shared set-up for benchmarks: a throwaway PostgreSQL database and a configured Django."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
from cryptography.fernet import Fernet

PG = "postgres://postgres@127.0.0.1:5432"


@contextmanager
def bench_database(name: str, extra_env: dict[str, str] | None = None) -> Iterator[dict[str, str]]:
    """Create a database, migrate it, point this process's Django at it; drop it at the end."""
    database = f"{name}_{os.getpid()}"
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    env = {
        **os.environ,
        "ONRAMP_DATABASE_URL": f"{PG}/{database}",
        "ONRAMP_SECRET_KEY": "bench-" + "x" * 40,
        "ONRAMP_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "ONRAMP_EMAIL_URL": "smtp://127.0.0.1:1",
        "ONRAMP_LOG_LEVEL": "WARNING",
        **(extra_env or {}),
    }
    try:
        subprocess.run(
            [sys.executable, "-m", "onramp.cli", "migrate", "--verbosity", "0"], env=env, check=True
        )
        os.environ.update(env)
        os.environ["DJANGO_SETTINGS_MODULE"] = "onramp.settings"
        import django

        django.setup()
        yield env
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Server:
    base: str
    pid: int

    def cpu_seconds(self) -> float:
        """CPU time used so far by the server's worker processes (Linux /proc)."""
        ticks = os.sysconf("SC_CLK_TCK")
        with open(f"/proc/{self.pid}/task/{self.pid}/children") as children:
            pids = children.read().split()
        total = 0
        for pid in pids:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / ticks


@contextmanager
def serving(env: dict[str, str], port: int, *, workers: int, threads: int) -> Iterator[Server]:
    """``onramp serve`` on ``port`` until the block ends; yields it once it answers."""
    import requests

    base = f"http://127.0.0.1:{port}"
    command = ["serve", "--port", str(port), "--workers", str(workers), "--threads", str(threads)]
    server = subprocess.Popen(
        [sys.executable, "-m", "onramp.cli", *command],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(150):
            try:
                requests.get(f"{base}/healthz", timeout=5)
                break
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.2)
        yield Server(base, server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)


def connected_services(
    *, customer, numbers: range, licensed_users: int, tenant_id: str, app_id: str, secret: str
) -> list:
    """Active services ``b<n>`` for ``numbers``, each connected to the sandbox app (its secret
    sealed as the product seals it)."""
    from django.utils import timezone

    from onramp.connections.models import TenantConnection
    from onramp.core.crypto import secret_box
    from onramp.services.models import Service

    box, now = secret_box(), timezone.now()
    sealed = box.seal(secret)  # once: as many services of one tenant share one app
    services = Service.objects.bulk_create(
        Service(
            provider=customer.provider,
            customer=customer,
            short_name=f"b{n:06d}",
            short_name_key=f"b{n:06d}",
            full_name=f"bench {n}",
            license_type="hosted-pro",
            licensed_users=licensed_users,
            status="active",
            activated_at=now,
        )
        for n in numbers
    )
    TenantConnection.objects.bulk_create(
        TenantConnection(
            service=service,
            tenant_id=tenant_id,
            client_id=app_id,
            secret_sealed=sealed,
            secret_key_id=box.current_key_id,
            secret_hint=secret[:3],
            authenticated_by="bench",
            authenticated_at=now,
        )
        for service in services
    )
    return services
