"""README "Try it", followed literally in a real browser: the first steps name every required
field of Add Service and say the invitation method is already selected (issue 10). And the
demo's port from make: ``make demo PORT=8100``."""

from __future__ import annotations

import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
from playwright.sync_api import Page, expect

from onramp.invitations.models import Invitation
from onramp.ops.demo.banner import banner
from onramp.ops.demo.seed import AppRegistration, Login, SignIn
from onramp.services.forms import DirectRoutingForm
from onramp.tenancy.models import Customer
from tests.pages.browser import shoot
from tests.pages.test_accessibility import signed_in

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()

STEP_1 = """\
1. Sign in with the printed email and password, open **Services**, click **Add Service**, then
   **Direct Routing**; choose **Contoso Demo** as the **Customer** and click **Next**."""
STEP_2 = """\
2. Fill in **Unique short name of service** (for example `Contoso-01`: 3 to 15 characters, no
   spaces), choose a **License type** (for example **Hosted Pro**) and enter the **Number of
   licensed users** (for example `25`). **Send link to IT administrator for authentication** is
   already selected: enter any **Admin email** (for example `admin@contoso.example`) and click
   **Next**."""


def test_readme_names_every_required_field_of_add_service():
    assert STEP_1 in README and STEP_2 in README
    form = DirectRoutingForm()
    for name in form.required_fields:
        if name != "method":  # chosen for the admin already: the step says so
            assert f"**{form.fields[name].label}**" in " ".join(STEP_2.split()), name
    assert "tick" not in README.split("## Try it", 1)[1].split("## ", 1)[0]


def test_the_demo_prints_the_same_first_steps(tmp_path):
    login = Login(email="demo@onramp.example", password="pw")
    registration = AppRegistration(
        tenant_id="t",
        default_domain="contosodemo.onmicrosoft.com",
        client_id="c",
        client_secret="s",
        expires_at="2027-06-15T00:00:00Z",
    )
    sign_in = SignIn("c2", "s2", "admin@contosodemo.onmicrosoft.com", "pw2", "t2")
    sandbox = SimpleNamespace(url="https://127.0.0.1:8443", ca_path=str(tmp_path / "ca.pem"))
    shown = banner("http://127.0.0.1:8000", login, registration, tmp_path, sign_in, sandbox)
    text = " ".join(shown.split())
    assert (
        '1. Sign in, open Services > Add Service > Direct Routing, choose "Contoso Demo", Next. '
        '2. Fill in "Unique short name of service" (e.g. Contoso-01), a "License type" and the '
        '"Number of licensed users"; "Send link to IT administrator for authentication" is '
        'already selected: enter any "Admin email", Next. '
        "3. Open the mailbox: http://127.0.0.1:8000/sandbox/mailbox (Demo mailbox in the "
        "navigation)."
    ) in text


@pytest.mark.django_db(transaction=True)
def test_following_the_first_steps_literally_creates_the_invitation(
    page: Page, live_server, operator, provider
):
    Customer.objects.create(provider=provider, name="Contoso Demo")
    signed_in(page.context, live_server, operator)
    page.goto(f"{live_server.url}/")
    # Step 1
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Services").click()
    page.get_by_role("link", name="Add Service").first.click()
    page.get_by_role("link", name="Direct Routing").click()
    page.get_by_label("Customer").select_option(label="Contoso Demo")
    page.get_by_role("button", name="Next").click()
    # Step 2
    page.get_by_label("Unique short name of service").fill("Contoso-01")
    page.get_by_label("Hosted Pro").check()
    page.get_by_label("Number of licensed users").fill("25")
    expect(page.get_by_label("Send link to IT administrator for authentication")).to_be_checked()
    page.get_by_label("Admin email").fill("admin@contoso.example")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Service Contoso-01 was created")).to_be_visible()
    assert Invitation.objects.get().admin_email == "admin@contoso.example"
    shoot(page, "try-it-step-2-done", "wide")


@pytest.mark.parametrize(("args", "port"), [((), "8000"), (("PORT=8100",), "8100")])
def test_make_demo_takes_a_port(args, port):
    dry_run = subprocess.run(
        ["make", "--no-print-directory", "--dry-run", "--always-make", "demo", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert dry_run.returncode == 0, dry_run.stderr
    assert dry_run.stdout.splitlines()[-1] == f".venv/bin/onramp demo --port {port}"
