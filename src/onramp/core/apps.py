from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "onramp.core"
    label = "core"
