"""Worker tasks: thin, they take ids (never secrets) and call one service."""

from __future__ import annotations

from onramp.directrouting.bulk import bulk_provisioning_run
from onramp.directrouting.decommission import decommission_finish as finish
from onramp.directrouting.decommission import decommission_sweep
from onramp.directrouting.machine import provisioning_step_run
from onramp.directrouting.sweep import provisioning_sweep


def run_step(provisioning_id: str, name: str) -> None:
    provisioning_step_run(provisioning_id=provisioning_id, name=name)


def sweep() -> None:
    provisioning_sweep()
    decommission_sweep()


def decommission_finish(service_id: str) -> None:
    finish(service_id=service_id)


def bulk_provision(job_id: str) -> None:
    bulk_provisioning_run(job_id=job_id)
