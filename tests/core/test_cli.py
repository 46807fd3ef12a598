"""The ``onramp`` console script, run as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import requests

from tests.conftest import free_port

ONRAMP = [sys.executable, "-m", "onramp.cli"]


def run(args, env=None, **kwargs):
    return subprocess.run(
        [*ONRAMP, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env or os.environ.copy(),
        **kwargs,
    )


def bare_env(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONRAMP_")}
    env.update(extra)
    return env


def test_help_lists_the_commands():
    result = run(["help"])
    assert result.returncode == 0
    for command in ("serve", "migrate", "sandbox", "generate-key"):
        assert f"\n  {command} " in result.stdout


def test_unknown_command_is_one_line_on_stderr():
    result = run(["frobnicate"])
    assert result.returncode == 2
    assert result.stderr == "onramp: unknown command 'frobnicate' (see: onramp help)\n"
    assert result.stdout == ""


def test_missing_required_variable_names_it(tmp_path):
    result = run(["migrate"], env=bare_env(tmp_path))
    assert result.returncode == 2
    assert result.stderr == (
        "onramp: ONRAMP_SECRET_KEY is required: the Django secret key (any long random string)\n"
    )


def test_generate_key_prints_only_a_fernet_key(tmp_path):
    result = run(["generate-key"], env=bare_env(tmp_path))
    assert result.returncode == 0
    assert len(result.stdout.strip()) == 44 and result.stdout.count("\n") == 1


def test_bad_option_is_one_line_on_stderr(tmp_path):
    result = run(["serve", "--port", "0"])
    assert result.returncode == 1
    assert result.stderr == "onramp serve: --port must be between 1 and 65535, got 0\n"
    result = run(["serve", "--threads", "0"])
    assert result.returncode == 1
    assert result.stderr == "onramp serve: --threads must be at least 1, got 0\n"


def test_migrate_then_serve_answers(tmp_path):
    env = os.environ | {
        "ONRAMP_DATABASE_URL": f"sqlite:///{tmp_path}/onramp.sqlite3",
        "HOME": str(tmp_path),
    }
    migrated = run(["migrate", "--verbosity", "0"], env=env)
    assert (migrated.returncode, migrated.stderr) == (0, "")
    port = free_port()
    server = subprocess.Popen(
        [*ONRAMP, "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # Connecting is retried while gunicorn boots; the first answer may be slow on a busy
        # machine (the worker imports Django on its first request), so reads wait longer.
        response = None
        deadline = time.monotonic() + 60
        while response is None and time.monotonic() < deadline:
            try:
                response = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=(2, 30))
            except requests.ConnectionError:
                time.sleep(0.1)
        assert response is not None
        assert (response.status_code, response.json()) == (200, {"status": "ok"})
        css = requests.get(f"http://127.0.0.1:{port}/static/onramp/onramp.css", timeout=(2, 30))
        assert css.status_code == 200 and "--accent" in css.text
    finally:
        server.terminate()
        server.wait(timeout=10)
