"""The demo's child processes: each in its own process group, its output in a log file.

Stopping follows what the worker needs (research/queues.md): SIGTERM to the main process only,
a grace period, then SIGKILL to the whole group so no grandchild is left behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

GRACE_SECONDS = 10.0


class Child:
    def __init__(self, name: str, onramp_args: list[str], log_path: Path) -> None:
        self.name = name
        self.log_path = log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(log_path, "ab")
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "onramp.cli", *onramp_args],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            process_group=0,  # Ctrl-C in the terminal reaches the demo, which stops us in order
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def exit_code(self) -> int | None:
        return self.process.poll()

    def terminate(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def kill_group(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def close(self) -> None:
        self._log.close()


def stop_all(children: list[Child], grace: float = GRACE_SECONDS) -> None:
    """SIGTERM every main process, wait up to ``grace`` seconds, then SIGKILL what is left."""
    for child in children:
        child.terminate()
    deadline = time.monotonic() + grace
    for child in children:
        try:
            child.process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
    for child in children:
        child.kill_group()  # also reaps grandchildren a graceful stop may have left behind
        child.process.wait()
        child.close()
