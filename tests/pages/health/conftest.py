"""The health pages use tests/health's quick builder of active services (real sandbox tenants,
no wizard); it replaces tests/pages' own ``active_service`` in this folder only."""

from tests.health.conftest import active_service  # noqa: F401
