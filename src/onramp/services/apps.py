from django.apps import AppConfig


class ServicesConfig(AppConfig):
    name = "onramp.services"
    label = "services"
    verbose_name = "Direct Routing services"
