"""GET /audit-events: the contract's fields, filters, newest first, keyset pages, the CSV
export (every matching row, the same columns), and the caller's scope."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from onramp.audit.models import AuditEvent
from onramp.audit.services import AuditTarget, audit_record
from onramp.core.actors import Actor
from onramp.tenancy.models import Customer
from tests.api.helpers import csv_text, error, walk

pytestmark = pytest.mark.django_db

HEADER = (
    "id,created_at,actor_type,actor_id,actor_label,action,target_type,target_id,"
    "target_label,changes,request_id,client_ip\r\n"
)
MOMENT = datetime(2030, 5, 1, 12, 0, 0, tzinfo=UTC)


def event(action: str, *, customer=None, provider=None, at=MOMENT, label="x", **kw) -> AuditEvent:
    return AuditEvent.objects.create(
        created_at=at,
        actor_type=kw.get("actor_type", "system"),
        actor_id=kw.get("actor_id", ""),
        actor_label=kw.get("actor_label", "Onramp"),
        provider_id=provider.pk if provider else (customer.provider_id if customer else None),
        customer_id=customer.pk if customer else None,
        action=action,
        target_type=kw.get("target_type", "customer"),
        target_id=kw.get("target_id", str(customer.pk) if customer else "t"),
        target_label=label,
        changes=kw.get("changes", {}),
        request_id=kw.get("request_id", ""),
        client_ip=kw.get("client_ip"),
    )


def test_an_event_as_the_api_shows_it(api, operator, provider):
    response = api.post("/customers", {"name": "Fabrikam"}, HTTP_X_REQUEST_ID="req-42")
    customer_id = response.json()["id"]
    items = api.get("/audit-events", {"target_id": customer_id}).json()["items"]
    stored = AuditEvent.objects.get(action="customer.created")
    assert items == [
        {
            "id": str(stored.pk),
            "created_at": stored.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "actor_type": "token",
            "actor_id": str(operator.pk),
            "actor_label": "ops@northwind.example",
            "action": "customer.created",
            "target_type": "customer",
            "target_id": customer_id,
            "target_label": "Fabrikam",
            "changes": {"new": {"name": "Fabrikam", "azure_tenant_id": "", "country": ""}},
            "request_id": stored.request_id or None,
            "client_ip": "127.0.0.1",
        }
    ]


def test_filters_and_newest_first(api, customer, provider):
    other = Customer.objects.create(provider=provider, name="Fabrikam")
    first = event("invitation.created", customer=customer, at=MOMENT, target_type="invitation")
    second = event("service.created", customer=customer, at=MOMENT + timedelta(hours=1))
    third = event("service.created", customer=other, at=MOMENT + timedelta(hours=2))

    def ids(**params) -> list[str]:
        params.setdefault("since", "2030-01-01T00:00:00Z")  # leaves out the fixtures' events
        return [e["id"] for e in api.get("/audit-events", params).json()["items"]]

    assert ids() == [str(third.pk), str(second.pk), str(first.pk)]
    assert ids(action="service.created") == [str(third.pk), str(second.pk)]
    assert ids(target_type="invitation") == [str(first.pk)]
    assert ids(target_id=str(other.pk)) == [str(third.pk)]
    assert ids(target_type="customer", target_id=str(customer.pk)) == [str(second.pk)]
    assert ids(since="2030-05-01T13:00:00Z") == [str(third.pk), str(second.pk)]
    assert ids(since="2030-05-01T13:00:00") == [str(third.pk), str(second.pk)]  # naive is UTC
    assert ids(since="2030-05-01T15:00:00+02:00") == [str(third.pk), str(second.pk)]
    assert ids(since="2030-05-01T14:00:01Z") == []
    assert ids(action="nope") == []
    assert error(api.get("/audit-events", {"since": "yesterday"}))[:2] == (
        400,
        "malformed_request",
    )


def test_scope_decides_which_events_are_seen(
    system_api,
    api,
    channel_api,
    customer_api,
    other_api,
    customer,
    channel,
    provider,
    other_customer,
):
    in_channel = Customer.objects.create(provider=provider, channel=channel, name="Fabrikam")
    about_customer = event("service.created", customer=customer)
    about_channel_customer = event("service.created", customer=in_channel)
    provider_wide = event("channel.created", provider=provider, target_type="channel")
    foreign = event("service.created", customer=other_customer)
    installation = event(
        "keys.rotated", target_type="keys", target_id="installation", actor_type="system"
    )

    def seen(caller) -> set[int]:
        items = caller.get("/audit-events", {"since": "2030-01-01"}).json()["items"]
        return {int(e["id"]) for e in items}

    everything = {e.pk for e in AuditEvent.objects.filter(created_at__gte=MOMENT)}
    assert seen(system_api) == everything
    assert seen(api) == {about_customer.pk, about_channel_customer.pk, provider_wide.pk}
    assert seen(channel_api) == {about_channel_customer.pk}
    assert seen(customer_api) == {about_customer.pk}
    assert seen(other_api) == {foreign.pk}
    assert installation.pk not in seen(api) | seen(other_api)


def test_pages_walk_every_event_once(api, customer):
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                created_at=MOMENT + timedelta(seconds=n // 3),  # ties: the id decides
                actor_type="system",
                provider_id=customer.provider_id,
                customer_id=customer.pk,
                action="connection.validated",
                target_type="service",
                target_id=str(n),
            )
            for n in range(75)
        ]
    )
    pages = walk(api, "/audit-events", limit=20, action="connection.validated")
    assert [len(p) for p in pages] == [20, 20, 20, 15]
    ids = [int(e["id"]) for page in pages for e in page]
    validated = AuditEvent.objects.filter(action="connection.validated")
    expected = list(validated.order_by("-created_at", "-id").values_list("id", flat=True))
    assert ids == expected
    for bad in ("nope", "WyIyMDMwLTA1LTAxVDEyOjAwOjAwKzAwOjAwIiwgIngiXQ"):
        assert error(api.get("/audit-events", {"cursor": bad})) == (
            400,
            "malformed_request",
            {"cursor": ["Use the `next` value of the previous page, unchanged."]},
        )


def test_csv_export_has_every_matching_row_and_the_same_columns(api, customer):
    plain = event(
        "service.created",
        customer=customer,
        label="Contoso-01",
        actor_type="token",
        actor_id="a1",
        actor_label="ops@northwind.example",
        changes={"new": {"short_name": "Contoso-01", "users": 5}},
        request_id="req-1",
        client_ip="192.0.2.7",
    )
    tricky = event(
        "service.created",
        customer=customer,
        at=MOMENT + timedelta(minutes=1),
        label='=HYPERLINK("x"), "quoted"',
    )
    response = api.get("/audit-events", {"format": "csv", "limit": 1, "action": "service.created"})
    assert response["Content-Disposition"] == 'attachment; filename="audit-events.csv"'
    text = csv_text(response)
    assert text == (
        HEADER + f"{tricky.pk},2030-05-01T12:01:00Z,system,,Onramp,service.created,customer,"
        f'{customer.pk},"\'=HYPERLINK(""x""), ""quoted""",{{}},,\r\n'
        + f"{plain.pk},2030-05-01T12:00:00Z,token,a1,ops@northwind.example,service.created,"
        f'customer,{customer.pk},Contoso-01,"{{""new"": {{""short_name"": ""Contoso-01"", '
        f'""users"": 5}}}}",req-1,192.0.2.7\r\n'
    )
    rows = list(csv.DictReader(io.StringIO(text)))
    assert json.loads(rows[1]["changes"]) == plain.changes
    filtered = csv_text(api.get("/audit-events", {"format": "csv", "since": "2030-05-01T12:01Z"}))
    assert filtered.count("\r\n") == 2


