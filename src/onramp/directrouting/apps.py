from django.apps import AppConfig


class DirectRoutingConfig(AppConfig):
    name = "onramp.directrouting"
    label = "directrouting"
    verbose_name = "Direct Routing provisioning"
