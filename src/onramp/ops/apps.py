from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Running Onramp: the ``onramp`` commands, the demo, key rotation and the periodic jobs.

    It sits above every domain app (it seeds, rotates and schedules across them), so ``core``
    can stay at the bottom importing none.
    """

    name = "onramp.ops"
    label = "ops"
