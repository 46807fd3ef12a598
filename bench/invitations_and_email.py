"""Invitation creation through the API (service + invitation + two audit events + outbox row
and its task, one transaction) per second, from concurrent clients against ``onramp serve``;
then emails delivered per second from the outbox to a real SMTP server (aiosmtpd).
Prints one JSON object. Run by ``make bench``; not a test."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests
from _env import bench_database, free_port, serving

INVITATIONS = int(os.environ.get("BENCH_INVITATIONS", "2000"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "16"))
WORKERS, THREADS = 2, 4
SENDERS = int(os.environ.get("BENCH_SENDERS", "8"))


class Sink:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        return "250 OK"


def create_all(base: str, token: str, customer_id: str) -> tuple[float, list[int]]:
    """``INVITATIONS`` creations from ``CLIENTS`` threads, each with its own connection."""
    local = threading.local()

    def create(n: int) -> int:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
            session.headers["Authorization"] = f"Bearer {token}"
        body = {
            "customer_id": customer_id,
            "short_name": f"inv{n:06d}",
            "license_type": "hosted-pro",
            "licensed_users": 10,
            "connection": {"method": "invitation", "admin_email": f"it{n}@example.test"},
        }
        return session.post(f"{base}/api/v1/services", json=body, timeout=60).status_code

    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(create, range(CLIENTS)))  # warm-up: every worker and connection
        started = time.perf_counter()
        statuses = list(pool.map(create, range(CLIENTS, CLIENTS + INVITATIONS)))
    return time.perf_counter() - started, statuses


def main() -> None:
    smtp_port, web_port = free_port(), free_port()
    with bench_database(
        "onramp_bench_invitations", {"ONRAMP_EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}"}
    ) as env:
        from aiosmtpd.controller import Controller

        from onramp.accounts.models import Operator
        from onramp.accounts.services import token_create
        from onramp.core.actors import Actor
        from onramp.notifications.models import OutboxMessage
        from onramp.notifications.services import outbox_deliver
        from onramp.tenancy.models import Customer, Provider

        provider = Provider.objects.create(name="Bench Voice")
        customer = Customer.objects.create(provider=provider, name="Bench customer")
        operator = Operator.objects.create_user(
            "bench@example.test", None, role="operator", scope="provider", provider=provider
        )
        token = token_create(actor=Actor.system(), operator=operator).value
        with serving(env, web_port, workers=WORKERS, threads=THREADS) as server:
            cpu = server.cpu_seconds()
            created_s, statuses = create_all(server.base, token, str(customer.pk))
            server_cpu_ms = (server.cpu_seconds() - cpu) * 1000 / (INVITATIONS + CLIENTS)
        assert statuses.count(201) == INVITATIONS, statuses[:5]

        sink = Sink()
        controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
        controller.start()
        ids = [
            str(pk)
            for pk in OutboxMessage.objects.filter(status="queued").values_list("pk", flat=True)
        ]
        started = time.perf_counter()
        # As a worker with --concurrency SENDERS; the threads' connections end with the database.
        with ThreadPoolExecutor(SENDERS) as pool:
            results = list(pool.map(outbox_deliver, ids))
        sent_s = time.perf_counter() - started
        controller.stop()
        report = {
            "benchmark": "invitations_and_email",
            "invitations_created": INVITATIONS,
            "invitations_per_s": round(INVITATIONS / created_s, 1),
            "clients": CLIENTS,
            "server_cpu_ms_per_create": round(server_cpu_ms, 1),
            "web": f"onramp serve --workers {WORKERS} --threads {THREADS}",
            "emails": len(ids),
            "emails_sent": results.count("sent"),
            "emails_received": sink.count,
            "emails_per_s": round(len(ids) / sent_s, 1),
            "load_average_1m_at_end": round(os.getloadavg()[0], 1),
            "email_senders": SENDERS,
            "note": "emails: threads of one process each delivering one message at a time "
            "(one SMTP connection per message, as the worker does); the SMTP server runs in "
            "the same process",
        }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    sys.exit(main())
