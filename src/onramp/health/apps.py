from django.apps import AppConfig


class HealthConfig(AppConfig):
    name = "onramp.health"
    label = "health"
    verbose_name = "Connection health"
