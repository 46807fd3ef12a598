from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "onramp.core"
    label = "core"

    def ready(self) -> None:
        from onramp.core import checks  # noqa: F401  (registers the deployment checks)
