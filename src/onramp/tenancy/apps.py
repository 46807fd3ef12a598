from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "onramp.tenancy"
    label = "tenancy"
