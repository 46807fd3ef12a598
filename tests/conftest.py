"""Fixtures that stand up real parts: the sandbox cloud over HTTPS, an SMTP server, a browser."""

from __future__ import annotations

import os
import socket
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from onramp.sandbox.runner import SandboxProcess
from tests.clock import PINNED, Clock

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def sandbox_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    """The real ``onramp sandbox`` command, started once for the session on a free port."""
    with SandboxProcess(tmp_path_factory.mktemp("sandbox")) as process:
        yield process


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Every test runs at ``PINNED``: Django's ``timezone.now`` (the product's one "now") reads
    this clock. A module or folder whose product code runs in other processes overrides this
    fixture with ``Clock.wall()``."""
    pinned = Clock(PINNED)
    monkeypatch.setattr("django.utils.timezone.now", pinned.now)
    return pinned


@pytest.fixture
def sandbox(sandbox_process: SandboxProcess, clock: Clock) -> SandboxProcess:
    """The sandbox, emptied before each test, its directory clock at the tests' "now"."""
    sandbox_process.admin.reset()
    if clock.pinned:
        sandbox_process.admin.set_clock(clock.iso())
    return sandbox_process


@pytest.fixture
def microsoft_settings(settings, sandbox: SandboxProcess):
    """Point Onramp's Microsoft endpoints at the sandbox."""
    settings.MICROSOFT_AUTHORITY = sandbox.url
    settings.MICROSOFT_GRAPH = sandbox.graph_url
    settings.MICROSOFT_CA_BUNDLE = sandbox.ca_path
    return settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class SmtpServer:
    host: str
    port: int
    messages: list[Message] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.original_content))
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on a free loopback port, collecting what it receives."""
    server = SmtpServer("127.0.0.1", free_port())
    controller = Controller(server, hostname=server.host, port=server.port)
    controller.start()
    yield server
    controller.stop()


@pytest.fixture
def smtp_settings(settings, smtp_server: SmtpServer):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = smtp_server.host
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    return settings


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's chromium: Playwright's own browser download is unreachable here."""
    profile = Path(tempfile.mkdtemp(prefix="onramp-chromium-"))
    os.environ.setdefault("XDG_CONFIG_HOME", str(profile / "config"))
    os.environ.setdefault("XDG_CACHE_HOME", str(profile / "cache"))
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


# --- domain objects shared by the app tests ---------------------------------------------------

PASSWORD = "correct horse battery staple 42"


@pytest.fixture
def provider(db):
    from onramp.tenancy.models import Provider

    return Provider.objects.create(
        name="Northwind Voice",
        sbc_domain="sbc.northwind.example",
        sbc_domains=["sbc.northwind.example"],
    )


@pytest.fixture
def customer(provider):
    from onramp.tenancy.models import Customer

    return Customer.objects.create(provider=provider, name="Contoso Ltd")


@pytest.fixture
def operator(provider):
    from onramp.accounts.models import Operator

    return Operator.objects.create_user(
        "ops@northwind.example", PASSWORD, role="operator", scope="provider", provider=provider
    )


@pytest.fixture
def actor(operator):
    from onramp.core.actors import Actor

    return Actor.for_operator(operator)


@pytest.fixture
def m365_tenant(sandbox, microsoft_settings):
    """A customer tenant in the sandbox with a fully permitted app registration and a secret."""
    from tests.m365.conftest import make_tenant

    return make_tenant(sandbox)
