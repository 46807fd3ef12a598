from django.apps import AppConfig


class ConnectionsConfig(AppConfig):
    name = "onramp.connections"
    label = "connections"
    verbose_name = "Tenant connections"
