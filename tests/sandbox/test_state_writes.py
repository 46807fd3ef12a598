"""The world's state file is written behind the requests: changes made together reach the disk
in one write within SAVE_DELAY, and `flush` (at shutdown) writes what is left."""

from __future__ import annotations

import json
import time

from onramp.sandbox.state import SAVE_DELAY, World


def _names(path) -> list[str]:
    return [t["display_name"] for t in json.loads(path.read_text())["tenants"]]


def test_changes_reach_the_file_together_and_flush_writes_the_rest(tmp_path) -> None:
    path = tmp_path / "state.json"
    world = World(path)
    for name in ("A", "B", "C"):
        world.create_tenant({"display_name": name})
    deadline = time.monotonic() + SAVE_DELAY + 5
    while not path.exists() or len(_names(path)) < 3:
        assert time.monotonic() < deadline, "the writer thread did not write the state"
        time.sleep(0.02)
    assert _names(path) == ["A", "B", "C"]
    assert path.stat().st_mode & 0o777 == 0o600
    world.create_tenant({"display_name": "D"})
    world.flush()
    assert _names(path) == ["A", "B", "C", "D"]
    assert [t.display_name for t in World(path).tenants.values()] == ["A", "B", "C", "D"]


def test_without_a_data_directory_nothing_is_written(tmp_path) -> None:
    world = World()
    world.create_tenant({"display_name": "A"})
    world.flush()
    assert list(tmp_path.iterdir()) == []
