from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "onramp.audit"
    label = "audit"
