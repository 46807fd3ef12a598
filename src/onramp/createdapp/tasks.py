"""Worker tasks: thin, they take ids (never tokens) and call one service."""

from __future__ import annotations

from onramp.createdapp.machine import creation_step_run
from onramp.createdapp.services import creation_sweep


def run_step(creation_id: str, name: str) -> None:
    creation_step_run(creation_id=creation_id, name=name)


def sweep() -> None:
    creation_sweep()
