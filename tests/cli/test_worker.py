"""``onramp worker`` as a real process: it delivers the invitation email queued by the domain,
records a failed delivery for a retry after backoff, and stops gracefully on SIGTERM."""

from __future__ import annotations

import signal
import time

from aiosmtpd.controller import Controller

from tests.cli.conftest import alive, descendants, wait_for
from tests.conftest import SmtpServer, free_port


def test_worker_delivers_the_invitation_email(database, background, smtp_server):
    worker = background(
        ["worker"],
        database.env | {"ONRAMP_EMAIL_URL": f"smtp://127.0.0.1:{smtp_server.port}"},
        name="worker",
    )
    invited = database.scenario("invite", "Admin@Contoso.example")

    wait_for(lambda: smtp_server.messages)
    assert wait_for(lambda: database.scenario("invitation", invited["invitation_id"])["email_sent"])
    assert database.scenario("invitation", invited["invitation_id"]) == {
        "email_sent": True,
        "email_send_count": 1,
        "email_last_error": "",
    }
    [message] = smtp_server.messages
    assert smtp_server.envelopes == [("onramp@localhost", ["admin@contoso.example"])]
    assert message["Subject"] == "Northwind Voice: activate Microsoft Teams calling for Contoso-01"
    text = message.get_payload()[0].get_payload(decode=True).decode()
    assert invited["link"] in text
    outbox = database.scenario("outbox", invited["message_id"])
    assert (outbox["status"], outbox["attempts"], outbox["sealed"]) == ("sent", 1, False)
    token = invited["link"].rsplit("/", 1)[1]
    assert token not in worker.output()
    assert worker.stop() == 0


def test_failed_delivery_is_recorded_and_retried_after_backoff(database, background):
    port = free_port()  # nothing listens here yet: the mail server is down
    email_url = f"smtp://127.0.0.1:{port}"
    worker = background(["worker"], database.env | {"ONRAMP_EMAIL_URL": email_url}, name="worker")
    before = time.time()
    invited = database.scenario("invite", "admin@contoso.example")

    failed = wait_for(
        lambda: database.scenario("invitation", invited["invitation_id"])["email_last_error"]
    )
    after = time.time()
    assert failed == "the mail server could not be reached (ConnectionRefusedError)"
    assert database.scenario("invitation", invited["invitation_id"]) == {
        "email_sent": False,
        "email_send_count": 1,
        "email_last_error": failed,
    }
    outbox = database.scenario("outbox", invited["message_id"])
    assert (outbox["status"], outbox["attempts"], outbox["sealed"]) == ("queued", 1, True)
    # OUTBOX_BACKOFF_SECONDS (30) after the failed attempt, which came between before and after
    assert before + 30 <= outbox["next_attempt_at"] <= after + 30
    assert worker.stop() == 0  # the retry below is ours alone: no scheduled sweep races it

    # The mail server comes back; before the backoff has passed the sweep leaves the message be.
    server = SmtpServer("127.0.0.1", port)
    controller = Controller(server, hostname=server.host, port=port)
    controller.start()
    try:
        assert database.scenario("sweep", ONRAMP_EMAIL_URL=email_url) == {"swept": 0}
        assert server.messages == []
        database.scenario("backoff-elapsed", invited["message_id"])
        assert database.scenario("sweep", ONRAMP_EMAIL_URL=email_url) == {"swept": 1}
    finally:
        controller.stop()
    assert len(server.messages) == 1
    assert invited["link"] in server.messages[0].get_payload()[0].get_payload(decode=True).decode()
    assert database.scenario("invitation", invited["invitation_id"]) == {
        "email_sent": True,
        "email_send_count": 2,
        "email_last_error": "",
    }
    outbox = database.scenario("outbox", invited["message_id"])
    assert (outbox["status"], outbox["attempts"], outbox["sealed"]) == ("sent", 2, False)


def test_concurrency_schedules_and_graceful_stop(database, background):
    worker = background(["worker", "--concurrency", "3"], database.env, name="worker")
    wait_for(lambda: "running." in worker.output())
    output = worker.output()
    assert output.count("ready for work at") == 3
    tree = descendants(worker.process.pid)
    assert len(tree) == 1 + 3 + 2  # sentinel, 3 workers, pusher, monitor

    second = background(["worker"], database.env, name="second")  # schedules stay one row each
    wait_for(lambda: "running." in second.output())
    assert second.output().count("ready for work at") == 2
    assert database.scenario("schedules") == [
        ["onramp: outbox sweep", "onramp.notifications.tasks.sweep_outbox", "I", 1, -1],
        ["onramp: direct routing sweep", "onramp.directrouting.tasks.sweep", "I", 1, -1],
        ["onramp: created app sweep", "onramp.createdapp.tasks.sweep", "I", 1, -1],
        [
            "onramp: re-validate connections",
            "onramp.health.tasks.scheduled_validation",
            "C",
            None,
            -1,
        ],
        ["onramp: purge rate-limit windows", "onramp.core.ratelimit.purge_expired", "I", 60, -1],
    ]

    assert worker.stop(signal.SIGTERM, timeout=30) == 0
    assert "has stopped." in worker.output()
    assert not [pid for pid in tree if alive(pid)]
    assert second.stop(signal.SIGINT, timeout=30) == 0


def test_bad_concurrency_is_one_line(database):
    result = database.onramp("worker", "--concurrency", "0")
    assert (result.returncode, result.stdout, result.stderr) == (
        1,
        "",
        "onramp worker: --concurrency must be at least 1, got 0\n",
    )


def test_bad_validation_schedule_stops_the_worker_in_one_line(database):
    result = database.onramp("worker", ONRAMP_VALIDATION_SCHEDULE="at two")
    assert (result.returncode, result.stdout, result.stderr) == (
        1,
        "",
        "onramp worker: ONRAMP_VALIDATION_SCHEDULE must be a cron expression such as "
        "'0 2 * * *', got 'at two'\n",
    )
