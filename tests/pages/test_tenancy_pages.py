"""Providers, channels and customers pages: who may open and use each (every kind of operator,
with proof that a refusal changed nothing), the exact rows and audit events of each change, and
errors next to their fields. One real-browser walk: add a channel, attach a customer to it."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Page, expect

from onramp.accounts.models import Operator
from onramp.audit.models import AuditEvent
from onramp.tenancy.models import Channel, Customer, Provider
from tests.pages.browser import shoot
from tests.pages.helpers import field_errors, input_value, page_text, visible_text
from tests.pages.hierarchy import KINDS, World, attempt, build, new_events, state
from tests.signin import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db) -> World:
    return build()


ALL = {"anonymous": 302, "*": 200}
SYSTEM_ADMIN = {"anonymous": 302, "system admin": 200, "*": 403}
PROVIDER_ROW = {**SYSTEM_ADMIN, "system admin": 302, "other admin": 404}
CHANNEL_ROW = {
    "anonymous": 302,
    "system admin": 302,
    "provider admin": 302,
    "provider operator": 302,
    "customer admin": 404,
    "customer operator": 404,
    "other admin": 404,
    "*": 403,
}
CUSTOMER_IN_CHANNEL = {
    **CHANNEL_ROW,
    "channel admin": 302,
    "channel operator": 302,
    "customer admin": 403,
    "customer operator": 403,
}
# What each kind of operator gets, by page and action ("*": everyone not named).
EXPECTED: dict[str, dict[str, int]] = {
    "providers list": ALL,
    "provider add form": SYSTEM_ADMIN,
    "provider add": {**SYSTEM_ADMIN, "system admin": 302},
    "provider edit form": {**PROVIDER_ROW, "system admin": 200},
    "provider edit": PROVIDER_ROW,
    "channels list": ALL,
    "channel add": {
        **CHANNEL_ROW,
        "customer admin": 403,
        "customer operator": 403,
        "other admin": 302,
    },
    "channel edit form": {
        **CHANNEL_ROW,
        "system admin": 200,
        "provider admin": 200,
        "provider operator": 200,
    },
    "channel edit": CHANNEL_ROW,
    "customers list": ALL,
    "customer edit form": {
        **CUSTOMER_IN_CHANNEL,
        **{who: 200 for who in ("system admin", "provider admin", "provider operator")},
        **{who: 200 for who in ("channel admin", "channel operator")},
    },
    "customer edit": CUSTOMER_IN_CHANNEL,
    "direct customer edit": {
        **CUSTOMER_IN_CHANNEL,
        "channel admin": 404,
        "channel operator": 404,
        "customer admin": 404,
        "customer operator": 404,
    },
}
EVENTS = {
    "provider add": "provider.created",
    "provider edit": "provider.changed",
    "channel add": "channel.created",
    "channel edit": "channel.changed",
    "customer edit": "customer.changed",
    "direct customer edit": "customer.changed",
}
LISTS = {"provider": "/providers/", "channel": "/channels/", "customer": "/customers/"}


def request_for(w: World, action: str) -> tuple[str, dict | None]:
    """The URL and, for a POST, the form data of each page action."""
    customer = {"azure_tenant_id": "", "contact_email": ""}
    return {
        "providers list": ("/providers/", None),
        "provider add form": ("/providers/add/", None),
        "provider add": ("/providers/add/", {"name": "Litware Voice", "sbc_domain": ""}),
        "provider edit form": (f"/providers/{w.provider.pk}/edit/", None),
        "provider edit": (
            f"/providers/{w.provider.pk}/edit/",
            {"name": "Northwind Voice UK", "sbc_domain": "sbc.northwind.example"},
        ),
        "channels list": ("/channels/", None),
        "channel add": (
            "/channels/add/",
            {"name": "Reseller West", "max_customers": "5", "provider_id": str(w.provider.pk)},
        ),
        "channel edit form": (f"/channels/{w.channel.pk}/edit/", None),
        "channel edit": (
            f"/channels/{w.channel.pk}/edit/",
            {"name": "Reseller East", "max_customers": "3"},
        ),
        "customers list": ("/customers/", None),
        "customer edit form": (f"/customers/{w.customer.pk}/edit/", None),
        "customer edit": (
            f"/customers/{w.customer.pk}/edit/",
            {"name": "Contoso Group", "channel_id": str(w.channel.pk), **customer},
        ),
        "direct customer edit": (
            f"/customers/{w.direct.pk}/edit/",
            {"name": "Adatum Group", "channel_id": "", **customer},
        ),
    }[action]


@pytest.mark.parametrize("who", KINDS)
@pytest.mark.parametrize("action", list(EXPECTED))
def test_who_may_use_each_page(world, action, who):
    url, data = request_for(world, action)
    before = state()
    response, expected = attempt(world, who, url, data, EXPECTED[action])
    if expected == 302 and who != "anonymous":
        assert response.url == LISTS[action.split()[-2]]
        events = new_events(before)
        assert [(e.action, e.actor_id) for e in events] == [
            (EVENTS[action], str(world.people[who].pk))
        ]
    else:
        assert state() == before


def test_changes_need_the_csrf_token(world):
    """The test client skips CSRF checks unless asked; a real browser's form carries it."""
    client = sign_in(Client(enforce_csrf_checks=True), world.people["system admin"])
    before = state()
    posts = [
        ("/providers/add/", {"name": "Litware Voice"}),
        (f"/providers/{world.provider.pk}/edit/", {"name": "Renamed"}),
        ("/channels/add/", {"name": "Reseller West", "provider_id": str(world.provider.pk)}),
        (f"/channels/{world.channel.pk}/edit/", {"name": "Renamed"}),
        (f"/customers/{world.customer.pk}/edit/", {"name": "Renamed"}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403
    assert state() == before


def test_lists_take_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    """60 more channels, customers and operators: no query per row (measured: 4 to 6)."""
    for number in range(60):
        channel = Channel.objects.create(provider=world.provider, name=f"Reseller {number:02}")
        customer = Customer.objects.create(
            provider=world.provider, channel=channel, name=f"Cust {number:02}"
        )
        Operator.objects.create_user(
            f"it{number}@customer.example",
            None,
            role="operator",
            scope="customer",
            provider=world.provider,
            customer=customer,
        )
    admin = world.client("system admin")
    for url in ("/providers/", "/channels/", "/customers/", "/operators/", "/operators/invite/"):
        with django_assert_max_num_queries(8):
            assert admin.get(url).status_code == 200


# --- providers ---------------------------------------------------------------------------------


def test_providers_list_counts_only_what_the_operator_sees(world):
    Channel.objects.create(provider=world.provider, name="Reseller North")
    system = world.client("system monitor").get("/providers/")
    text = visible_text(system)
    assert "Northwind Voice sbc.northwind.example 2 2" in text
    assert "Fabrikam Telecom — 1 1" in text
    assert "Add provider" not in text  # a monitor adds nothing
    assert "Add provider" in visible_text(world.client("system admin").get("/providers/"))

    channel = world.client("channel operator").get("/providers/")
    rows = re.findall(r"<tr>", page_text(channel))
    assert len(rows) == 2  # the header and its own provider
    assert "Northwind Voice sbc.northwind.example 1 1" in visible_text(channel)
    assert "Fabrikam" not in page_text(channel)
    assert "Edit Northwind Voice" not in page_text(channel)


def test_add_provider(world):
    admin = world.client("system admin")
    form = admin.get("/providers/add/")
    assert 'name="csrfmiddlewaretoken"' in page_text(form)
    response = admin.post(
        "/providers/add/", {"name": " Litware Voice ", "sbc_domain": "SBC.Litware.example"}
    )
    assert (response.status_code, response.url) == (302, "/providers/")
    provider = Provider.objects.get(name="Litware Voice")
    assert provider.sbc_domain == "sbc.litware.example"
    event = AuditEvent.objects.get(action="provider.created")
    assert (event.target_id, event.actor_label, event.provider_id, event.changes) == (
        str(provider.pk),
        "root@onramp.example",
        provider.pk,
        {"new": {"name": "Litware Voice", "sbc_domain": "sbc.litware.example"}},
    )
    assert "Provider Litware Voice was added." in visible_text(admin.get("/providers/"))


@pytest.mark.parametrize(
    "data,field,message",
    [
        ({"name": ""}, "name", "Enter a name of at most 200 characters."),
        ({"name": "x" * 201}, "name", "Enter a name of at most 200 characters."),
        (
            {"name": "Line\nbreak"},
            "name",
            "Use printable characters only (no line breaks or control characters).",
        ),
        ({"name": "Fabrikam Telecom"}, "name", "A provider with this name already exists."),
        (
            {"name": "Litware", "sbc_domain": "not a domain"},
            "sbc_domain",
            "Enter a domain name such as sbc.example.com.",
        ),
    ],
)
def test_provider_errors_next_to_the_field(world, data, field, message):
    before = state()
    admin = world.client("system admin")
    for url in ("/providers/add/", f"/providers/{world.provider.pk}/edit/"):
        response = admin.post(url, {"sbc_domain": "", **data})
        assert response.status_code == 422
        assert field_errors(response, field) == [message]
        assert "Please correct the fields below" in visible_text(response)
        assert (input_value(response, field) or "") == data[field]
    assert state() == before


def test_edit_provider(world):
    admin = world.client("system admin")
    form = admin.get(f"/providers/{world.provider.pk}/edit/")
    assert input_value(form, "name") == "Northwind Voice"
    assert input_value(form, "sbc_domain") == "sbc.northwind.example"
    response = admin.post(
        f"/providers/{world.provider.pk}/edit/", {"name": "Northwind Voice UK", "sbc_domain": ""}
    )
    assert (response.status_code, response.url) == (302, "/providers/")
    world.provider.refresh_from_db()
    assert (world.provider.name, world.provider.sbc_domain) == ("Northwind Voice UK", "")
    event = AuditEvent.objects.get(action="provider.changed")
    assert event.changes == {
        "old": {
            "name": "Northwind Voice",
            "sbc_domain": "sbc.northwind.example",
            "sbc_domains": ["sbc.northwind.example"],
        },
        "new": {"name": "Northwind Voice UK", "sbc_domain": "", "sbc_domains": []},
    }


def test_saving_an_unchanged_provider_records_nothing(world):
    before = state()
    response = world.client("system admin").post(
        f"/providers/{world.provider.pk}/edit/",
        {"name": "Northwind Voice", "sbc_domain": "sbc.northwind.example"},
    )
    assert response.status_code == 302
    assert state() == before


# --- channels ----------------------------------------------------------------------------------


def test_channels_list_is_scoped_with_occupancy(world):
    provider = visible_text(world.client("provider monitor").get("/channels/"))
    assert "Reseller East 1 of 2" in provider
    assert "Fabrikam Resale" not in provider
    assert "Add channel" not in provider  # a monitor adds nothing

    system = visible_text(world.client("system admin").get("/channels/"))
    assert "Reseller East Northwind Voice 1 of 2" in system
    assert "Fabrikam Resale Fabrikam Telecom 0 (no limit)" in system

    channel = world.client("channel admin").get("/channels/")
    assert "Reseller East 1 of 2" in visible_text(channel)
    assert len(re.findall(r"<tr>", page_text(channel))) == 2
    assert "Edit Reseller East" not in page_text(channel)  # channels change above them

    customer = visible_text(world.client("customer admin").get("/channels/"))
    assert "No channels yet" in customer


def test_customers_of_a_channel(world):
    ops = world.client("provider monitor")
    assert f'href="/customers/?channel={world.channel.pk}"' in page_text(ops.get("/channels/"))
    names = re.compile(r'<td data-label="Name" class="strong">([^<]+)</td>')
    response = ops.get(f"/customers/?channel={world.channel.pk}")
    assert names.findall(page_text(response)) == ["Contoso Ltd"]
    assert re.search(
        rf'<option value="{world.channel.pk}" selected>Reseller East</option>', page_text(response)
    )
    # Another provider's channel, or nonsense, is no filter at all.
    for wanted in (world.other_channel.pk, "nope"):
        response = ops.get(f"/customers/?channel={wanted}")
        assert names.findall(page_text(response)) == ["Adatum Corp", "Contoso Ltd"]
    empty = Channel.objects.create(provider=world.provider, name="Reseller South")
    response = ops.get(f"/customers/?channel={empty.pk}")
    assert "No customers in Reseller South" in visible_text(response)
    customer = world.client("customer operator").get("/customers/")
    assert 'name="channel"' not in page_text(customer)  # no channels to filter by


def test_add_channel_in_own_provider(world):
    ops = world.client("provider operator")
    form = ops.get("/channels/add/")
    assert 'name="provider_id"' not in page_text(form)  # always its own provider
    response = ops.post("/channels/add/", {"name": "Reseller West", "max_customers": "3"})
    assert (response.status_code, response.url) == (302, "/channels/")
    channel = Channel.objects.get(name="Reseller West")
    assert (channel.provider, channel.max_customers) == (world.provider, 3)
    event = AuditEvent.objects.get(action="channel.created")
    assert (event.target_id, event.provider_id, event.changes) == (
        str(channel.pk),
        world.provider.pk,
        {"new": {"name": "Reseller West", "max_customers": 3}},
    )
    assert "Channel Reseller West was added." in visible_text(ops.get("/channels/"))


def test_system_admin_picks_the_provider_of_a_channel(world):
    admin = world.client("system admin")
    before = state()
    response = admin.post("/channels/add/", {"name": "Reseller West", "max_customers": ""})
    assert response.status_code == 422
    assert field_errors(response, "provider_id") == ["Choose the provider the channel belongs to."]
    assert state() == before
    response = admin.post(
        "/channels/add/",
        {"provider_id": str(world.other_provider.pk), "name": "Reseller West", "max_customers": ""},
    )
    assert response.status_code == 302
    channel = Channel.objects.get(name="Reseller West")
    assert (channel.provider, channel.max_customers) == (world.other_provider, None)


LIMIT_RULE = "Use a whole number from 0 to 1,000,000, or null for no limit."


@pytest.mark.parametrize(
    "data,field,message",
    [
        ({"name": ""}, "name", "Enter a name of at most 200 characters."),
        ({"name": "Reseller West", "max_customers": "many"}, "max_customers", LIMIT_RULE),
        ({"name": "Reseller West", "max_customers": "-1"}, "max_customers", LIMIT_RULE),
        ({"name": "Reseller West", "max_customers": "2.5"}, "max_customers", LIMIT_RULE),
        ({"name": "Reseller West", "max_customers": "²"}, "max_customers", LIMIT_RULE),
        ({"name": "Reseller West", "max_customers": "1000001"}, "max_customers", LIMIT_RULE),
    ],
)
def test_channel_errors_next_to_the_field(world, data, field, message):
    before = state()
    ops = world.client("provider operator")
    for url in ("/channels/add/", f"/channels/{world.channel.pk}/edit/"):
        response = ops.post(url, {"max_customers": "", **data})
        assert response.status_code == 422
        assert field_errors(response, field) == [message]
        assert (input_value(response, field) or "") == data[field]
    assert state() == before


def test_channel_name_taken_within_its_provider(world):
    Channel.objects.create(provider=world.provider, name="Reseller West")
    before = state()
    ops = world.client("provider admin")
    for url in ("/channels/add/", f"/channels/{world.channel.pk}/edit/"):
        response = ops.post(url, {"name": "Reseller West", "max_customers": ""})
        assert response.status_code == 422
        assert field_errors(response, "name") == [
            "This provider already has a channel with this name."
        ]
    assert state() == before
    # Another provider may use the name.
    assert (
        world.client("other admin").post("/channels/add/", {"name": "Reseller West"}).status_code
        == 302
    )


def test_edit_channel(world):
    ops = world.client("provider admin")
    form = ops.get(f"/channels/{world.channel.pk}/edit/")
    assert "Customers attached: 1 of 2" in visible_text(form)
    assert input_value(form, "max_customers") == "2"
    response = ops.post(
        f"/channels/{world.channel.pk}/edit/", {"name": "Reseller East UK", "max_customers": ""}
    )
    assert (response.status_code, response.url) == (302, "/channels/")
    world.channel.refresh_from_db()
    assert (world.channel.name, world.channel.max_customers) == ("Reseller East UK", None)
    assert AuditEvent.objects.get(action="channel.changed").changes == {
        "old": {"name": "Reseller East", "max_customers": 2},
        "new": {"name": "Reseller East UK", "max_customers": None},
    }


def test_channel_limit_cannot_drop_below_its_customers(world):
    before = state()
    response = world.client("provider operator").post(
        f"/channels/{world.channel.pk}/edit/", {"name": "Reseller East", "max_customers": "0"}
    )
    assert response.status_code == 422
    assert field_errors(response, "max_customers") == ["The channel has 1 customer already."]
    assert state() == before


# --- customers ---------------------------------------------------------------------------------


def customer_data(customer: Customer, **changes: str) -> dict[str, str]:
    data = {
        "name": customer.name,
        "azure_tenant_id": customer.azure_tenant_id,
        "contact_email": customer.contact_email,
        "channel_id": str(customer.channel_id or ""),
        "country": customer.country,
    }
    return {**data, **changes}


def test_attach_and_detach_a_customer(world):
    ops = world.client("provider operator")
    url = f"/customers/{world.direct.pk}/edit/"
    form = ops.get(url)
    select = re.search(r'<select name="channel_id".*?</select>', page_text(form), re.S)
    options = re.findall(r'<option value="([^"]*)"', select.group(0))
    assert options == ["", str(world.channel.pk)]  # never another provider's channel
    response = ops.post(url, customer_data(world.direct, channel_id=str(world.channel.pk)))
    assert (response.status_code, response.url) == (302, "/customers/")
    world.direct.refresh_from_db()
    assert world.direct.channel == world.channel
    attached = AuditEvent.objects.get(action="customer.changed")
    assert (attached.target_id, attached.changes) == (
        str(world.direct.pk),
        {"old": {"channel_id": None}, "new": {"channel_id": str(world.channel.pk)}},
    )
    assert "Customer Adatum Corp was saved." in visible_text(ops.get("/customers/"))

    response = ops.post(url, customer_data(world.direct, channel_id=""))
    assert response.status_code == 302
    world.direct.refresh_from_db()
    assert world.direct.channel is None
    detached = AuditEvent.objects.filter(action="customer.changed").first()
    assert detached.changes == {
        "old": {"channel_id": str(world.channel.pk)},
        "new": {"channel_id": None},
    }


def test_a_full_channel_takes_no_more_customers(world):
    world.channel.max_customers = 1
    world.channel.save()
    before = state()
    response = world.client("provider admin").post(
        f"/customers/{world.direct.pk}/edit/",
        customer_data(world.direct, channel_id=str(world.channel.pk)),
    )
    assert response.status_code == 422
    assert field_errors(response, "channel_id") == [
        "The channel Reseller East is full: its limit is 1 customer."
    ]
    assert state() == before


def test_another_providers_channel_reads_as_unknown(world):
    before = state()
    response = world.client("provider admin").post(
        f"/customers/{world.direct.pk}/edit/",
        customer_data(world.direct, channel_id=str(world.other_channel.pk)),
    )
    assert response.status_code == 422
    assert field_errors(response, "channel_id") == [
        f"Select a valid choice. {world.other_channel.pk} is not one of the available choices."
    ]
    assert state() == before


@pytest.mark.parametrize(
    "changes,field,message",
    [
        ({"name": ""}, "name", "Enter a name of at most 200 characters."),
        ({"name": "Adatum Corp"}, "name", "This provider already has a customer with this name."),
        (
            {"azure_tenant_id": "contoso.com"},
            "azure_tenant_id",
            "Enter the tenant ID as a GUID, or leave it empty.",
        ),
        ({"contact_email": "nope"}, "contact_email", "Enter a valid email address."),
        (
            {"country": "ZZ"},
            "country",
            "Enter the country as its ISO 3166 two-letter code, such as GB or US, "
            "or leave it empty.",
        ),
    ],
)
def test_customer_errors_next_to_the_field(world, changes, field, message):
    before = state()
    response = world.client("provider operator").post(
        f"/customers/{world.customer.pk}/edit/", customer_data(world.customer, **changes)
    )
    assert response.status_code == 422
    assert field_errors(response, field) == [message]
    if field != "country":  # a select: the refused value is not one of its options
        assert (input_value(response, field) or "") == changes[field]
    assert state() == before


def test_the_customers_country_is_chosen_from_the_list(world):
    ops = world.client("provider operator")
    url = f"/customers/{world.customer.pk}/edit/"
    form = page_text(ops.get(url))
    assert '<option value="GB">United Kingdom (GB)</option>' in form
    response = ops.post(url, customer_data(world.customer, country="GB"))
    assert response.status_code == 302
    world.customer.refresh_from_db()
    assert world.customer.country == "GB"
    assert AuditEvent.objects.get(action="customer.changed").changes == {
        "old": {"country": ""},
        "new": {"country": "GB"},
    }
    assert '<option value="GB" selected>United Kingdom (GB)</option>' in page_text(ops.get(url))


def test_channel_operator_edits_its_customer_but_not_its_channel(world):
    ops = world.client("channel operator")
    url = f"/customers/{world.customer.pk}/edit/"
    assert 'name="channel_id"' not in page_text(ops.get(url))
    tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
    response = ops.post(url, {"name": "Contoso Group", "azure_tenant_id": tenant, "channel_id": ""})
    assert response.status_code == 302
    world.customer.refresh_from_db()
    assert (world.customer.name, world.customer.azure_tenant_id, world.customer.channel) == (
        "Contoso Group",
        tenant,
        world.channel,  # the ignored channel_id did not detach it
    )
    assert AuditEvent.objects.get(action="customer.changed").changes == {
        "old": {"name": "Contoso Ltd", "azure_tenant_id": ""},
        "new": {"name": "Contoso Group", "azure_tenant_id": tenant},
    }


def test_edit_links_only_for_who_may_edit(world):
    assert "Edit Contoso Ltd" in page_text(world.client("provider operator").get("/customers/"))
    for who in ("provider monitor", "customer admin"):
        assert "Edit Contoso Ltd" not in page_text(world.client(who).get("/customers/"))


def test_navigation_shows_the_pages_an_operator_may_see(world):
    def nav(who: str) -> list[str]:
        body = page_text(world.client(who).get("/customers/"))
        menu = re.search(r'<nav class="sidenav".*?</nav>', body, re.S).group(0)
        return re.findall(r"</span>([^<]+)</a>", menu)

    base = [
        "Dashboard",
        "Customers",
        "Services",
        "Pending Invitations",
        "Connection health",
        "Audit",
    ]
    with_channels = [*base[:2], "Channels", *base[2:]]
    assert nav("system admin") == [*with_channels[:3], "Providers", *with_channels[3:], "Operators"]
    assert nav("system monitor") == [*with_channels[:3], "Providers", *with_channels[3:]]
    assert nav("provider admin") == [*with_channels, "Settings", "Operators"]
    assert nav("provider operator") == with_channels
    assert nav("channel admin") == [*with_channels, "Operators"]
    assert nav("customer operator") == base
    assert nav("customer admin") == [*base, "Operators"]


# --- in a real browser -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_add_a_channel_and_attach_a_customer_in_the_browser(page: Page, live_server, client):
    world = build()
    sign_in(client, world.people["provider admin"])
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page.goto(f"{live_server.url}/customers/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Channels").click()
    expect(page.get_by_role("heading", level=1, name="Channels")).to_be_visible()
    page.get_by_role("link", name="Add channel").first.click()

    page.get_by_label("Name").fill("Reseller West")
    page.get_by_label("Maximum number of customers").fill("none")
    page.get_by_role("button", name="Add channel").click()
    expect(page.get_by_role("alert")).to_contain_text(LIMIT_RULE)
    shoot(page, "channel-add-errors", "wide")
    expect(page.get_by_label("Name")).to_have_value("Reseller West")
    page.get_by_label("Maximum number of customers").fill("1")
    page.get_by_role("button", name="Add channel").click()

    expect(page.get_by_role("status")).to_have_text("Channel Reseller West was added.")
    expect(page.get_by_role("row").filter(has_text="Reseller West")).to_contain_text("0 of 1")
    shoot(page, "channels", "wide")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Customers").click()
    page.get_by_role("link", name="Edit Adatum Corp").click()
    page.get_by_label("Channel").select_option(label="Reseller West")
    page.get_by_role("button", name="Save customer").click()
    expect(page.get_by_role("status")).to_have_text("Customer Adatum Corp was saved.")
    expect(page.get_by_role("row").filter(has_text="Adatum Corp")).to_contain_text("Reseller West")

    # The channel is now full: a second customer is refused next to the field.
    page.get_by_role("link", name="Edit Contoso Ltd").click()
    page.get_by_label("Channel").select_option(label="Reseller West")
    page.get_by_role("button", name="Save customer").click()
    expect(page.locator("#id_channel_id-error")).to_have_text(
        "The channel Reseller West is full: its limit is 1 customer."
    )
    expect(page.get_by_label("Channel")).to_have_attribute("aria-invalid", "true")
    shoot(page, "customer-edit-channel-full", "wide")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Channels").click()
    expect(page.get_by_role("row").filter(has_text="Reseller West")).to_contain_text("1 of 1")
    west = Channel.objects.get(name="Reseller West")
    assert list(west.customers.values_list("name", flat=True)) == ["Adatum Corp"]
    assert Customer.objects.get(name="Contoso Ltd").channel == world.channel

    # The same lists fit a phone's width; the Operators page too.
    page.set_viewport_size({"width": 390, "height": 844})
    shoot(page, "channels", "narrow")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Operators").click()
    expect(page.get_by_role("heading", level=1, name="Operators")).to_be_visible()
    shoot(page, "operators", "narrow")
