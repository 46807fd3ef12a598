"""What a step is given and what it answers (DESIGN "Step machines"): shared by the steps and
the driver."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from onramp.directrouting.models import Provisioning, ProvisioningStep, StepStatus
from onramp.tenancy.models import Provider


@dataclass(frozen=True)
class StepContext:
    run: Provisioning
    step: ProvisioningStep
    provider: Provider
    now: datetime


@dataclass(frozen=True)
class Outcome:
    """What a step found: ``done``, ``waiting`` (look again in ``retry_in``), ``failed`` with
    ``transient`` (retried with backoff, at least ``retry_in``) or not (stopped: the message
    says what the operator must do)."""

    status: StepStatus
    message: str
    detail: dict[str, Any] = field(default_factory=dict)
    transient: bool = False
    retry_in: timedelta | None = None

    @classmethod
    def done(cls, message: str, **detail: Any) -> Outcome:
        return cls(StepStatus.DONE, message, detail)

    @classmethod
    def skipped(cls, message: str) -> Outcome:
        return cls(StepStatus.SKIPPED, message)

    @classmethod
    def waiting(cls, message: str, retry_in: timedelta, **detail: Any) -> Outcome:
        return cls(StepStatus.WAITING, message, detail, retry_in=retry_in)

    @classmethod
    def retry(cls, message: str, retry_in: timedelta | None = None) -> Outcome:
        return cls(StepStatus.FAILED, message, transient=True, retry_in=retry_in)

    @classmethod
    def fail(cls, message: str, **detail: Any) -> Outcome:
        return cls(StepStatus.FAILED, message, detail)


SCRIPT_WAIT = timedelta(hours=6)  # the operator's confirmation makes the step due at once


def script_confirmed(confirmed: datetime | None, waiting: str, script: str) -> Outcome:
    """A step for a Teams PowerShell script: waiting (``waiting`` says what to do) until an
    operator confirms that ``script`` ran."""
    if confirmed is None:
        return Outcome.waiting(waiting, SCRIPT_WAIT)
    return Outcome.done(f"An operator confirmed the {script} ran ({confirmed:%Y-%m-%d %H:%M} UTC).")
