"""What a newcomer trips over first (issue 10), in a real browser at 1280 and 390 px: Pending
Invitations fits its card, times end their sentence, the favicon loads, the demo mailbox is in
the navigation."""

from __future__ import annotations

from itertools import pairwise

import pytest
from playwright.sync_api import Page, expect

from onramp.core.actors import Actor
from onramp.health.services import validation_job_start
from tests.pages.browser import shoot
from tests.pages.conftest import invite
from tests.pages.test_accessibility import signed_in

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = {"wide": (1280, 900), "narrow": (390, 844)}
LONG_EMAIL = "it-administrator@contoso-international-holdings.example"

# Each table row wider than its card, and each cell whose text broke inside a word.
OVERFLOW = """() => {
    const card = document.querySelector('.table-card');
    const table = card.querySelector('table');
    return {card: card.clientWidth, table: table.scrollWidth,
            wrap: card.querySelector('.table-wrap').scrollWidth};
}"""
CLIPPED = """() => {
    const card = document.querySelector('.table-card').getBoundingClientRect();
    return [...document.querySelectorAll('.table-card .row-actions .btn')]
        .filter(b => { const r = b.getBoundingClientRect();
                       return r.right > card.right || r.left < card.left; })
        .map(b => b.textContent.trim());
}"""
# The text of an element as the lines it is rendered on.
LINES = """element => {
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    const range = document.createRange();
    const lines = [];
    let top = null, line = '';
    for (let text = walker.nextNode(); text; text = walker.nextNode()) {
        for (let i = 0; i < text.length; i++) {
            range.setStart(text, i);
            range.setEnd(text, i + 1);
            const rect = range.getClientRects()[0];
            if (top !== null && rect.top > top + 2) { lines.push(line); line = ''; }
            top = rect.top;
            line += text.data[i];
        }
    }
    lines.push(line);
    return lines;
}"""


@pytest.fixture(params=list(WIDTHS))
def width(request, page: Page) -> str:
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[request.param], strict=True)))
    return request.param


def test_pending_invitations_fit_their_card(
    page: Page, live_server, operator, customer, authenticated, width
):
    invite(
        customer,
        short_name="Contoso-02",
        admin_email=LONG_EMAIL,
        actor=Actor.for_operator(operator),
    )
    signed_in(page.context, live_server, operator)
    page.goto(f"{live_server.url}/invitations/")
    sizes = page.evaluate(OVERFLOW)
    assert sizes["table"] <= sizes["card"], sizes
    assert sizes["wrap"] <= sizes["card"], sizes
    assert page.evaluate(CLIPPED) == []
    for name in ("Contoso-01", "Contoso-02"):
        expect(page.get_by_role("link", name=f"Delete service {name}")).to_be_visible()

    email = page.locator("td.cell-email", has_text=LONG_EMAIL)
    lines = email.evaluate(LINES)
    assert "".join(lines) == LONG_EMAIL
    # Broken only after the @ or a hyphen or before a dot, never inside a word.
    for line, following in pairwise(lines):
        assert line.endswith(("@", "-")) or following.startswith("."), lines

    row_yes = page.locator("tr", has_text="Contoso-01")
    row_no = page.locator("tr", has_text="Contoso-02")
    device = 'td[data-label="Device Authenticated"] .badge'
    expect(row_yes.locator(device)).to_have_text("Yes")
    expect(row_yes.locator(device)).to_have_attribute("data-status", "authenticated")
    expect(row_no.locator(device)).to_have_text("No")
    expect(row_no.locator(device)).to_have_attribute("data-status", "not-authenticated")
    for row in (row_yes, row_no):
        expect(row.locator('td[data-label="Device Authenticated"] [title]')).to_have_attribute(
            "title", "Device Authenticated: the admin handed over working credentials"
        )
    shoot(page, "invitations-fit", width)


def test_the_demo_mailbox_is_in_the_navigation_for_signed_in_operators(
    page: Page, live_server, operator, settings, tmp_path, width
):
    settings.DEMO_MAILBOX_DIR = str(tmp_path / "mailbox")
    page.goto(f"{live_server.url}/sandbox/mailbox")
    expect(page).to_have_url(f"{live_server.url}/login?next=/sandbox/mailbox")
    signed_in(page.context, live_server, operator)
    page.goto(f"{live_server.url}/services/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Demo mailbox").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Demo mailbox")
    expect(page.get_by_role("link", name="Demo mailbox")).to_have_attribute("aria-current", "page")
    shoot(page, "demo-mailbox", width)


def test_times_end_their_sentence_and_the_favicon_loads(page: Page, live_server, operator, width):
    """ "It expires in 2 months, 4 weeks." — no space before the period — on every page with a
    time inside a sentence; and no page load asks for a file that is not there."""
    missing = []
    page.on("response", lambda r: missing.append(r.url) if r.status >= 400 else None)
    signed_in(page.context, live_server, operator)
    page.goto(f"{live_server.url}/account/")
    page.get_by_label("Name").fill("ci")
    page.get_by_role("button", name="Create token").click()
    expect(page.locator(".once p").first).to_have_text(
        "Use it as Authorization: Bearer …. It expires in 2 months, 4 weeks."
    )
    job = validation_job_start(operator=operator, scope="all", target_id=None)
    page.goto(f"{live_server.url}/health/jobs/{job.pk}/")
    expect(page.locator(".page-head__sub")).to_have_text(
        "Re-validates every active service of the provider with Microsoft. "
        "Started by ops@northwind.example just now."
    )
    icon = page.locator('link[rel="icon"]')
    expect(icon).to_have_attribute("href", "/static/onramp/favicon.svg")
    assert (
        page.request.get(f"{live_server.url}/static/onramp/favicon.svg").headers["content-type"]
        == "image/svg+xml"
    )
    page.goto(f"{live_server.url}/invite/{'x' * 43}")  # the public wizard's frame
    expect(page.locator('link[rel="icon"]')).to_have_attribute("href", "/static/onramp/favicon.svg")
    assert [url for url in missing if not url.startswith(f"{live_server.url}/invite/")] == []
