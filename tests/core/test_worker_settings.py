"""The worker's timeout and lease come from the environment, and a lease that would hand a
waiting task out twice is refused at start-up."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from onramp.core.config import task_lease_seconds


def test_the_lease_defaults_to_twice_the_timeout_plus_30_seconds(monkeypatch):
    monkeypatch.delenv("ONRAMP_TASK_LEASE_SECONDS", raising=False)
    assert task_lease_seconds(120) == 270
    assert task_lease_seconds(10) == 50


def test_a_lease_longer_than_twice_the_timeout_is_kept(monkeypatch):
    monkeypatch.setenv("ONRAMP_TASK_LEASE_SECONDS", "21")
    assert task_lease_seconds(10) == 21


@pytest.mark.parametrize("lease", ["20", "5"])
def test_a_lease_of_at_most_twice_the_timeout_is_refused(monkeypatch, lease):
    monkeypatch.setenv("ONRAMP_TASK_LEASE_SECONDS", lease)
    with pytest.raises(ImproperlyConfigured) as refused:
        task_lease_seconds(10)
    assert str(refused.value) == (
        "ONRAMP_TASK_LEASE_SECONDS must be more than twice ONRAMP_TASK_TIMEOUT_SECONDS (20), "
        f"got {lease}"
    )
