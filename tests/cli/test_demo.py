"""``onramp demo``: one command brings up web, worker, sandbox and mailbox; Ctrl-C ends them all."""

from __future__ import annotations

import html
import os
import re
import signal
import socket
import stat
import subprocess
import sys
from pathlib import Path
from urllib.parse import urljoin

import pytest

from tests.cli.conftest import ONRAMP, ROOT, alive, descendants, http, wait_for
from tests.conftest import free_port

FIELDS = {
    "url": r"Onramp demo is running at (http://127\.0\.0\.1:\d+)/",
    "email": r"Email: +(\S+)",
    "password": r"Password: +(\S+)",
    "tenant_id": r"Tenant ID: +([0-9a-f-]{36})",
    "client_id": r"Client ID: +([0-9a-f-]{36})",
    "client_secret": r"Client secret: +(\S+)",
    "admin_upn": r"Username: +(\S+)",
    "admin_password": r"Admin password: +(\S+)",
    "sandbox_ca": r"own CA \((\S+)\)",
}


class Demo:
    def __init__(self, data_dir: Path, port: int, log: Path) -> None:
        self.log = log
        self._out = open(log, "wb")
        self.process = subprocess.Popen(
            [*ONRAMP, "demo", "--port", str(port), "--data-dir", str(data_dir)],
            stdin=subprocess.DEVNULL,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            env={k: v for k, v in os.environ.items() if not k.startswith("ONRAMP_")},
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_ready(self) -> dict[str, str]:
        def ready():
            assert self.process.poll() is None, self.output()
            return "Press Ctrl-C to stop." in self.output()

        wait_for(ready, timeout=60)  # ~5 s on an idle machine; generous for a loaded one
        out = self.output()
        return {name: re.search(pattern, out).group(1) for name, pattern in FIELDS.items()}

    def stop(self) -> tuple[int, set[int]]:
        tree = descendants(self.process.pid)
        self.process.send_signal(signal.SIGINT)
        code = self.process.wait(timeout=30)
        self._out.close()
        return code, tree


@pytest.fixture
def start_demo(tmp_path):
    demos: list[Demo] = []

    def start(data_dir: Path, port: int) -> Demo:
        demo = Demo(data_dir, port, tmp_path / f"demo-{len(demos)}.log")
        demos.append(demo)
        return demo

    yield start
    for demo in demos:
        if demo.process.poll() is None:
            for pid in descendants(demo.process.pid):
                os.kill(pid, signal.SIGKILL)
            demo.process.kill()
            demo.process.wait()


def sign_in(session, url: str, email: str, password: str) -> None:
    """Through the login page when it exists (another part of the product)."""
    page = session.get(f"{url}/login", timeout=10)
    if page.status_code == 404:
        return
    assert page.status_code == 200
    field = "email" if 'name="email"' in page.text else "username"
    response = session.post(
        f"{url}/login",
        data={
            field: email,
            "password": password,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        headers={"Referer": f"{url}/login"},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, response.text
    services = session.get(f"{url}/services", timeout=10)
    # Signed in for good: the demo operator is not sent to set up a second factor.
    assert (services.status_code, services.url.rstrip("/")) == (200, f"{url}/services")


def hidden_inputs(page: str) -> dict[str, str]:
    fields = {}
    for tag in re.findall(r"<input[^>]*>", page):
        attrs = dict(re.findall(r'([a-z_-]+)="([^"]*)"', tag))
        if attrs.get("type") == "hidden" and "name" in attrs:
            fields[attrs["name"]] = html.unescape(attrs.get("value", ""))
    return fields


def authenticate_in_wizard(session, link: str, shown: dict[str, str]) -> None:
    """The customer admin's part (CONTRACT.md §5) with the credentials the demo printed: proof
    that the sandbox tenant is seeded right and the web server is pointed at the sandbox."""
    landing = session.get(link, timeout=10)
    assert landing.status_code == 200
    choose = re.search(r'<a[^>]*href="([^"]*)"[^>]*>\s*Use App Registration\s*</a>', landing.text)
    form = (
        session.get(urljoin(link, html.unescape(choose.group(1))), timeout=10)
        if choose
        else landing
    )
    assert 'name="client_secret"' in form.text
    result = session.post(
        link,
        data=hidden_inputs(form.text)
        | {
            "tenant_id": shown["tenant_id"],
            "client_id": shown["client_id"],
            "client_secret": shown["client_secret"],
        },
        headers={"Referer": link},
        timeout=60,
    )
    assert result.status_code == 200
    assert "The application registration is valid" in result.text
    assert shown["client_secret"] not in result.text


def create_app_in_wizard(session, link: str, shown: dict[str, str]) -> None:
    """Create the app registration for me, as the printed Global Administrator: proof that the
    demo's sign-in app is registered and the worker and web server use it."""
    from tests.sandbox.flows import answer_consent, sign_in

    session.verify = shown["sandbox_ca"]  # the sandbox's pages; Onramp's are plain HTTP
    name_page = session.get(f"{link}?method=created-app", timeout=10)
    assert "Sign in with Microsoft" in name_page.text
    started = session.post(
        link,
        data=hidden_inputs(name_page.text) | {"app_name": "Demo connector"},
        headers={"Referer": link},
        allow_redirects=False,
        timeout=30,
    )
    assert started.status_code == 302, started.text
    page = sign_in(
        session,
        session.get(started.headers["Location"]),
        shown["admin_upn"],
        shown["admin_password"],
    )
    back = answer_consent(session, page)
    review = session.get(back.headers["Location"], timeout=30)
    assert "Create the app registration" in review.text, review.text
    session.post(
        review.url, data=hidden_inputs(review.text), headers={"Referer": review.url}, timeout=30
    )
    wait_for(
        lambda: "The application registration is valid" in session.get(review.url, timeout=10).text,
        timeout=60,
    )


def test_demo_runs_everything_and_stops_cleanly(tmp_path, start_demo):
    data_dir, port = tmp_path / "demo", free_port()
    demo = start_demo(data_dir, port)
    shown = demo.wait_ready()
    url = f"http://127.0.0.1:{port}"
    assert shown["url"] == url and shown["email"] == "demo@onramp.example"
    for private in ("keys.env", "demo.json"):
        assert stat.S_IMODE((data_dir / private).stat().st_mode) == 0o600

    session = http()
    assert session.get(f"{url}/healthz", timeout=10).json() == {"status": "ok"}
    # The mailbox holds live links: not signed in, the demo sends to sign-in.
    anonymous = session.get(f"{url}/sandbox/mailbox", timeout=10, allow_redirects=False)
    assert (anonymous.status_code, anonymous.headers["Location"]) == (
        302,
        "/login?next=/sandbox/mailbox",
    )
    sign_in(session, url, shown["email"], shown["password"])
    mailbox = session.get(f"{url}/sandbox/mailbox", timeout=10)
    assert mailbox.status_code == 200
    assert '<a href="/sandbox/mailbox" aria-current="page">' in mailbox.text

    # An invitation for the demo customer travels through the demo's worker into its mailbox.
    keys = dict(
        line.split("=", 1)
        for line in (data_dir / "keys.env").read_text().splitlines()
        if "=" in line
    )
    env = (
        os.environ
        | keys
        | {
            "ONRAMP_DATABASE_URL": f"sqlite:///{data_dir / 'onramp.sqlite3'}",
            "ONRAMP_PUBLIC_URL": url,
        }
    )
    invited = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.cli.scenario",
            "invite",
            "admin@contoso-demo.example",
            "Contoso Demo",
            "demo@onramp.example",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
    )
    assert invited.returncode == 0, invited.stderr
    link = re.search(r'"link": "([^"]+)"', invited.stdout).group(1)
    assert link.startswith(f"{url}/invite/")
    listing = wait_for(
        lambda: (
            (page := session.get(f"{url}/sandbox/mailbox", timeout=10).text)
            and "1 message, newest first." in page
            and page
        )
    )
    message_path = re.search(r'href="(/sandbox/mailbox/[^"]+)"', listing).group(1)
    message = session.get(f"{url}{message_path}", timeout=10)
    assert f'<a href="{link}"' in message.text
    authenticate_in_wizard(session, link, shown)
    create_app_in_wizard(session, link, shown)
    assert link.rsplit("/", 1)[1] not in (data_dir / "logs" / "web.log").read_text()

    code, tree = demo.stop()
    assert code == 0
    assert len(tree) >= 3 + 2 + 4  # sandbox, worker, web server; 2 web workers; the cluster
    wait_for(lambda: not [pid for pid in tree if alive(pid)], timeout=10)

    # A restart keeps the data and prints the same credentials.
    again = start_demo(data_dir, port)
    assert again.wait_ready() == shown
    assert "1 message, newest first." in session.get(f"{url}/sandbox/mailbox", timeout=10).text
    code, tree = again.stop()
    assert code == 0
    wait_for(lambda: not [pid for pid in tree if alive(pid)], timeout=10)


def test_demo_refuses_a_port_in_use(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [*ONRAMP, "demo", "--port", str(port), "--data-dir", str(tmp_path / "demo")],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
        )
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        f"onramp demo: port {port} is already in use (choose another with --port)\n"
    )
    assert not (tmp_path / "demo").exists()


def test_demo_bad_option_is_one_line(tmp_path):
    result = subprocess.run(
        [*ONRAMP, "demo", "--port", "eighty"], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "onramp demo: argument --port: invalid int value: 'eighty'\n"
