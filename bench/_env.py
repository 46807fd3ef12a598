"""Shared set-up for benchmarks: a throwaway PostgreSQL database and a configured Django."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

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
