"""Real processes: every ``onramp`` command runs as ``python -m onramp.cli`` against a database
the test process shares with it — a migrated SQLite file, or the PostgreSQL test database."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import requests

from tests.clock import Clock

ROOT = Path(__file__).resolve().parents[2]
ONRAMP = [sys.executable, "-m", "onramp.cli"]


@pytest.fixture
def clock() -> Clock:
    """The product runs in processes of their own here, on the wall clock: no in-process pin."""
    return Clock.wall()


def wait_for(predicate: Callable[[], object], timeout: float = 60.0, interval: float = 0.2):
    """The predicate's first truthy value; fails the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting after {timeout} s")
        time.sleep(interval)


def http() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no proxy between the test and the servers it started
    return session


def descendants(pid: int) -> set[int]:
    """Every process below ``pid``, from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            parents.setdefault(parent, []).append(int(entry.name))
    found: set[int] = set()
    pending = [pid]
    while pending:
        for child in parents.get(pending.pop(), []):
            if child not in found:
                found.add(child)
                pending.append(child)
    return found


def alive(pid: int) -> bool:
    """True while the process exists and is not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


class Database:
    """The database shared with the processes under test, and a way to act on it from outside."""

    def __init__(self, url: str, tmp_path: Path) -> None:
        self.url = url
        self.env = os.environ | {"ONRAMP_DATABASE_URL": url, "HOME": str(tmp_path)}

    def onramp(self, *args: str, stdin: str | None = None, **env: str):
        return subprocess.run(
            [*ONRAMP, *args],
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
            env=self.env | env,
            cwd=ROOT,
        )

    def scenario(self, action: str, *args: str, **env: str) -> dict:
        result = subprocess.run(
            [sys.executable, "-m", "tests.cli.scenario", action, *args],
            capture_output=True,
            text=True,
            timeout=60,
            env=self.env | env,
            cwd=ROOT,
        )
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """One migrated SQLite database per session, copied for each test."""
    path = tmp_path_factory.mktemp("template") / "onramp.sqlite3"
    env = os.environ | {"ONRAMP_DATABASE_URL": f"sqlite:///{path}"}
    result = subprocess.run(
        [*ONRAMP, "migrate", "--verbosity", "0"], capture_output=True, text=True, env=env
    )
    assert (result.returncode, result.stderr) == (0, "")
    return path


@pytest.fixture
def database(request, tmp_path, transactional_db) -> Database:
    """The test database pytest-django made (data committed, flushed after the test); an
    in-memory SQLite test database cannot be shared, so then a migrated copy stands in."""
    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        if connection.is_in_memory_db():
            path = tmp_path / "onramp.sqlite3"
            shutil.copy(request.getfixturevalue("sqlite_template"), path)
        else:
            path = Path(db["NAME"]).resolve()
        return Database(f"sqlite:///{path}", tmp_path)
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    return Database(f"postgres://{credentials}@{host}/{db['NAME']}", tmp_path)


class Background:
    """A long-running ``onramp`` command, its output collected in a file."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self._out = open(log, "wb")
        self.process = subprocess.Popen(
            [*ONRAMP, *args],
            stdin=subprocess.DEVNULL,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=ROOT,
            process_group=0,
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=timeout)
        finally:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)  # whatever is left, if anything
            except ProcessLookupError:
                pass
            self.process.wait()
            self._out.close()


@pytest.fixture
def background(tmp_path) -> Iterator[Callable[..., Background]]:
    started: list[Background] = []

    def start(args: list[str], env: dict[str, str], name: str = "process") -> Background:
        process = Background(args, env, tmp_path / f"{name}-{len(started)}.log")
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()
