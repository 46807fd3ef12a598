"""What ``onramp demo`` keeps in its data directory between runs (private files, mode 0600).

``keys.env``: the Django secret key and the encryption key of this demo's database (source it to
run other ``onramp`` commands against the demo). ``demo.json``: the demo login and the sandbox
app-registration credentials, so a restart prints the same ones.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

KEY_NAMES = ("ONRAMP_SECRET_KEY", "ONRAMP_ENCRYPTION_KEYS")


def write_private(path: Path, text: str) -> None:
    """Replace ``path`` atomically with a file only its owner can read."""
    partial = path.with_name(f".{path.name}.tmp")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(text)
    os.replace(partial, path)


class DemoFiles:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.keys_path = data_dir / "keys.env"
        self.state_path = data_dir / "demo.json"

    def keys(self) -> dict[str, str]:
        """The demo's keys, generated on the first run."""
        values: dict[str, str] = {}
        if self.keys_path.is_file():
            for line in self.keys_path.read_text(encoding="utf-8").splitlines():
                name, sep, value = line.partition("=")
                if sep and name.strip() in KEY_NAMES:
                    values[name.strip()] = value.strip()
        if all(values.get(name) for name in KEY_NAMES):
            return values
        from cryptography.fernet import Fernet

        values = {
            "ONRAMP_SECRET_KEY": secrets.token_urlsafe(50),
            "ONRAMP_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        }
        lines = ["# Keys of this `onramp demo` database. Keep this file private."]
        lines += [f"{name}={values[name]}" for name in KEY_NAMES]
        write_private(self.keys_path, "\n".join(lines) + "\n")
        return values

    def remembered(self) -> dict[str, Any]:
        if not self.state_path.is_file():
            return {}
        return json.loads(self.state_path.read_text(encoding="utf-8"))

    def remember(self, **entries: Any) -> None:
        state = self.remembered() | entries
        write_private(self.state_path, json.dumps(state, indent=2) + "\n")
