"""Invitation creation through the API (service + invitation + audit + outbox row) per second,
and emails delivered per second from the outbox to a real SMTP server (aiosmtpd).
Prints one JSON object. Run by ``make bench``; not a test."""

from __future__ import annotations

import json
import os
import socket
import sys
import time

from _env import bench_database

INVITATIONS = int(os.environ.get("BENCH_INVITATIONS", "1000"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Sink:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        return "250 OK"


def main() -> None:
    port = free_port()
    with bench_database(
        "onramp_bench_invitations",
        {
            "ONRAMP_EMAIL_URL": f"smtp://127.0.0.1:{port}",
            "ONRAMP_ALLOWED_HOSTS": "testserver",
        },
    ):
        from aiosmtpd.controller import Controller
        from django.test import Client

        from onramp.accounts.models import Operator
        from onramp.accounts.services import token_create
        from onramp.audit.services import Actor
        from onramp.notifications.models import OutboxMessage
        from onramp.notifications.services import outbox_deliver
        from onramp.tenancy.models import Customer, Provider

        provider = Provider.objects.create(name="Bench Voice")
        customer = Customer.objects.create(provider=provider, name="Bench customer")
        operator = Operator.objects.create_user(
            "bench@example.test", None, role="operator", scope="provider", provider=provider
        )
        token = token_create(actor=Actor.system(), operator=operator).value
        client = Client(headers={"Authorization": f"Bearer {token}"})

        def create(n: int) -> int:
            return client.post(
                "/api/v1/services",
                json.dumps(
                    {
                        "customer_id": str(customer.pk),
                        "short_name": f"inv{n:06d}",
                        "license_type": "hosted-pro",
                        "licensed_users": 10,
                        "connection": {
                            "method": "invitation",
                            "admin_email": f"it{n}@example.test",
                        },
                    }
                ),
                content_type="application/json",
            ).status_code

        create(0)  # warm-up
        started = time.perf_counter()
        statuses = [create(n) for n in range(1, INVITATIONS + 1)]
        created_s = time.perf_counter() - started
        assert statuses.count(201) == INVITATIONS, statuses[:5]

        sink = Sink()
        controller = Controller(sink, hostname="127.0.0.1", port=port)
        controller.start()
        ids = [
            str(pk)
            for pk in OutboxMessage.objects.filter(status="queued").values_list("pk", flat=True)
        ]
        started = time.perf_counter()
        results = [outbox_deliver(message_id) for message_id in ids]
        sent_s = time.perf_counter() - started
        controller.stop()
        report = {
            "benchmark": "invitations_and_email",
            "invitations_created": INVITATIONS,
            "invitations_per_s": round(INVITATIONS / created_s, 1),
            "emails": len(ids),
            "emails_sent": results.count("sent"),
            "emails_received": sink.count,
            "emails_per_s": round(len(ids) / sent_s, 1),
            "note": "one process, sequential requests through Django's test client; "
            "one SMTP connection per message",
        }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    sys.exit(main())
