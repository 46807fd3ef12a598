"""``onramp demo``: the whole product in one process tree, for trying it on one machine.

It runs before Django is loaded: the configuration (keys, database, the sandbox's and the mail
catch-all's addresses) is made here first, then Django is set up in this process (migrations,
demo data) and in the children (``onramp worker``, ``onramp serve``).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import requests

from onramp.ops.demo.banner import banner
from onramp.ops.demo.children import Child, stop_all
from onramp.ops.demo.files import DemoFiles

if TYPE_CHECKING:
    from aiosmtpd.controller import Controller

    from onramp.sandbox.runner import SandboxProcess

READY_TIMEOUT_SECONDS = 60


class DemoError(RuntimeError):
    """Stops the demo with one line on stderr."""


class _Stopped(Exception):
    """Ctrl-C or SIGTERM arrived while starting."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"onramp demo: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="onramp demo",
        description="Run web server, worker, sandbox cloud and a mail catch-all for trying Onramp.",
    )
    parser.add_argument("--port", type=int, default=8000, help="web server port (127.0.0.1)")
    parser.add_argument("--data-dir", type=Path, default=Path("./var/demo"))
    return parser


def port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn binds
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    if not 0 < args.port < 65536:
        print(f"onramp demo: --port must be between 1 and 65535, got {args.port}", file=sys.stderr)
        return 2
    if port_in_use(args.port):
        print(
            f"onramp demo: port {args.port} is already in use (choose another with --port)",
            file=sys.stderr,
        )
        return 1
    demo = Demo(args.data_dir.resolve(), args.port)
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: demo.stopping.set())
    try:
        return demo.run()
    except _Stopped:
        return 0
    except DemoError as exc:
        print(f"onramp demo: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # the one line the command line promises, whatever went wrong
        print(f"onramp demo: {type(exc).__name__}: {exc}".replace("\n", " "), file=sys.stderr)
        return 1
    finally:
        demo.shutdown()


class Demo:
    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir = data_dir
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.stopping = threading.Event()
        self.sandbox: SandboxProcess | None = None
        self.smtp: Controller | None = None
        self.children: list[Child] = []

    def _check(self) -> None:
        if self.stopping.is_set():
            raise _Stopped

    def run(self) -> int:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        files = DemoFiles(self.data_dir)
        mailbox_dir = self.data_dir / "mailbox"
        os.environ.update(files.keys())
        os.environ.update(
            {
                "ONRAMP_DATABASE_URL": f"sqlite:///{self.data_dir / 'onramp.sqlite3'}",
                "ONRAMP_PUBLIC_URL": self.url,
                "ONRAMP_DEMO_MAILBOX_DIR": str(mailbox_dir),
                "DJANGO_SETTINGS_MODULE": "onramp.settings",
            }
        )
        sandbox = self._start_sandbox()
        self._check()
        self._start_mail_catcher(mailbox_dir)
        self._check()
        registration, sign_in, login = self._prepare_database(files, sandbox)
        self._check()
        logs = self.data_dir / "logs"
        self.children.append(Child("worker", ["worker"], logs / "worker.log"))
        self.children.append(
            Child(
                "web server",
                ["serve", "--host", "127.0.0.1", "--port", str(self.port), "--workers", "2"],
                logs / "web.log",
            )
        )
        self._wait_until_ready()
        print(banner(self.url, login, registration, self.data_dir, sign_in, sandbox), flush=True)
        while not self.stopping.wait(0.5):
            self._check_children()
        return 0

    def _start_sandbox(self) -> SandboxProcess:
        from onramp.sandbox.runner import SandboxProcess

        self.sandbox = sandbox = SandboxProcess(self.data_dir / "sandbox")
        os.environ.update(sandbox.onramp_env)
        return sandbox

    def _start_mail_catcher(self, mailbox_dir: Path) -> None:
        from aiosmtpd.controller import Controller

        from onramp.sandbox.mailbox import MailboxHandler

        port = _free_port()
        self.smtp = smtp = Controller(MailboxHandler(mailbox_dir), hostname="127.0.0.1", port=port)
        smtp.start()
        os.environ["ONRAMP_EMAIL_URL"] = f"smtp://127.0.0.1:{port}"

    def _prepare_database(self, files: DemoFiles, sandbox: SandboxProcess):
        import django
        from django.core.exceptions import ImproperlyConfigured
        from django.core.management import call_command
        from django.db import connections

        from onramp.core.logging import install_masking
        from onramp.ops.demo.seed import (
            SeedError,
            demo_data,
            sandbox_registration,
            sandbox_sign_in,
        )

        try:
            django.setup()
        except ImproperlyConfigured as exc:
            raise DemoError(str(exc)) from None
        install_masking()
        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd: a line per command
        call_command("migrate", verbosity=0, interactive=False)
        try:
            registration = sandbox_registration(files, sandbox)
            sign_in = sandbox_sign_in(files, sandbox, registration)
            login = demo_data(files, registration)
        except SeedError as exc:
            raise DemoError(str(exc)) from None
        connections.close_all()
        # The worker and the web server (started next) offer the sign-in with this app.
        os.environ.update(
            {
                "ONRAMP_SIGN_IN_CLIENT_ID": sign_in.client_id,
                "ONRAMP_SIGN_IN_CLIENT_SECRET": sign_in.client_secret,
            }
        )
        return registration, sign_in, login

    def _wait_until_ready(self) -> None:
        session = requests.Session()
        session.trust_env = False  # no proxy between us and our own server
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            self._check()
            self._check_children()
            try:
                if session.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise DemoError(f"the web server did not answer within {READY_TIMEOUT_SECONDS} s")

    def _check_children(self) -> None:
        for child in self.children:
            code = child.exit_code()
            if code is not None:
                raise DemoError(
                    f"the {child.name} stopped unexpectedly (exit code {code}); "
                    f"see {child.log_path}"
                )
        if self.sandbox is not None and self.sandbox.process.poll() is not None:
            time.sleep(0.5)  # a Ctrl-C in the terminal reaches the sandbox too: not a failure
            if not self.stopping.is_set():
                raise DemoError("the sandbox cloud stopped unexpectedly")

    def shutdown(self) -> None:
        """Stop everything we started; children first, while the sandbox still answers them."""
        stop_all(self.children)
        self.children = []
        if self.sandbox is not None:
            if self.sandbox.process.poll() is None:
                self.sandbox.process.terminate()
            try:
                self.sandbox.process.wait(timeout=10)
            except Exception:
                self.sandbox.process.kill()
                self.sandbox.process.wait()
            if self.sandbox.process.stdout is not None:
                self.sandbox.process.stdout.close()
            self.sandbox = None
        if self.smtp is not None:
            self.smtp.stop()
            self.smtp = None
