"""Background tasks: thin, take ids, call one service."""

from onramp.notifications.services import outbox_deliver, outbox_due_ids


def deliver_outbox_message(message_id: str) -> str:
    return outbox_deliver(message_id)


def sweep_outbox() -> int:
    """Periodic: deliver what is due (retries after backoff, expired leases)."""
    due = outbox_due_ids()
    for message_id in due:
        outbox_deliver(message_id)
    return len(due)
