"""Start ``onramp sandbox`` as a child process: for the demo, the tests and the benchmarks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from onramp.sandbox.admin import SandboxAdmin


class SandboxProcess:
    """A running sandbox: its URL, its CA file and an admin client."""

    def __init__(self, data_dir: Path | str, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [
                sys.executable,
                "-m",
                "onramp.sandbox",
                "--host",
                host,
                "--port",
                str(port),
                "--data-dir",
                str(data_dir),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.line = self.process.stdout.readline()
        if not self.line.startswith("SANDBOX "):
            self.process.kill()
            raise RuntimeError(f"the sandbox did not start (first line: {self.line!r})")
        _, self.url, ca = self.line.split()
        self.ca_path = ca.removeprefix("CA=")
        self.admin = SandboxAdmin(self.url, self.ca_path)

    @property
    def graph_url(self) -> str:
        return f"{self.url}/graph"

    @property
    def onramp_env(self) -> dict[str, str]:
        """The environment that points an Onramp process's Microsoft endpoints here."""
        return {
            "ONRAMP_MICROSOFT_AUTHORITY": self.url,
            "ONRAMP_MICROSOFT_GRAPH": self.graph_url,
            "ONRAMP_MICROSOFT_CA_BUNDLE": self.ca_path,
        }

    def stop(self) -> int:
        self.process.terminate()
        return self.process.wait(timeout=10)

    def __enter__(self) -> SandboxProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
