"""The process: its SANDBOX line, persistence across restarts, reset, keep-alive, concurrency."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from onramp.sandbox.admin import SandboxAdmin

from .conftest import SANDBOX_LINE, running_sandbox


def test_sandbox_line_and_files(tmp_path: Path) -> None:
    with running_sandbox(tmp_path / "data") as (_, ca_path, line):
        match = SANDBOX_LINE.match(line)
        assert match is not None
        assert int(match.group(2)) > 0
        assert ca_path == str((tmp_path / "data" / "ca.pem").resolve())
        assert Path(ca_path).read_text().startswith("-----BEGIN CERTIFICATE-----")


def test_state_and_certificates_survive_a_restart(tmp_path: Path) -> None:
    with running_sandbox(tmp_path) as (url, ca_path, _):
        ca_before = Path(ca_path).read_bytes()
        admin = SandboxAdmin(url, ca_path)
        tenant = admin.create_tenant("Persistent", domains=["persistent.example"])
        app = admin.create_application(tenant["tenant_id"], "app")
        secret = admin.add_secret(tenant["tenant_id"], app["app_id"])
    with running_sandbox(tmp_path) as (url, ca_path, _):
        assert Path(ca_path).read_bytes() == ca_before
        session = requests.Session()
        session.trust_env = False
        session.verify = ca_path
        response = session.post(
            f"{url}/persistent.example/oauth2/v2.0/token",
            data={
                "grant_type": "client_credentials",
                "client_id": app["app_id"],
                "client_secret": secret["secret_text"],
                "scope": "https://graph.microsoft.com/.default",
            },
        )
        assert response.status_code == 200


def test_reset_forgets_everything(tmp_path: Path) -> None:
    with running_sandbox(tmp_path) as (url, ca_path, _):
        admin = SandboxAdmin(url, ca_path)
        tenant = admin.create_tenant("Gone Soon")
        admin.set_faults(latency_ms=1)
        admin.session.get(f"{url}/{tenant['tenant_id']}/v2.0/.well-known/openid-configuration")
        assert len(admin.requests_served()) == 1
        admin.reset()
        assert admin.requests_served() == []
        assert admin.session.get(f"{url}/_sandbox/faults").json()["latency_ms"] == 0
        response = admin.session.get(
            f"{url}/{tenant['tenant_id']}/v2.0/.well-known/openid-configuration"
        )
        assert response.json()["error_codes"] == [90002]


def test_keep_alive_reuses_one_connection(sandbox_server: tuple[str, str]) -> None:
    session = requests.Session()
    session.trust_env = False
    session.verify = sandbox_server[1]
    url = f"{sandbox_server[0]}/common/discovery/instance"
    sockets = set()
    for _ in range(5):
        response = session.get(url, stream=True)
        sockets.add(id(response.raw.connection.sock))
        assert response.headers["Content-Length"] == str(len(response.content))
    assert len(sockets) == 1


def test_64_concurrent_keep_alive_clients(sandbox_server: tuple[str, str]) -> None:
    def client(_: int) -> list[int]:
        session = requests.Session()
        session.trust_env = False
        session.verify = sandbox_server[1]
        return [
            session.get(f"{sandbox_server[0]}/common/discovery/instance").status_code
            for _ in range(10)
        ]

    with ThreadPoolExecutor(64) as pool:
        results = [status for statuses in pool.map(client, range(64)) for status in statuses]
    assert results == [200] * 640


def test_sigint_stops_cleanly_and_bad_port_fails(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "onramp.sandbox", "--port", "0", "--data-dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().startswith("SANDBOX https://127.0.0.1:")
    process.send_signal(2)
    assert process.wait(timeout=10) == 0
    failed = subprocess.run(
        [
            sys.executable,
            "-m",
            "onramp.sandbox",
            "--port",
            "1",
            "--host",
            "192.0.2.1",
            "--data-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert failed.returncode == 1
    assert failed.stdout == ""
    assert failed.stderr.startswith("onramp sandbox: ")
    assert failed.stderr.count("\n") == 1