def test_csv_export_streams_more_rows_than_a_page(api, customer):
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                created_at=MOMENT,
                actor_type="system",
                provider_id=customer.provider_id,
                customer_id=customer.pk,
                action="connection.validated",
                target_type="service",
                target_id=str(n),
            )
            for n in range(2345)
        ]
    )
    text = csv_text(api.get("/audit-events", {"format": "csv", "action": "connection.validated"}))
    lines = text.splitlines()
    assert lines[0] + "\r\n" == HEADER and len(lines) == 2346
    ids = [int(line.split(",", 1)[0]) for line in lines[1:]]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 2345


def test_query_count_does_not_grow_with_the_page(api, customer):
    api.get("/audit-events")
    event("service.created", customer=customer)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api.get("/audit-events", {"limit": 500}).status_code == 200
        return len(queries)

    small = count()
    for n in range(50):
        event("service.created", customer=customer, target_id=str(n))
    assert count() == small


def test_events_written_by_the_domain_are_listed(system_api):
    audit_record(
        actor=Actor.system(),
        action="keys.rotated",
        target=AuditTarget("keys", "installation", "encryption keys"),
        new={"rows": 3},
    )
    items = system_api.get("/audit-events", {"action": "keys.rotated"}).json()["items"]
    assert [(e["target_type"], e["target_label"], e["changes"]) for e in items] == [
        ("keys", "encryption keys", {"new": {"rows": 3}})
    ]
